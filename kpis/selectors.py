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
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse

from assets.models import Device, ProductModel
from customers.scoping import scope_q
from maintenance.selectors import CompletionRow, completion_rates
from parts.models import Loan, MovementKind, SparePart, StockMovement
from return_visits.models import ReturnVisit
from service.filters import PROMISES
from service.models import FaultCause, Milestone, ServiceEvent, ServiceRequest
from service.selectors import promise_outcome_q

from . import stats
from .groups import Group, group_expression, resolve_groups
from .query import KpiQuery

PROMISE_LABELS = dict(PROMISES)
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
        **((group.params or {}) if group is not None else {}),
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
        if started_at is None or met_at is None:  # a met promise has both; typed loosely
            continue
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


# --- planned visits done within their window (maintenance's own figure) ------------------
def visit_completion(query: KpiQuery) -> list[CompletionRow]:
    """The planned-visit completion of the window's local days, as maintenance computes it
    (``maintenance.selectors.completion_rates``: obligations due, done, done within their
    visit's window; one row per hospital, then the total row)."""
    return completion_rates(query.user, start=query.first_day, end=query.last_day)


def visits_url(query: KpiQuery, hospital_id: int | None = None) -> str:
    params = {"due_from": query.first_day.isoformat(), "due_to": query.last_day.isoformat()}
    if hospital_id is not None:
        params["hospital"] = str(hospital_id)
    return f"{reverse('maintenance:visit_list')}?{urlencode(params)}"


# --- return-visit satisfaction ------------------------------------------------------------
@dataclass(frozen=True)
class SatisfactionRow:
    month: date
    sheets: int
    average: float | None
    link: str = field(default="", compare=False)


def satisfaction(query: KpiQuery) -> list[SatisfactionRow]:
    """The average satisfaction (1-5) of the return-visit sheets that state one, per month
    of the window (a return visit belongs to a month; the months the window touches count
    whole), oldest first: the trend. A visit without a satisfaction is left out."""
    first_month = query.first_day.replace(day=1)
    visits = (
        ReturnVisit.objects.for_user(query.user)
        .filter(month__gte=first_month, month__lte=query.last_day, satisfaction__isnull=False)
        .order_by()
        .values("month")
        .annotate(sheets=Count("pk"), total=Sum("satisfaction"))
        .order_by("month")
    )
    url = reverse("return_visits:return_visit_list")
    return [
        SatisfactionRow(
            month=row["month"],
            sheets=row["sheets"],
            average=row["total"] / row["sheets"],
            link=f"{url}?{urlencode({'month': row['month'].strftime('%Y-%m')})}",
        )
        for row in visits
    ]


def satisfaction_average(rows: list[SatisfactionRow]) -> float | None:
    """The average of every sheet of the window (not of the monthly averages)."""
    return stats.mean(
        value for row in rows if row.average is not None for value in [row.average] * row.sheets
    )


# --- MTBF ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MtbfRow:
    label: str
    key: int
    devices: int
    operating_hours: float
    failures: int
    mtbf_hours: float | None
    link: str = field(default="", compare=False)


def _failures(query: KpiQuery) -> QuerySet[ServiceRequest]:
    """A failure: a service request of the window on a device already live, whatever its
    severity or channel, except one whose cause was found to be non-quality (misuse, an
    accident, an outside cause: not the equipment's reliability)."""
    return (
        requests_in_window(query)
        .exclude(fault_cause=FaultCause.NON_QUALITY)
        .filter(device__live_on__isnull=False, device__live_on__lte=TruncDate("reported_at"))
    )


def _operating_hours(query: KpiQuery, live_on: date) -> float:
    """Hours a device live since ``live_on`` was in service within the window (local
    days, up to today): from the later of go-live and the window's first day to the end of
    the earlier of the window's last day and today."""
    today = query.now.astimezone(query.zone).date()
    first = max(live_on, query.first_day)
    last = min(query.last_day, today)
    return max((last - first).days + 1, 0) * 24.0


def mtbf(query: KpiQuery, *, per: str = "model", limit: int = 20) -> list[MtbfRow]:
    """Mean time between failures within the window: the devices' operating hours
    (``_operating_hours``, devices live by the window's end) over their failures
    (``_failures``). ``per="model"``: one row per product model, lowest MTBF first (None,
    no failure, last); ``per="device"``: the ``limit`` devices with failures, lowest first."""
    devices = (
        Device.objects.for_user(query.user)
        .filter(live_on__isnull=False, live_on__lte=query.last_day)
        .order_by()
        .values_list("pk", "product_model_id", "live_on")
    )
    failures = dict(
        _failures(query).values("device_id").annotate(n=Count("pk")).values_list("device_id", "n")
    )
    hours: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    members: dict[int, int] = defaultdict(int)
    for device_id, model_id, live_on in devices:
        key = model_id if per == "model" else device_id
        if per == "device" and device_id not in failures:
            continue
        hours[key] += _operating_hours(query, live_on)
        counts[key] += failures.get(device_id, 0)
        members[key] += 1
    labels: dict[int, str]
    if per == "model":
        labels = {m.pk: str(m) for m in ProductModel.objects.filter(pk__in=hours)}
    else:
        labels = {
            d.pk: str(d)
            for d in Device.objects.filter(pk__in=hours).select_related("product_model")
        }
    rows = [
        MtbfRow(
            label=labels[key],
            key=key,
            devices=members[key],
            operating_hours=hours[key],
            failures=counts[key],
            mtbf_hours=hours[key] / counts[key] if counts[key] else None,
            link=_mtbf_link(query, per, key),
        )
        for key in hours
    ]
    rows.sort(key=lambda r: (r.mtbf_hours is None, r.mtbf_hours or 0, r.label))
    return rows[:limit] if per == "device" else rows


