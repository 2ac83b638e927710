"""Monthly roll-ups of the on-time counts and the repair times (issue 14 §2): a year of a
million requests is too many to count on every page view, so the worker counts each
calendar month once (``refresh``, ``kpis.tasks``) with the very selectors that count the
records, per grouping, and the page and API add up the months a window covers.

A window is served from the roll-ups only when it means the same there: a vendor viewer
(every hospital: the roll-ups are not per department), the vendor's ``TIME_ZONE`` (the
months' zone), a window of whole months (from a month's first day to its last day, or to
today or later: nothing is reported after today), and every month in it rolled up. Any
other window is counted from the records. The figures are then as of the months'
``refreshed_at`` (the current month every 10 minutes, the last two years nightly), which
the page shows; a test checks that a fresh roll-up gives exactly what the records give.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from . import selectors
from .models import MonthlyFigures, RollupMonth
from .query import GROUP_BY, KpiQuery

DIMENSIONS = tuple(GROUP_BY)


@dataclass
class Everyone:
    """The viewer the worker counts as: every hospital, the vendor's zone."""

    is_authenticated: bool = True
    is_active: bool = True
    is_vendor_staff: bool = True
    effective_vendor_role: str = "admin"

    def display_time_zone(self) -> str:
        return settings.TIME_ZONE


def _month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _encode(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(settings.TIME_ZONE)).date().replace(day=1).isoformat()
    if isinstance(value, date):
        return value.replace(day=1).isoformat()
    return str(value)


def _decode(dimension: str, value: str) -> Any:
    if dimension == "month":
        return date.fromisoformat(value)
    if dimension == "severity":
        return value
    return int(value) if value else None


@transaction.atomic
def refresh(month: date, *, now: datetime | None = None) -> RollupMonth:
    """Count ``month`` (any day of it) again, every grouping, as of ``now``."""
    now = now or timezone.now()
    month = month.replace(day=1)
    base = KpiQuery(
        user=Everyone(),
        first_day=month,
        last_day=_month_end(month),
        group_by="month",
        time_zone=settings.TIME_ZONE,
        now=now,
    )
    rolled, _created = RollupMonth.objects.update_or_create(
        month=month, defaults={"refreshed_at": now}
    )
    rolled.figures.all().delete()
    times = selectors.request_times(selectors.requests_in_window(base))
    figures: list[MonthlyFigures] = []
    for dimension in DIMENSIONS:
        query = replace(base, group_by=dimension)
        rows: dict[str, MonthlyFigures] = {}

        def row(value: Any, dimension: str = dimension, rows: dict = rows) -> MonthlyFigures:
            key = "" if dimension == "month" else _encode(value)
            if key not in rows:
                rows[key] = MonthlyFigures(month=rolled, dimension=dimension, value=key)
            return rows[key]

        for (value, promise), counts in selectors.on_time_counts(query).items():
            row(value).on_time[promise] = list(counts)
        for value, sample in selectors.repair_samples(query, times=times).items():
            figure = row(value)
            figure.requests = sample.requests
            figure.arrive_minutes = {str(k): n for k, n in sample.arrive_minutes.items()}
            figure.resolve_minutes = {str(k): n for k, n in sample.resolve_minutes.items()}
            figure.fix_candidates = sample.fix_candidates
            figure.first_time_fixes = sample.first_time_fixes
        if dimension == "month":
            whole = row(None)
            requests = selectors.requests_in_window(query)
            whole.causes = dict(
                requests.values("fault_cause").annotate(n=Count("pk"))
                .values_list("fault_cause", "n")
            )  # fmt: skip
            whole.symptoms = selectors.symptom_counts(requests, selectors.symptom_keywords())
        if dimension == "model":
            for model_id, n in (
                selectors.failures_in_window(query).values("device__product_model_id")
                .annotate(n=Count("pk")).values_list("device__product_model_id", "n")
            ):  # fmt: skip
                row(model_id).failures = n
        figures.extend(rows.values())
    MonthlyFigures.objects.bulk_create(figures, batch_size=1000)
    return rolled


