"""Reads about service requests: the policy and calendar of a request, its clock as pure
inputs, the dispatch board."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from contracts.models import ContractDevice
from core.calendars import AroundTheClock, Calendar, WorkingHours
from core.signing import SignatureRole

from . import sla
from .models import (
    CalendarKind,
    ContractSlaPolicy,
    Milestone,
    ServiceEvent,
    ServiceRequest,
    ServiceRequestQuerySet,
    Signature,
    SlaCalendar,
    SlaPolicy,
)


def request_in_scope_or_404(user, pk: int) -> ServiceRequest:
    """The request ``user`` may see, with what its pages show (hospital, department, device
    and model); another hospital's request is a 404, as if it did not exist."""
    requests = ServiceRequest.objects.for_user(user).select_related(
        "hospital", "department", "device__product_model"
    )
    return get_object_or_404(requests, pk=pk)


def contract_of(device) -> ContractDevice | None:
    return ContractDevice.objects.select_related("contract").filter(device=device).first()


def policy_for(*, contract, severity: str) -> SlaPolicy:
    """The contract's policy for this severity, else the severity's default."""
    if contract is not None:
        chosen = ContractSlaPolicy.objects.filter(contract=contract, severity=severity).first()
        if chosen is not None:
            return chosen.policy
    return SlaPolicy.objects.get(default_for=severity)


