"""Special inspections (R-4.1: when something abnormal shows): ad-hoc visits with the same
record as the planned ones, started from the visits page or from the device's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from assets.models import Device
from core.forms import add_service_errors, id_from
from core.permissions import require_perm

from .. import services
from ..forms import SpecialVisitForm


@login_required
@require_http_methods(["GET", "POST"])
def special_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "maintenance.create_special_visit")
    status = 200
    if request.method == "POST":
        form = SpecialVisitForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                visit = services.visit_special_create(user=request.user, **form.service_arguments())
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 422
            else:
                messages.success(request, _("Special inspection planned."))
                return redirect("maintenance:visit_detail", pk=visit.pk)
        else:
            status = 422
    else:
        device = None
        asked = id_from(request.GET.get("device"))
        if asked is not None:
            # A device outside the viewer's scope is simply not offered.
            device = Device.objects.for_user(request.user).filter(pk=asked).first()
        form = SpecialVisitForm(initial={"device": device}, user=request.user)
    chosen = id_from(form["device"].value())
    device = form.devices.filter(pk=chosen).first() if chosen is not None else None
    return render(
        request,
        "maintenance/special_create.html",
        {"form": form, "device": device},
        status=status,
    )
