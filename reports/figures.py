"""What a hospital's monthly report says (issue 14 §2): what was promised, what was done,
each promise's on-time rate, planned visits done against due, the open issues, the
satisfaction and the parts replaced.

Every number comes from the KPI selectors (``kpis.selectors``), asked as the hospital
itself would ask them (``customers.scoping.HospitalViewer``): the report can never show
what the hospital's own users could not see, nor count a figure another way than the KPI
page. Reads only; the result is plain JSON, stored with the PDF so that the page, the API
and the archived document agree."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from contracts.models import Contract
from core.durations import duration_words
from customers.models import Hospital
from customers.scoping import HospitalViewer
from kpis import selectors as kpis
from kpis.query import KpiQuery
from parts.models import MovementKind, StockMovement
from return_visits.models import ReturnVisit, ReturnVisitState
from service.models import ServiceEvent, ServiceRequest, Severity
from service.selectors import policy_for
from service.timeline import EventType
from training.models import SessionState, TrainingSession

REPAIRED = [EventType.RESOLVED, EventType.REMOTE_RESOLVED]
# How many open requests the report lists by name (the rest are counted).
OPEN_LISTED = 30


def month_bounds(month: date) -> tuple[date, date]:
    """The first and last local day of ``month`` (any day of it)."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def _query(hospital: Hospital, first: date, last: date, now: datetime) -> KpiQuery:
    viewer = HospitalViewer(hospital_id=hospital.pk, time_zone=hospital.time_zone)
    return KpiQuery(
        user=viewer,
        first_day=first,
        last_day=last,
        group_by="month",
        time_zone=hospital.time_zone,
        now=now,
    )


def _seconds(value: float | None) -> str:
    return duration_words(value) if value is not None else ""


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _promised(hospital: Hospital, first: date, last: date) -> list[dict[str, Any]]:
    """The contracts in force in the month, each with the promises of each severity."""
    contracts = Contract.objects.filter(hospital=hospital).order_by("number")
    promised = []
    for contract in contracts:
        severities = []
        for severity in (Severity.NORMAL, Severity.EMERGENCY):
            policy = policy_for(contract=contract, severity=severity)
            severities.append(
                {
                    "severity": str(Severity(severity).label),
                    "promises": [
                        {"name": definition.name, "target": duration_words(
                            definition.target.total_seconds())}
                        for definition in policy.milestones.order_by("position", "pk")
                    ],
                }
            )  # fmt: skip
        promised.append(
            {"number": contract.number, "title": contract.title, "severities": severities}
        )
    return promised


def _done(hospital: Hospital, start: datetime, end: datetime) -> dict[str, int]:
    requests = ServiceRequest.objects.filter(hospital=hospital)
    events = ServiceEvent.objects.filter(
        request__hospital=hospital, occurred_at__gte=start, occurred_at__lt=end
    )
    return {
        "reported": requests.filter(reported_at__gte=start, reported_at__lt=end).count(),
        # A request repaired twice (reopened in between) is one repair done.
        "resolved": events.filter(type__in=REPAIRED).values("request_id").distinct().count(),
        "remote_fixes": events.filter(type=EventType.REMOTE_RESOLVED).count(),
        "arrivals": events.filter(type=EventType.ARRIVED).count(),
        "return_visits": ReturnVisit.objects.filter(
            hospital=hospital, recorded_at__gte=start, recorded_at__lt=end
        )
        .exclude(state=ReturnVisitState.CANCELLED)
        .count(),
        "trainings": TrainingSession.objects.filter(
            hospital=hospital, state=SessionState.HELD, starts_at__gte=start, starts_at__lt=end
        ).count(),
    }