class _WorkingDays:
    """Is a day a working day: the override table first, then China's calendar (with its
    make-up working days), then Monday to Friday. Picklable and cheap to build."""

    def __init__(self, calendar: SlaCalendar) -> None:
        self.overrides = dict(calendar.days.values_list("day", "is_working_day"))
        self.china = holidays.China() if calendar.china_holidays else None

    def __call__(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if self.china is not None:
            return bool(self.china.is_working_day(day))
        return day.weekday() < 5


def calendar_for(calendar: SlaCalendar, *, time_zone: str) -> Calendar:
    if calendar.kind == CalendarKind.AROUND_THE_CLOCK or not (calendar.opens and calendar.closes):
        return AroundTheClock()  # a working-hours calendar always has both (a DB constraint)
    return WorkingHours(
        time_zone=time_zone,
        opens=calendar.opens,
        closes=calendar.closes,
        is_working_day=_WorkingDays(calendar),
    )


def milestone_rules(policy: SlaPolicy) -> list[sla.MilestoneRule]:
    return [
        sla.MilestoneRule(
            key=m.key,
            target=m.target,
            met_by=frozenset(m.met_by),
            starts_at=m.starts_at,
            skipped_by_remote=m.skipped_by_remote,
        )
        for m in policy.milestones.all()
    ]


def as_timeline(events: Iterable[ServiceEvent]) -> list[sla.Event]:
    """Stored events as the pure rules read them (``confirmation`` joined or prefetched)."""
    return [
        sla.Event(
            type=e.type,
            occurred_at=e.occurred_at,
            data=e.data,
            sequence=e.pk,
            meets=not e.awaits_confirmation,
        )
        for e in sorted(events, key=lambda e: (e.occurred_at, e.pk))
    ]


def timeline_of(request: ServiceRequest) -> list[sla.Event]:
    return as_timeline(
        ServiceEvent.objects.filter(request=request)
        .select_related("confirmation")
        .order_by("occurred_at", "pk")
    )


def needs_arrival(policy: SlaPolicy) -> bool:
    """Does the policy promise someone on site (a milestone met by an arrival)?"""
    return any("arrived" in m.met_by for m in policy.milestones.all())


def dispatch_board(*, requests: ServiceRequestQuerySet) -> QuerySet[ServiceRequest]:
    """Open requests, nearest deadline first (one scan of ``request_open_due_idx``);
    those with no running clock last."""
    from django.db.models import F

    return (
        requests.open()
        # Only the joins the board shows: each extra join costs planning time on every call.
        .select_related(None)
        .select_related("device__product_model", "hospital", "department")
        .prefetch_related("milestones", "engineers")
        .order_by(F("next_due_at").asc(nulls_last=True), "reported_at")
    )


def request_clock(request: ServiceRequest, *, now) -> list[sla.MilestoneStatus]:
    """The milestones as of ``now``, computed from the timeline without writing anything
    (the stored rows are as of the last event; time has moved since)."""
    policy = request.policy
    return sla.compute_milestones(
        rules=milestone_rules(policy),
        events=timeline_of(request),
        reported_at=request.reported_at,
        now=now,
        calendar=calendar_for(policy.calendar, time_zone=request.hospital.time_zone),
        at_risk_fraction=policy.at_risk_fraction,
    )


def requests_in_state(requests: ServiceRequestQuerySet, *, state: str, now):
    """Filter by the live state of the promises: ``open``, ``breached`` (a promise kept
    late, or an unmet one past its deadline) or ``at_risk`` (an unmet promise past its
    warning, not yet due, and none broken)."""
    from django.db.models import Exists, OuterRef

    from .models import Milestone

    open_requests = requests.open()
    running = Milestone.objects.filter(
        request=OuterRef("pk"), met_at__isnull=True, paused=False, due_at__isnull=False
    ).exclude(state="not_applicable")
    broken = Exists(running.filter(due_at__lt=now)) | Exists(
        Milestone.objects.filter(request=OuterRef("pk"), state="breached")
    )
    if state == "breached":
        return open_requests.filter(broken)
    if state == "at_risk":
        return open_requests.filter(
            Exists(running.filter(warn_at__lte=now, due_at__gte=now))
        ).exclude(broken)
    return open_requests


# How a promise ended, as the KPIs count it and the request list filters it (issue 14 §2).
PROMISE_OUTCOMES = ("met", "breached", "not_applicable")


def promise_outcome_q(outcome: str, *, now, prefix: str = "") -> Q:
    """The milestone rows (``prefix`` names the relation from the queried model, e.g.
    ``"milestones__"``) whose promise has ``outcome`` as of ``now``: ``met`` kept in time,
    ``breached`` kept late or still unmet past its deadline with the clock running (the
    stored row is as of the last event, so a pending one may have been missed since; a
    paused clock has missed nothing), ``not_applicable`` (a remote fix before anyone went on
    site). A pending promise still in time is none of them."""

    def q(**lookups) -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    if outcome == "met":
        return q(state="met")
    if outcome == "not_applicable":
        return q(state="not_applicable")
    if outcome == "breached":
        return q(state="breached") | q(
            state="pending", met_at__isnull=True, paused=False, due_at__lt=now
        )
    raise ValueError(outcome)


def milestone_running(milestone: Milestone) -> bool:
    """The stored row's clock is running: unmet, not paused, started."""
    return (
        milestone.met_at is None
        and not milestone.paused
        and milestone.due_at is not None
        and milestone.state in ("pending", "breached")
    )


def milestone_live_state(milestone: Milestone, *, now) -> tuple[str, bool]:
    """(state, at_risk) of a stored row as of ``now``. The row is as of the request's last
    event: a pending promise whose deadline has passed since is breached now."""
    late = milestone_running(milestone) and milestone.due_at is not None and milestone.due_at < now
    state = "breached" if late else milestone.state
    running = milestone_running(milestone)
    at_risk = bool(
        running and state == "pending" and milestone.warn_at is not None
        and milestone.warn_at <= now
    )  # fmt: skip
    return state, at_risk


def requests_without_engineer(requests: ServiceRequestQuerySet) -> ServiceRequestQuerySet:
    """Open requests nobody has been sent to yet (the hotline's and the manager's home,
    issue 13 §4)."""
    assigned = ServiceRequest.engineers.through.objects.filter(servicerequest_id=OuterRef("pk"))
    return requests.open().exclude(Exists(assigned))


def requests_awaiting_hospital_signature(
    requests: ServiceRequestQuerySet,
) -> ServiceRequestQuerySet:
    """Requests whose repair record the engineer has signed and the hospital not yet (the
    record is not frozen): what waits for the hospital user's signature (issue 13 §4)."""
    signed = Signature.objects.filter(record__request=OuterRef("pk"), amendment__isnull=True)
    return requests.filter(
        Exists(signed.filter(role=SignatureRole.ENGINEER)),
        repair_record__frozen_at__isnull=True,
    ).exclude(Exists(signed.filter(role=SignatureRole.HOSPITAL)))


def requests_reported_on(
    requests: ServiceRequestQuerySet, *, day: date, time_zone: str
) -> ServiceRequestQuerySet:
    """Requests reported on ``day`` as the calendar reads it in ``time_zone`` (the viewer's
    today on the hotline's home)."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return requests.filter(reported_at__gte=start, reported_at__lt=end)
