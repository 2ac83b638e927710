"""One selector per KPI (issue 14 §2): each reads the records and answers plain rows
(dataclasses), so a page, the API and an export show the same figures. What each figure
counts is defined in its docstring and in docs/kpis.md.

Every selector starts from the viewer's scope (``customers.scoping``): a hospital's users
count only their hospital's (or departments') records. Requests belong to the window by
the moment they were reported, in the viewer's local days (``KpiQuery``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse

from customers.scoping import scope_q
from service.filters import PROMISES
from service.models import Milestone, ServiceEvent, ServiceRequest
from service.selectors import promise_outcome_q

from . import stats
from .groups import Group, group_expression, resolve_groups
from .query import KpiQuery

PROMISE_LABELS = {key: label for key, label in PROMISES}
PROMISE_ORDER = {key: position for position, (key, _label) in enumerate(PROMISES)}
# A repair that holds this long is a first-time fix (docs/kpis.md).
REOPEN_WINDOW = timedelta(days=30)
ARRIVE_PROMISE = "on_site"
RESOLVE_PROMISE = "resolved"


def requests_in_window(query: KpiQuery) -> QuerySet[ServiceRequest]:
    """The requests the figures count: in the viewer's scope, reported within the window."""
    return (
        ServiceRequest.objects.for_user(query.user)
        .filter(reported_at__gte=query.start, reported_at__lt=query.end)
        .order_by()
    )


def requests_url(query: KpiQuery, group: Group | None = None, **filters: str) -> str | None:
    """The request list showing the requests behind a figure: the window, the group, and
    ``filters`` (e.g. ``promise="on_site.met"``); None when the list cannot select the
    group (requests nobody was assigned to)."""
    if group is not None and group.params is None:
        return None
    params = {
        "reported_from": query.first_day.isoformat(),
        "reported_to": query.last_day.isoformat(),
        **(group.params if group is not None else {}),
        **filters,
    }
    return f"{reverse('service:request_list')}?{urlencode(params)}"


# --- on-time rate of each promise ---------------------------------------------------------
@dataclass(frozen=True)
class OnTimeRow:
    group: str
    group_key: str
    milestone: str
    milestone_label: str
    met: int
    breached: int
    not_applicable: int
    rate: float | None
    links: dict[str, str | None] = field(default_factory=dict, compare=False)


def on_time(query: KpiQuery) -> list[OnTimeRow]:
    """Per group and promise (milestone key) of the requests reported in the window: how
    many were kept in time (``met``), kept late or missed (``breached``: a kept-late promise,
    or one still unmet whose deadline passed with its clock running, as of ``query.now``),
    not applicable (an on-site promise after a remote fix before anyone arrived). A promise
    still pending within its deadline, or paused, counts nowhere yet. ``rate`` is
    met / (met + breached); None when neither. A request with two engineers counts for
    each of them."""
    milestones = Milestone.objects.filter(
        scope_q(query.user, hospital="request__hospital_id", department="request__department_id"),
        request__reported_at__gte=query.start,
        request__reported_at__lt=query.end,
    ).order_by()
    counted = (
        milestones.values(
            group_value=group_expression(query, prefix="request__"), milestone=F("key")
        )
        .annotate(
            met=Count("pk", filter=promise_outcome_q("met", now=query.now)),
            breached=Count("pk", filter=promise_outcome_q("breached", now=query.now)),
            not_applicable=Count("pk", filter=promise_outcome_q("not_applicable", now=query.now)),
        )
        .filter(Q(met__gt=0) | Q(breached__gt=0) | Q(not_applicable__gt=0))
    )
    raw = list(counted)
    groups = resolve_groups(query, (row["group_value"] for row in raw))
    rows = []
    for row in raw:
        group = groups[row["group_value"]]
        key = row["milestone"]
        rows.append(
            OnTimeRow(
                group=group.label,
                group_key=group.key,
                milestone=key,
                milestone_label=str(PROMISE_LABELS.get(key, key)),
                met=row["met"],
                breached=row["breached"],
                not_applicable=row["not_applicable"],
                rate=stats.rate(row["met"], row["met"] + row["breached"]),
                links={
                    outcome: requests_url(query, group, promise=f"{key}.{outcome}")
                    for outcome in ("met", "breached", "not_applicable")
                },
            )
        )
    order = {group.key: group.sort for group in groups.values()}
    rows.sort(
        key=lambda r: (
            order[r.group_key],
            PROMISE_ORDER.get(r.milestone, len(PROMISE_ORDER)),
            r.milestone,
        )
    )
    return rows


# --- time to arrive, time to resolve, first-time fix --------------------------------------
@dataclass
class RequestTimes:
    """One request's figures: seconds to the first arrival and to the repair (each None
    when not reached), and whether it is a first-time fix (None: not a candidate)."""

    arrive_seconds: float | None = None
    resolve_seconds: float | None = None
    first_time_fix: bool | None = None