def _mtbf_link(query: KpiQuery, per: str, key: int) -> str:
    params = {"model": str(key)} if per == "model" else {"device": str(key)}
    return requests_url(query, None, **params) or ""


# --- fault causes and symptoms: the Pareto ------------------------------------------------
@dataclass(frozen=True)
class ParetoRow:
    key: str
    label: str
    count: int
    share: float | None
    cumulative: float | None
    link: str = field(default="", compare=False)


def pareto(counts: list[tuple[str, str, int, str]]) -> list[ParetoRow]:
    """(key, label, count, link) most frequent first, each with its share of the total and
    the running share (the Pareto curve); zero counts are left out."""
    ordered = sorted((c for c in counts if c[2] > 0), key=lambda c: (-c[2], c[1]))
    total = sum(c[2] for c in ordered)
    rows, running = [], 0
    for key, label, count, link in ordered:
        running += count
        rows.append(
            ParetoRow(
                key=key,
                label=label,
                count=count,
                share=stats.rate(count, total),
                cumulative=stats.rate(running, total),
                link=link,
            )
        )
    return rows


def fault_causes(query: KpiQuery) -> list[ParetoRow]:
    """The requests of the window by fault cause (quality, non-quality, not yet
    determined), most frequent first."""
    counted = dict(
        requests_in_window(query).values("fault_cause").annotate(n=Count("pk"))
        .values_list("fault_cause", "n")
    )  # fmt: skip
    return pareto(
        [
            (
                value,
                str(label),
                counted.get(value, 0),
                requests_url(query, None, fault_cause=value) or "",
            )
            for value, label in FaultCause.choices
        ]
    )


def symptom_keywords() -> list[str]:
    """The symptom words of the parts catalogue (the vocabulary dispatch matches fault
    reports with), each once, case kept from its first appearance."""
    words: dict[str, str] = {}
    for text in SparePart.objects.exclude(symptom_keywords="").values_list(
        "symptom_keywords", flat=True
    ):
        for word in text.replace("，", ",").split(","):
            word = word.strip()
            if word:
                words.setdefault(word.casefold(), word)
    return sorted(words.values(), key=str.casefold)


def symptoms(query: KpiQuery) -> list[ParetoRow]:
    """The requests of the window whose symptom (the fault report's text) contains each
    of the catalogue's symptom words (case ignored), most frequent first. A report with two
    words counts for both; one with none counts nowhere."""
    words = symptom_keywords()
    if not words:
        return []
    counted = requests_in_window(query).aggregate(
        **{
            f"w{i}": Count("pk", filter=Q(description__icontains=word))
            for i, word in enumerate(words)
        }
    )
    return pareto(
        [
            (word, word, counted[f"w{i}"], requests_url(query, None, symptom=word) or "")
            for i, word in enumerate(words)
        ]
    )


# --- parts consumed and loaner days (the vendor's own figures) ---------------------------
@dataclass(frozen=True)
class PartsRow:
    part_number: str
    name: str
    quantity: int
    unit_cost: Decimal
    cost: Decimal
    currency: str
    link: str = field(default="", compare=False)


def parts_consumed(query: KpiQuery) -> list[PartsRow]:
    """Parts issued to service requests within the window (local days of the movement),
    less those given back from a request in the window, per part, at the part's cost price
    (as the charge statements price them), largest cost first. Vendor staff only."""
    movements = (
        StockMovement.objects.filter(
            request__isnull=False,
            kind__in=[MovementKind.ISSUE, MovementKind.RETURN],
            occurred_at__gte=query.start,
            occurred_at__lt=query.end,
        )
        .order_by()
        .values("part_id", "kind")
        .annotate(quantity=Sum("quantity"))
    )
    net: dict[int, int] = defaultdict(int)
    for row in movements:
        sign = 1 if row["kind"] == MovementKind.ISSUE else -1
        net[row["part_id"]] += sign * row["quantity"]
    url = reverse("parts:movement_list")
    rows = []
    for part in SparePart.objects.filter(pk__in=[pk for pk, n in net.items() if n > 0]):
        quantity = net[part.pk]
        params = {
            "kind": MovementKind.ISSUE,
            "part": str(part.pk),
            "occurred_from": query.first_day.isoformat(),
            "occurred_to": query.last_day.isoformat(),
        }
        rows.append(
            PartsRow(
                part_number=part.part_number,
                name=part.name,
                quantity=quantity,
                unit_cost=part.cost_price,
                cost=part.cost_price * quantity,
                currency=part.currency,
                link=f"{url}?{urlencode(params)}",
            )
        )
    rows.sort(key=lambda r: (-r.cost, r.part_number))
    return rows


@dataclass(frozen=True)
class LoanerDays:
    loans: int
    days: float


def loaner_days(query: KpiQuery) -> LoanerDays:
    """The days loaner units were installed at hospitals within the window: each loan's
    overlap with the window (to its return, or to ``now`` while out), summed, in days of
    24 h; ``loans`` is how many loans overlapped. Vendor staff only."""
    horizon = min(query.end, query.now)
    loans = Loan.objects.filter(installed_at__lt=horizon).filter(
        Q(returned_at__isnull=True) | Q(returned_at__gt=query.start)
    )
    total, count = 0.0, 0
    for installed_at, returned_at in loans.values_list("installed_at", "returned_at"):
        start = max(installed_at, query.start)
        end = min(returned_at or horizon, horizon)
        if end > start:
            total += (end - start).total_seconds()
            count += 1
    return LoanerDays(loans=count, days=total / 86400)
