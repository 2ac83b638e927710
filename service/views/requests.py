"""The request list and the request page: header, coverage, fault cause, one bar per
promise, the timeline, and the form that adds a step (one service call per write)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from contracts.reasons import COVER_LABELS, PRICING_LABELS, coverage_reason_text
from contracts.selectors import device_coverage
from core.forms import add_service_errors
from core.http import safe_next
from core.permissions import require_perm

from .. import selectors, services
from ..filters import RequestFilterSet
from ..forms import (
    MILESTONE_STATE_LABELS,
    PAUSE_REASON_LABELS,
    STATUS_LABELS,
    EventForm,
    FaultCauseForm,
)
from ..messages import event_label
from ..models import FaultCause, ServiceRequest
from ..services import TimelineConflict
from ._common import (
    Countdown,
    iso,
    page_of,
    request_or_404,
    requests_for,
    with_live_state,
)

User = get_user_model()
COVER_BADGES = {
    "warranty": "text-bg-success",
    "extended_warranty": "text-bg-info",
    "agreement": "text-bg-primary",
    "none": "text-bg-secondary",
}
BAR_CLASSES = {"met": "bg-success", "breached": "bg-danger", "not_applicable": "bg-secondary"}


# --- the list -----------------------------------------------------------------------------
@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    # A filter value outside the viewer's scope is simply ignored.
    filters = RequestFilterSet(
        request.GET, requests_for(request).prefetch_related("milestones"), request=request, now=now
    )
    requests = filters.qs
    page = page_of(request, requests)
    return render(
        request,
        "service/request_list.html",
        {
            "form": filters.form,
            "page": page,
            "rows": with_live_state(page.object_list, now=now),
            "server_now": iso(now),
            "can_add": request.user.has_perm("service.add_servicerequest"),
            # The filters behind "More filters" (a drill-down from the key figures sets them).
            "more_filters_used": any(
                request.GET.get(field.name) for field in filters.form.visible_fields()[7:]
            ),
        },
    )


# --- the request page --------------------------------------------------------------------
def duration_text(seconds: float) -> str:
    minutes = int(abs(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def milestone_bars(service_request: ServiceRequest, *, now) -> list[dict]:
    """One bar per promise, live: time worked against the target, the paused time beside
    it, the state in words (it must read without colour)."""
    policy = service_request.policy
    names = {m.key: m.name for m in policy.milestones.all()}
    calendar = selectors.calendar_for(policy.calendar, time_zone=service_request.hospital.time_zone)
    bars = []
    for m in selectors.request_clock(service_request, now=now):
        state = m.state.value
        bar: dict[str, Any] = {
            "key": m.key,
            "name": names.get(m.key, m.key),
            "state": state,
            "state_label": MILESTONE_STATE_LABELS[state],
            "at_risk": m.at_risk,
            "paused": m.paused,
            "started": m.started_at is not None,
            "target": duration_text(m.target_seconds),
            "due_at": m.due_at,
            "met_at": m.met_at,
            "countdown": None,
            "worked_pct": 0,
            "paused_pct": 0,
        }
        if m.started_at is not None and state != "not_applicable":
            horizon = m.met_at or now
            paused = m.paused_seconds
            worked = max(calendar.elapsed(m.started_at, horizon).total_seconds() - paused, 0)
            scale = max(m.target_seconds, worked + paused) or 1
            bar |= {
                "worked": duration_text(worked),
                "paused_for": duration_text(paused) if paused else "",
                "worked_pct": round(100 * worked / scale, 1),
                "paused_pct": round(100 * paused / scale, 1),
            }
        if m.met_at is None and m.due_at is not None and not m.paused and state != "not_applicable":
            left = (m.due_at - now).total_seconds()
            bar["countdown"] = Countdown(
                name=bar["name"],
                due_at=m.due_at,
                warn_at=m.warn_at,
                seconds_left=left,
                level="breached" if left < 0 else ("at_risk" if m.at_risk else ""),
            )
        if state == "pending":
            bar["bar_class"] = (
                "bg-secondary" if m.paused else ("bg-warning" if m.at_risk else "bg-primary")
            )
        else:
            bar["bar_class"] = BAR_CLASSES[state]
        bars.append(bar)
    return bars


def timeline_entries(service_request: ServiceRequest) -> list[dict]:
    events = list(
        service_request.events.select_related("actor", "confirmation__confirmed_by").order_by(
            "occurred_at", "pk"
        )
    )
    engineer_ids = {pk for e in events for pk in e.data.get("engineer_ids", [])}
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=engineer_ids)}
    entries = []
    for event in events:
        data = event.data or {}
        details = []
        if data.get("reason"):
            details.append(
                (_("Reason"), str(PAUSE_REASON_LABELS.get(data["reason"], data["reason"])))
            )
        if data.get("engineer_ids"):
            details.append(
                (_("Engineers"), ", ".join(names.get(pk, f"#{pk}") for pk in data["engineer_ids"]))
            )
        if data.get("parts"):
            details.append((_("Parts"), ", ".join(data["parts"])))
        if data.get("note"):
            details.append((_("Note"), data["note"]))
        if event.recorded_late:
            details.append((_("Why recorded late"), event.late_reason or "—"))
        entries.append(
            {
                "event": event,
                "type": event.type,
                "label": event_label(event.type),
                "details": details,
                "late": event.recorded_late,
                "confirmation": getattr(event, "confirmation", None),
            }
        )
    return entries


def coverage_of(service_request: ServiceRequest) -> dict:
    """The cover at the report time for the current fault cause, as the API computes it."""
    answer = device_coverage(
        device=service_request.device,
        at=service_request.reported_at,
        cause=service_request.fault_cause,
    )
    return {
        "answer": answer,
        "label": COVER_LABELS[answer.cover],
        "badge": COVER_BADGES.get(answer.cover, "text-bg-secondary"),
        "pricing": [
            (_("Parts"), PRICING_LABELS[answer.parts], answer.parts),
            (_("Labor"), PRICING_LABELS[answer.labor], answer.labor),
            (_("Travel"), PRICING_LABELS[answer.travel], answer.travel),
        ],
        "reason": coverage_reason_text(answer, service_request.hospital.time_zone),
    }


def _detail(
    request: HttpRequest,
    service_request: ServiceRequest,
    *,
    event_form: EventForm | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    """The request page; rendered in the hospital's zone (the caller activates it)."""
    now = timezone.now()
    user = request.user
    can_add_event = user.has_perm("service.add_serviceevent", service_request)
    can_change = user.has_perm("service.change_servicerequest", service_request)
    if event_form is None and can_add_event:
        # The field shows whole seconds; a request reported within this second must not get
        # a default that precedes its report (the timeline would refuse it).
        default_time = timezone.localtime(now).replace(microsecond=0)
        if default_time < service_request.reported_at:
            default_time += timedelta(seconds=1)
        event_form = EventForm(
            initial={
                "occurred_at": default_time,
                "engineers": list(service_request.engineers.all()),
            },
            time_zone=service_request.hospital.time_zone,
        )
    root_cause = getattr(service_request, "root_cause_report", None)
    record = getattr(service_request, "repair_record", None)
    return render(
        request,
        "service/request_detail.html",
        {
            "sr": service_request,
            "status_label": STATUS_LABELS.get(service_request.status, service_request.status),
            "bars": milestone_bars(service_request, now=now),
            "timeline": timeline_entries(service_request),
            "coverage": coverage_of(service_request),
            "fault_cause_label": FaultCause(service_request.fault_cause).label,
            "engineers": list(service_request.engineers.all()),
            "event_form": event_form if can_add_event else None,
            "fault_cause_form": (
                FaultCauseForm(initial={"fault_cause": service_request.fault_cause})
                if can_change
                else None
            ),
            "conflict": conflict,
            "can_confirm_late": user.has_perm("service.confirm_late_step", service_request),
            "root_cause": root_cause,
            "has_record": record is not None,
            "record_signed": record is not None and record.is_frozen,
            "server_now": iso(now),
            "zone": service_request.hospital.time_zone,
        },
        status=status,
    )


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = request_or_404(request, pk)
    with timezone.override(ZoneInfo(service_request.hospital.time_zone)):
        return _detail(request, service_request)