@dataclass(frozen=True)
class RepairTimesRow:
    group: str
    group_key: str
    requests: int
    arrived: int
    arrive_median_seconds: float | None
    arrive_p90_seconds: float | None
    resolved: int
    resolve_median_seconds: float | None
    resolve_p90_seconds: float | None
    fix_candidates: int
    first_time_fixes: int
    first_time_fix_rate: float | None
    link: str | None = field(default=None, compare=False)


def _clock_seconds(started_at: datetime, met_at: datetime, paused_seconds: int) -> float:
    """The time a promise's clock ran: from its start to its being met, less the paused
    time the clock counted."""
    return (met_at - started_at).total_seconds() - paused_seconds


def request_times(requests: QuerySet[ServiceRequest]) -> dict[int, RequestTimes]:
    """``RequestTimes`` of each of ``requests``.

    - To arrive: the ``on_site`` promise's clock from the report to the first arrival
      that met it, paused time excluded as the clock counts it.
    - To resolve: the ``resolved`` promise's clock from the report to the repair (on site
      or by phone) that stands (a reopening voids the repairs before it), paused time
      excluded the same way.
    - First-time fix: a candidate is a request repaired on site (a ``resolved`` step);
      it is a first-time fix when exactly one arrival came before its first repair and no
      reopening followed within 30 days of that repair. A fix by phone alone is no
      candidate (nobody went on site)."""
    times: dict[int, RequestTimes] = defaultdict(RequestTimes)
    met = Milestone.objects.filter(
        request__in=requests, key__in=[ARRIVE_PROMISE, RESOLVE_PROMISE], met_at__isnull=False
    ).values_list("request_id", "key", "started_at", "met_at", "paused_seconds")
    for request_id, key, started_at, met_at, paused in met.order_by():
        seconds = _clock_seconds(started_at, met_at, paused)
        if key == ARRIVE_PROMISE:
            times[request_id].arrive_seconds = seconds
        else:
            times[request_id].resolve_seconds = seconds
    steps: dict[int, list[tuple[datetime, int, str]]] = defaultdict(list)
    events = ServiceEvent.objects.filter(
        request__in=requests, type__in=["arrived", "resolved", "reopened"]
    ).values_list("request_id", "occurred_at", "pk", "type")
    for request_id, occurred_at, pk, type_ in events.order_by():
        steps[request_id].append((occurred_at, pk, type_))
    for request_id, timeline in steps.items():
        timeline.sort()
        first_repair = next((at for at, _pk, t in timeline if t == "resolved"), None)
        if first_repair is None:
            continue
        arrivals = sum(1 for at, _pk, t in timeline if t == "arrived" and at <= first_repair)
        reopened = any(
            t == "reopened" and first_repair < at <= first_repair + REOPEN_WINDOW
            for at, _pk, t in timeline
        )
        times[request_id].first_time_fix = arrivals == 1 and not reopened
    return times


def repair_times(query: KpiQuery) -> list[RepairTimesRow]:
    """Per group of the requests reported in the window: how many, the median and 90th
    percentile of the time to arrive and to resolve (``request_times``; over the requests
    that got there), and the first-time-fix rate (first-time fixes / candidates)."""
    requests = requests_in_window(query)
    members: dict[object, set[int]] = defaultdict(set)
    for request_id, value in requests.values_list("pk", group_expression(query)):
        members[value].add(request_id)
    times = request_times(requests)
    groups = resolve_groups(query, members)
    rows = []
    for value, request_ids in members.items():
        group = groups[value]
        mine = [times[pk] for pk in request_ids if pk in times]
        arrive = [t.arrive_seconds for t in mine if t.arrive_seconds is not None]
        resolve = [t.resolve_seconds for t in mine if t.resolve_seconds is not None]
        candidates = [t.first_time_fix for t in mine if t.first_time_fix is not None]
        fixes = sum(1 for fixed in candidates if fixed)
        rows.append(
            RepairTimesRow(
                group=group.label,
                group_key=group.key,
                requests=len(request_ids),
                arrived=len(arrive),
                arrive_median_seconds=stats.median(arrive),
                arrive_p90_seconds=stats.percentile(arrive, 0.9),
                resolved=len(resolve),
                resolve_median_seconds=stats.median(resolve),
                resolve_p90_seconds=stats.percentile(resolve, 0.9),
                fix_candidates=len(candidates),
                first_time_fixes=fixes,
                first_time_fix_rate=stats.rate(fixes, len(candidates)),
                link=requests_url(query, group),
            )
        )
    order = {group.key: group.sort for group in groups.values()}
    rows.sort(key=lambda r: order[r.group_key])
    return rows
