"""Writes about service requests: open one, record a step of its timeline, recompute its
milestones, classify its fault cause, write its root-cause report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, VendorRole
from assets.models import Device
from assets.services import device_out_of_use_clear_for_request
from core.bounds import day_error
from core.errors import Conflict
from core.numbering import next_number

from . import events, selectors, sla
from .messages import step_refusal_message, timeline_message
from .models import (
    Channel,
    FaultCause,
    LateStepConfirmation,
    Milestone,
    RootCauseReport,
    ServiceEvent,
    ServiceRequest,
    Severity,
)
from .rules import may_record_step
from .timeline import (
    OPEN_STATUSES,
    EventType,
    PauseReason,
    TimelineError,
    check_timeline,
    status_of,
)

# Engineers log steps when they are back online, but a phone's clock may run a little fast.
MAX_FUTURE = timedelta(minutes=5)
# A step dated further back than this was not recorded as it happened: it needs a reason
# and a manager's confirmation before it may meet a promise.
LATE_AFTER = timedelta(minutes=15)


class TimelineConflict(Conflict):
    """The event contradicts the request's timeline (HTTP 409): nothing was recorded."""


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


@transaction.atomic
def service_request_open(
    *,
    device: Device,
    severity: str,
    channel: str,
    description: str,
    recorded_by: User,
    reported_at: datetime | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    now: datetime | None = None,
) -> ServiceRequest:
    """Open a request for ``device``. ``reported_at`` is when the vendor was notified; an
    agent logging a call afterwards may set it, never in the future (R-3.5)."""
    now = _now(now)
    reported_at = reported_at or now
    errors: dict[str, str] = {}
    if severity not in Severity.values:
        errors["severity"] = _("Choose normal or emergency.")
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if not description.strip():
        errors["description"] = _("Describe the fault.")
    if timezone.is_naive(reported_at):
        errors["reported_at"] = _("Give the time with its time zone.")
    elif reported_at > now:
        errors["reported_at"] = _("The report time cannot be in the future.")
    elif problem := day_error(reported_at):
        errors["reported_at"] = problem
    elif device.installed_on and (
        timezone.localtime(reported_at, ZoneInfo(device.hospital.time_zone)).date()
        < device.installed_on
    ):
        errors["reported_at"] = _(
            "The report time cannot be before the device was installed (%(day)s)."
        ) % {"day": device.installed_on.isoformat()}
    if errors:
        raise ValidationError(errors)

    line = selectors.contract_of(device)
    contract = line.contract if line else None
    vendor_year = reported_at.astimezone(ZoneInfo(settings.TIME_ZONE)).year
    request = ServiceRequest.objects.create(
        number=next_number(key="SR", year=vendor_year, width=6),
        device=device,
        hospital_id=device.hospital_id,
        department_id=device.department_id,
        contract=contract,
        policy=selectors.policy_for(contract=contract, severity=severity),
        severity=severity,
        channel=channel,
        reported_at=reported_at,
        recorded_by=recorded_by,
        reporter_name=reporter_name.strip(),
        reporter_phone=reporter_phone.strip(),
        description=description.strip(),
    )
    engineer_ids: list[int] = []
    if contract is not None:
        # The contract's dedicated engineers take the request unless dispatch says otherwise.
        engineer_ids = list(contract.dedicated_engineers.values_list("pk", flat=True))
        request.engineers.set(engineer_ids)
    milestones_recompute(request=request, now=now)
    # Written with the request: the apps above service learn of it through the outbox.
    events.publish_opened(
        request_id=request.pk, device_id=request.device_id, hospital_id=request.hospital_id
    )
    if engineer_ids:
        events.publish_engineers_assigned(
            request_id=request.pk, event_id=None, engineer_ids=engineer_ids
        )
    return request


def _event_data(kind: str, data: Mapping[str, Any], engineers: list[User] | None) -> dict[str, Any]:
    """Check and normalise the data an event type carries."""
    clean: dict[str, Any] = {}
    note = str(data.get("note", "") or "").strip()
    if note:
        clean["note"] = note[:2000]
    if kind == EventType.PAUSED:
        reason = data.get("reason")
        if reason not in {r.value for r in PauseReason}:
            raise ValidationError(
                {
                    "reason": _(
                        "Say why the clock stops: waiting for the customer, site not "
                        "accessible, delay asked by the customer, or other. Waiting for our "
                        "own parts does not stop the clock."
                    )
                }
            )
        clean["reason"] = reason
        if reason == PauseReason.OTHER and not note:
            raise ValidationError({"note": _("Explain the pause.")})
    if kind == EventType.CALL:
        call_id = data.get("call_id")
        if call_id is not None:
            clean["call_id"] = int(call_id)
    if kind == EventType.DISPATCHED:
        if engineers is not None:
            not_engineers = [u for u in engineers if u.effective_vendor_role != VendorRole.ENGINEER]
            if not_engineers:
                raise ValidationError({"engineers": _("Only service engineers can be dispatched.")})
            clean["engineer_ids"] = [u.pk for u in engineers]
        parts = data.get("parts") or []
        if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
            raise ValidationError({"parts": _("List the parts to carry as text lines.")})
        clean["parts"] = [p.strip() for p in parts if p.strip()]
    return clean