def _error_summary(form: forms.BaseForm) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@login_required
@require_POST
def request_event(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record one step. From the request page an error comes back on its form (a timeline
    conflict as an alert, nothing recorded); from my jobs or the board (``next``) it comes
    back as a message on that page."""
    service_request = request_or_404(request, pk)
    require_perm(request, "service.add_serviceevent", service_request)
    detail_url = reverse("service:request_detail", args=[service_request.pk])
    back = safe_next(request, "")
    with timezone.override(ZoneInfo(service_request.hospital.time_zone)):
        form = EventForm(request.POST, time_zone=service_request.hospital.time_zone)
        conflict, status = "", 409
        if form.is_valid():
            arguments = form.service_arguments()
            try:
                services.service_request_record_event(
                    request=service_request, actor=request.user, **arguments
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except TimelineConflict as exc:
                conflict = exc.message
            except PermissionDenied as exc:
                conflict, status = str(exc), 403
            else:
                messages.success(
                    request,
                    _("%(number)s: %(step)s recorded.")
                    % {"number": service_request.number, "step": event_label(arguments["type"])},
                )
                return redirect(back or detail_url)
        if back:
            messages.error(
                request,
                _("%(number)s: nothing recorded. %(reason)s")
                % {"number": service_request.number, "reason": conflict or _error_summary(form)},
            )
            return redirect(back)
        service_request = request_or_404(request, pk)  # as it is now: nothing changed
        return _detail(
            request,
            service_request,
            event_form=form,
            conflict=conflict,
            status=status if conflict else 422,
        )


@login_required
@require_POST
def request_event_confirm(
    request: AuthenticatedHttpRequest, pk: int, event_pk: int
) -> HttpResponse:
    """A manager confirms a step recorded late: from now on it may meet its promise."""
    service_request = request_or_404(request, pk)
    event = get_object_or_404(service_request.events.all(), pk=event_pk)
    require_perm(request, "service.confirm_late_step", service_request)
    try:
        services.service_event_confirm_late(
            event=event, manager=request.user, note=request.POST.get("note", "")[:2000]
        )
    except (TimelineConflict, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            _("%(number)s: the %(step)s recorded late is confirmed.")
            % {"number": service_request.number, "step": event_label(event.type)},
        )
    return redirect("service:request_detail", pk=service_request.pk)


@login_required
@require_POST
def request_fault_cause(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = request_or_404(request, pk)
    require_perm(request, "service.change_servicerequest", service_request)
    form = FaultCauseForm(request.POST)
    if form.is_valid():
        try:
            services.service_request_set_fault_cause(
                request=service_request, cause=form.cleaned_data["fault_cause"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Fault cause saved."))
    else:
        messages.error(request, _error_summary(form))
    return redirect("service:request_detail", pk=service_request.pk)
