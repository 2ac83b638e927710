"""The pages that show many visits: the list, the engineer's visits of today on a phone,
the trips (one per hospital and day), the completion rate, and the device page's visits."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from accounts.rules import is_vendor_staff
from assets.models import Device

from .. import selectors
from ..filters import VisitFilterSet
from ..forms import CompletionPeriodForm, TripFilterForm
from ..models import VisitState
from ._common import Todays, page_of, with_state

# The device page shows the last few visits done and the next few planned.
DEVICE_PAST = 5
DEVICE_UPCOMING = 5
TRIP_DAYS = 7  # the trips page shows a week by default


@login_required
@require_GET
def visit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Visits in the viewer's scope, filtered by due date, state, hospital and engineer."""
    # Unbound without a query string: the form shows no errors before a first search.
    filters = VisitFilterSet(
        request.GET or None, selectors.visits_for(request.user), request=request
    )
    page = page_of(request, filters.qs)  # a filter value outside the scope is left out
    form = filters.form
    return render(
        request,
        "maintenance/visit_list.html",
        {
            "form": form,
            "page_obj": page,
            "visits": with_state(page.object_list),
            "filtered": form.is_bound and any(form.cleaned_data.values()),
            "is_vendor": request.user.is_vendor_staff,
            "can_special": request.user.has_perm("maintenance.create_special_visit"),
        },
    )


@login_required
@require_GET
def visits_today(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The engineer's phone view: the visits assigned to me whose window is open today or
    that were done today (each hospital's own today), and the overdue ones, grouped into
    one trip per hospital and day."""
    user = request.user
    of_the_day = selectors.visits_of_the_day(user, engineer=user).values_list("pk", flat=True)
    overdue = selectors.visits_for(user, engineer=user, state="overdue").values_list(
        "pk", flat=True
    )
    mine = selectors.visits_for(user).filter(pk__in={*of_the_day, *overdue})
    return render(
        request,
        "maintenance/visits_today.html",
        {
            "trips": selectors.visit_trips(with_state(mine)),
            "today": timezone.localdate(),
            "can_complete": _can_complete(request),
        },
    )


def _can_complete(request: HttpRequest) -> bool:
    return request.user.has_perm("maintenance.complete_visit")


@login_required
@require_GET
def trips(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Vendor staff plan their days: the visits of a period, one trip per hospital and day."""
    if not is_vendor_staff.test(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    form = TripFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    start = data.get("due_from") or today
    end = data.get("due_to") or start + timedelta(days=TRIP_DAYS - 1)
    if not form.is_bound:
        form = TripFilterForm(initial={"due_from": start, "due_to": end})
    visits = selectors.visits_for(
        request.user,
        due_from=start,
        due_to=end,
        engineer=data.get("engineer"),
    ).exclude(state=VisitState.CANCELLED)
    return render(
        request,
        "maintenance/trips.html",
        {
            "form": form,
            "trips": selectors.visit_trips(with_state(visits)),
            "start": start,
            "end": end,
        },
    )


@login_required
@require_GET
def completion(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Completion rate per hospital of a period (issue 4 §1: "100 % of scheduled"): the
    obligations due, fulfilled, fulfilled within their window. Hospital users see their
    own hospital only (the selector scopes by user)."""
    form = CompletionPeriodForm(request.GET or None, user=request.user, today=timezone.localdate())
    start, end = form.period()
    rows = selectors.completion_rates(
        request.user, start=start, end=end, hospital=form.chosen_hospital()
    )
    hospital_rows = [row for row in rows if row.hospital is not None]
    total = next((row for row in rows if row.hospital is None), None)
    return render(
        request,
        "maintenance/completion.html",
        {"form": form, "rows": hospital_rows, "total": total, "start": start, "end": end},
    )


@login_required
@require_GET
def device_visits(request: AuthenticatedHttpRequest, device_pk: int) -> HttpResponse:
    """The device page's "Visits" card (loaded with htmx): the last visits done and the
    next planned, with links, and the button for a special inspection."""
    device = get_object_or_404(
        Device.objects.for_user(request.user).select_related("hospital"), pk=device_pk
    )
    visits = selectors.visits_for(request.user, device=device)
    with timezone.override(ZoneInfo(device.hospital.time_zone)):
        return _device_visits(request, device, visits)


def _device_visits(request: HttpRequest, device: Device, visits) -> HttpResponse:
    todays = Todays()
    past = with_state(
        visits.filter(state=VisitState.DONE).order_by("-done_at", "-pk")[:DEVICE_PAST], todays
    )
    upcoming = with_state(
        visits.filter(state=VisitState.PLANNED).order_by("due_on", "pk")[:DEVICE_UPCOMING],
        todays,
    )
    return render(
        request,
        "maintenance/_device_visits.html",
        {
            "device": device,
            "past": past,
            "upcoming": upcoming,
            "can_special": request.user.has_perm("maintenance.create_special_visit", device),
        },
    )