@transaction.atomic
def service_request_record_event(
    *,
    request: ServiceRequest,
    type: str,
    occurred_at: datetime | None,
    actor: User | None,
    data: Mapping[str, Any] | None = None,
    engineers: Iterable[User] | None = None,
    idempotency_key: str | None = None,
    late_reason: str = "",
    now: datetime | None = None,
) -> ServiceRequest:
    """Append one step to the timeline and recompute the milestones.

    Raises ``ValidationError`` for malformed input (422), ``PermissionDenied`` when
    ``actor`` may not record this step on this request (403; no actor: the system itself)
    and ``TimelineConflict`` for an event that contradicts the timeline (409), a step
    repeated with nothing in between included. The same ``idempotency_key`` twice records
    the event once: a phone that sends a form twice changes nothing the second time.

    A step dated more than ``LATE_AFTER`` before ``now`` needs ``late_reason``; it is stored
    as recorded late and meets no promise until a manager confirms it
    (``service_event_confirm_late``).
    """
    now = _now(now)
    # One writer per request at a time: the timeline check sees every earlier event.
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if idempotency_key and request.events.filter(idempotency_key=idempotency_key).exists():
        return request
    if type not in {t.value for t in EventType}:
        raise ValidationError({"type": _("Unknown event type “%(type)s”.") % {"type": type}})
    if actor is not None and not may_record_step(actor, request, type):
        raise PermissionDenied(step_refusal_message(type))
    occurred_at = occurred_at or now
    if timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": _("Give the time with its time zone.")})
    if occurred_at > now + MAX_FUTURE:
        raise ValidationError({"occurred_at": _("The time cannot be in the future.")})
    if occurred_at < request.reported_at:
        raise ValidationError(
            {"occurred_at": _("The time cannot be before the fault was reported.")}
        )
    # A call noted on the timeline meets no promise: being noted later says nothing.
    late = type != EventType.CALL and occurred_at < now - LATE_AFTER
    late_reason = (late_reason or "").strip() if late else ""
    if late and not late_reason:
        raise ValidationError(
            {
                "late_reason": _(
                    "This step is dated more than %(minutes)d minutes ago: say why it is "
                    "recorded only now."
                )
                % {"minutes": int(LATE_AFTER.total_seconds() // 60)}
            }
        )
    if len(late_reason) > 2000:
        raise ValidationError({"late_reason": _("Use at most 2000 characters.")})
    engineer_list = list(engineers) if engineers is not None else None
    clean = _event_data(type, data or {}, engineer_list)

    timeline = selectors.timeline_of(request)
    candidate = sla.Event(type=type, occurred_at=occurred_at, data=clean, sequence=2**62)
    try:
        check_timeline(
            [*timeline, candidate], needs_arrival=selectors.needs_arrival(request.policy)
        )
    except TimelineError as exc:
        raise TimelineConflict(exc.code, timeline_message(exc.code, exc.event_type)) from exc
    missing_root_cause = (
        type == EventType.CLOSED
        and request.severity == Severity.EMERGENCY
        and not RootCauseReport.objects.filter(request=request).exists()
    )
    if missing_root_cause:
        code = "root_cause_missing"
        raise TimelineConflict(code, timeline_message(code, type))

    event = ServiceEvent.objects.create(
        request=request,
        type=type,
        occurred_at=occurred_at,
        recorded_at=now,
        actor=actor,
        data=clean,
        idempotency_key=idempotency_key or None,
        recorded_late=late,
        late_reason=late_reason,
    )
    if engineer_list:
        request.engineers.set(engineer_list)
    milestones_recompute(request=request, now=now)
    if type in sla.RESOLUTION_EVENTS:
        # A device out of use after a failed safety check is fit again once a request on it
        # reported since then is resolved: in this transaction, so that the device page
        # never shows a repaired device as out of use, nor the other way round.
        device_out_of_use_clear_for_request(
            device=request.device,
            request_number=request.number,
            request_reported_at=request.reported_at,
            resolved_at=occurred_at,
            user=actor,
        )
    # Upper apps (parts) react through the outbox: the event row commits with the step, and
    # their handlers run in the worker, retried on failure, never failing the step.
    events.publish_step(
        request_id=request.pk, event_id=event.pk, type=type, actor_id=actor.pk if actor else None
    )
    if engineer_list:
        events.publish_engineers_assigned(
            request_id=request.pk, event_id=event.pk, engineer_ids=[u.pk for u in engineer_list]
        )
    return request


@transaction.atomic
def service_event_confirm_late(
    *, event: ServiceEvent, manager: User, note: str = "", now: datetime | None = None
) -> ServiceRequest:
    """A manager vouches for a step recorded late: from now on it may meet its promise.
    Confirming twice changes nothing."""
    now = _now(now)
    request = ServiceRequest.objects.select_for_update().get(pk=event.request_id)
    if not manager.has_perm("service.confirm_late_step", request):
        raise PermissionDenied(_("Only a service manager confirms a step recorded late."))
    if not event.recorded_late:
        code = "not_recorded_late"
        raise TimelineConflict(code, _("This step was recorded in time: nothing to confirm."))
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("Use at most 2000 characters.")})
    _confirmation, created = LateStepConfirmation.objects.get_or_create(
        event=event, defaults={"confirmed_by": manager, "confirmed_at": now, "note": note}
    )
    if created:
        milestones_recompute(request=request, now=now)
    return request