def _open_requests(hospital: Hospital, end: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """Requests that were open when the month ended: reported before its end, and not
    repaired by then, or reopened after their last repair before then."""
    before_end = ServiceEvent.objects.filter(request=OuterRef("pk"), occurred_at__lt=end)
    last_repair = before_end.filter(type__in=REPAIRED).order_by("-occurred_at")
    last_reopen = before_end.filter(type=EventType.REOPENED).order_by("-occurred_at")
    open_at_end = (
        ServiceRequest.objects.filter(hospital=hospital, reported_at__lt=end)
        .annotate(
            repaired_at=Subquery(last_repair.values("occurred_at")[:1]),
            reopened_at=Subquery(last_reopen.values("occurred_at")[:1]),
        )
        .filter(Q(repaired_at__isnull=True) | Q(reopened_at__gt=F("repaired_at")))
        .select_related("device__product_model", "department")
        .order_by("reported_at", "pk")
    )
    listed = [
        {
            "number": request.number,
            "device": str(request.device),
            "department": request.department.name,
            "reported_at": timezone.localtime(request.reported_at, zone).strftime("%Y-%m-%d %H:%M"),
            "symptom": request.description[:120],
        }
        for request in open_at_end[:OPEN_LISTED]
    ]
    return {"count": open_at_end.count(), "listed": listed}


def _parts_replaced(hospital: Hospital, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Parts issued to the hospital's requests in the month, net of those given back."""
    movements = (
        StockMovement.objects.filter(
            request__hospital=hospital,
            kind__in=[MovementKind.ISSUE, MovementKind.RETURN],
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .select_related("part", "serial_unit", "request")
        .order_by("request__number", "part__part_number", "pk")
    )
    net: dict[tuple[str, str, str], int] = {}
    names: dict[tuple[str, str, str], str] = {}
    for movement in movements:
        serial = movement.serial_unit.serial_number if movement.serial_unit else ""
        number = movement.request.number if movement.request else ""
        key = (number, movement.part.part_number, serial)
        sign = 1 if movement.kind == MovementKind.ISSUE else -1
        net[key] = net.get(key, 0) + sign * movement.quantity
        names[key] = movement.part.name
    return [
        {
            "request": request,
            "part_number": part_number,
            "name": names[(request, part_number, serial)],
            "serial": serial,
            "quantity": quantity,
        }
        for (request, part_number, serial), quantity in net.items()
        if quantity > 0
    ]


def month_figures(hospital: Hospital, month: date, *, now: datetime | None = None) -> dict:
    """The report's content for ``hospital`` and the month of ``month``, as of ``now``."""
    now = now or timezone.now()
    zone = ZoneInfo(hospital.time_zone)
    first, last = month_bounds(month)
    query = _query(hospital, first, last, now)
    start, end = query.start, query.end

    on_time = [
        {
            "promise": row.milestone_label,
            "met": row.met,
            "breached": row.breached,
            "not_applicable": row.not_applicable,
            "rate": _percent(row.rate),
        }
        for row in kpis.on_time(query)
    ]
    times = next(iter(kpis.repair_times(query)), None)  # one group: the month
    visits = [row for row in kpis.visit_completion(query) if row.hospital is None]
    this_month = kpis.satisfaction(query)
    before = kpis.satisfaction(_query(hospital, *month_bounds(previous_month(first)), now))
    return {
        "hospital": hospital.name,
        "month": first.isoformat(),
        "time_zone": hospital.time_zone,
        "promised": _promised(hospital, first, last),
        "done": _done(hospital, start, end),
        "on_time": on_time,
        "times": {
            "requests": times.requests if times else 0,
            "arrive_median": _seconds(times.arrive_median_seconds if times else None),
            "arrive_p90": _seconds(times.arrive_p90_seconds if times else None),
            "resolve_median": _seconds(times.resolve_median_seconds if times else None),
            "resolve_p90": _seconds(times.resolve_p90_seconds if times else None),
            "first_time_fix_rate": _percent(times.first_time_fix_rate if times else None),
        },
        "visits": {
            "scheduled": visits[0].scheduled if visits else 0,
            "done": visits[0].done if visits else 0,
            "done_in_window": visits[0].done_in_window if visits else 0,
            "rate": float(visits[0].rate) if visits and visits[0].rate is not None else None,
        },
        "open_requests": _open_requests(hospital, end, zone),
        "satisfaction": {
            "average": _round(kpis.satisfaction_average(this_month)),
            "sheets": sum(row.sheets for row in this_month),
            "previous_average": _round(kpis.satisfaction_average(before)),
        },
        "parts": _parts_replaced(hospital, start, end),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
