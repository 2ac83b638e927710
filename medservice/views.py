"""The home page: each role starts where its work is (issue 13 §4, ``medservice.homes``),
with a device search, what the user can see, quick links."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from assets.models import Device
from contracts.models import Contract, MaintenanceAgreement
from customers.models import Hospital
from customers.scoping import scope_for
from duty import selectors as duty_selectors
from service.forms import PAUSE_REASON_LABELS
from service.views._common import iso

from .homes import ENGINEER, HOSPITAL, MANAGER, home_kind, panels_for


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    scope = scope_for(user)
    # Contracts are commercial documents: vendor staff and equipment administrators only.
    sees_contracts = scope.all_hospitals or bool(scope.hospital_ids)
    membership = getattr(user, "hospital_membership", None) if not user.is_vendor_staff else None
    now = timezone.now()
    kind = home_kind(user)
    context = {
        "home_kind": kind,
        "panels": panels_for(request, kind=kind, now=now),
        # The engineer's shift going on now or the next one (issue 13 §4).
        "next_shift": duty_selectors.next_shift(user=user, now=now) if kind == ENGINEER else None,
        "server_now": iso(now),
        # The hotline's day (its calls panel): the vendor's zone, one hotline for all.
        "vendor_zone": settings.TIME_ZONE,
        "pause_reasons": list(PAUSE_REASON_LABELS.items()),
        "shows_roster_gaps": kind == MANAGER and user.has_perm("duty.view_shift"),
        "can_report": kind == HOSPITAL and user.has_perm("service.add_servicerequest"),
        "can_log_call": kind != HOSPITAL and user.has_perm("service.add_servicerequest"),
        "hospital_count": Hospital.objects.for_user(user).count(),
        "device_count": Device.objects.for_user(user).count(),
        "out_of_use_count": Device.objects.for_user(user)
        .filter(out_of_use_since__isnull=False)
        .count(),
        "sees_contracts": sees_contracts,
        "contract_count": Contract.objects.for_user(user).count() if sees_contracts else 0,
        "agreement_count": (
            MaintenanceAgreement.objects.for_user(user).count() if sees_contracts else 0
        ),
        "membership": membership,
        "my_departments": membership.departments.all() if membership is not None else (),
        "can_add_device": user.has_perm("assets.add_device"),
        "can_add_hospital": user.has_perm("customers.add_hospital"),
        "can_add_contract": user.has_perm("contracts.add_contract"),
        "can_edit_organisation": user.has_perm("customers.change_serviceorganisation"),
    }
    return render(request, "home.html", context)


@require_GET
@cache_control(max_age=24 * 3600, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on their own: the icon of the static files
    (a redirect, since its hashed name changes with its content)."""
    return HttpResponseRedirect(static("favicon.svg"))