@transaction.atomic
def milestones_recompute(*, request: ServiceRequest, now: datetime | None = None) -> None:
    """Derive the milestones, the status and the nearest deadline from the timeline."""
    now = _now(now)
    policy = request.policy
    definitions = {m.key: m for m in policy.milestones.all()}
    events = selectors.timeline_of(request)
    results = sla.compute_milestones(
        rules=selectors.milestone_rules(policy),
        events=events,
        reported_at=request.reported_at,
        now=now,
        calendar=selectors.calendar_for(policy.calendar, time_zone=request.hospital.time_zone),
        at_risk_fraction=policy.at_risk_fraction,
    )
    existing = {m.key: m for m in Milestone.objects.filter(request=request)}
    fields = [
        "started_at",
        "due_at",
        "warn_at",
        "met_at",
        "paused_seconds",
        "state",
        "at_risk",
        "paused",
        "target_seconds",
    ]
    to_create: list[Milestone] = []
    to_update: list[Milestone] = []
    for result in results:
        definition = definitions[result.key]
        row = existing.get(result.key) or Milestone(
            request=request,
            key=result.key,
            name_zh=definition.name_zh,
            name_en=definition.name_en,
            position=definition.position,
        )
        before = [getattr(row, f) for f in fields]
        row.target_seconds = result.target_seconds
        row.started_at, row.due_at, row.warn_at = result.started_at, result.due_at, result.warn_at
        row.met_at, row.paused_seconds = result.met_at, result.paused_seconds
        row.state, row.at_risk, row.paused = result.state.value, result.at_risk, result.paused
        if row.pk is None:
            to_create.append(row)
        elif [getattr(row, f) for f in fields] != before:  # most steps move one promise only
            to_update.append(row)
    Milestone.objects.bulk_create(to_create)
    if to_update:
        Milestone.objects.bulk_update(to_update, fields)

    # Every unmet promise whose clock runs, one already missed included: a request logged
    # after its on-site deadline passed is the most urgent on the board, not the last.
    running = [
        r.due_at
        for r in results
        if r.met_at is None
        and r.state in (sla.State.PENDING, sla.State.BREACHED)
        and r.due_at is not None
        and not r.paused
    ]
    status = status_of(events)
    ServiceRequest.objects.filter(pk=request.pk).update(
        status=status.value,
        is_open=status in OPEN_STATUSES,
        next_due_at=min(running) if running else None,
    )
    request.refresh_from_db(fields=["status", "is_open", "next_due_at"])


@transaction.atomic
def service_request_set_fault_cause(*, request: ServiceRequest, cause: str) -> ServiceRequest:
    """Classify the fault (set during diagnosis, may change): it decides the charges."""
    if cause not in FaultCause.values:
        raise ValidationError({"fault_cause": _("Choose quality, non-quality or undetermined.")})
    request.fault_cause = cause
    request.save(update_fields=["fault_cause", "updated_at"])
    return request


@transaction.atomic
def root_cause_report_save(
    *,
    request: ServiceRequest,
    cause: str,
    measures: str,
    explained_to: str,
    explained_at: datetime,
    author: User,
) -> RootCauseReport:
    """The root-cause analysis explained to the hospital's staff after an emergency (R-5.5)."""
    errors: dict[str, str] = {}
    if not cause.strip():
        errors["cause"] = _("State the root cause.")
    if not measures.strip():
        errors["measures"] = _("State the measures taken.")
    if not explained_to.strip():
        errors["explained_to"] = _("Say to whom it was explained.")
    if explained_at > timezone.now() + MAX_FUTURE:
        errors["explained_at"] = _("The time cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    report, _created = RootCauseReport.objects.update_or_create(
        request=request,
        defaults={
            "cause": cause.strip(),
            "measures": measures.strip(),
            "explained_to": explained_to.strip(),
            "explained_at": explained_at,
            "author": author,
        },
    )
    return report