def refresh_recent(*, now: datetime | None = None, months: int = 2) -> list[RollupMonth]:
    """This month and the ``months - 1`` before it (the worker's 10-minute job; the
    nightly one passes 24)."""
    now = now or timezone.now()
    today = now.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    month = today.replace(day=1)
    done = []
    for _ in range(months):
        done.append(refresh(month, now=now))
        month = (month - timedelta(days=1)).replace(day=1)
    return done


def covered_months(query: KpiQuery) -> list[RollupMonth] | None:
    """The rolled-up months that make up ``query``'s window, or None when the roll-ups
    cannot answer it (see the module's docstring)."""
    if not query.sees_engineers or query.time_zone != settings.TIME_ZONE:
        return None
    today = query.now.astimezone(query.zone).date()
    if query.first_day.day != 1:
        return None
    if query.last_day != _month_end(query.last_day) and query.last_day < today:
        return None
    wanted = [m for m in _months(query.first_day, query.last_day) if m <= today]
    found = list(RollupMonth.objects.filter(month__in=wanted))
    return found if len(found) == len(wanted) else None


def _figures(query: KpiQuery):
    months = covered_months(query)
    if months is None:
        return None
    return MonthlyFigures.objects.filter(month__in=months, dimension=query.group_by).select_related(
        "month"
    )


def _group_value(query: KpiQuery, figure: MonthlyFigures) -> Any:
    if query.group_by == "month":
        return figure.month.month
    return _decode(query.group_by, figure.value)


def on_time_counts(query: KpiQuery) -> selectors.OnTimeCounts | None:
    """``selectors.on_time_counts`` added up from the roll-ups; None when they cannot
    answer the window."""
    figures = _figures(query)
    if figures is None:
        return None
    counts: dict[tuple[Any, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for figure in figures:
        value = _group_value(query, figure)
        for promise, numbers in figure.on_time.items():
            total = counts[(value, promise)]
            for i, number in enumerate(numbers):
                total[i] += number
    return {key: (met, breached, na) for key, (met, breached, na) in counts.items()}


def repair_samples(query: KpiQuery) -> dict[Any, selectors.RepairSamples] | None:
    """``selectors.repair_samples`` added up from the roll-ups; None as above."""
    figures = _figures(query)
    if figures is None:
        return None
    samples: dict[Any, selectors.RepairSamples] = defaultdict(selectors.RepairSamples)
    for figure in figures:
        if not figure.requests:
            continue
        samples[_group_value(query, figure)].merge(
            selectors.RepairSamples(
                requests=figure.requests,
                arrive_minutes={int(k): n for k, n in figure.arrive_minutes.items()},
                resolve_minutes={int(k): n for k, n in figure.resolve_minutes.items()},
                fix_candidates=figure.fix_candidates,
                first_time_fixes=figure.first_time_fixes,
            )
        )
    return samples


def month_counts(query: KpiQuery, field: str) -> dict[str, int] | None:
    """The window's ``causes`` or ``symptoms`` counts added up from the months' rows; None
    when the roll-ups cannot answer the window (a grouping plays no part here)."""
    months = covered_months(query)
    if months is None:
        return None
    total: dict[str, int] = defaultdict(int)
    for counts in MonthlyFigures.objects.filter(month__in=months, dimension="month").values_list(
        field, flat=True
    ):
        for key, n in counts.items():
            total[key] += n
    return dict(total)


def model_failures(query: KpiQuery) -> dict[int, int] | None:
    """Failures per product model (``selectors.failures_in_window``) added up from the months."""
    months = covered_months(query)
    if months is None:
        return None
    total: dict[int, int] = defaultdict(int)
    for value, n in MonthlyFigures.objects.filter(
        month__in=months, dimension="model", failures__gt=0
    ).values_list("value", "failures"):
        total[int(value)] += n
    return dict(total)


def as_of(query: KpiQuery) -> datetime | None:
    """When the figures the page shows were counted: the oldest of the months' refreshes
    when the roll-ups answer the window; None when the records do (live)."""
    months = covered_months(query)
    if not months:
        return None
    return min(month.refreshed_at for month in months)
