"""The planned-maintenance schedule: plan rules in, due dates and visits out (R-4.1, R-4.2;
issue 4 §1). Pure: no Django, no database; the same rules and horizon always give the same
visits.

Rules:
- Three kinds, each with a default frequency and tolerance window, both editable per
  contract: the monthly patrol (巡查, R-4.1, ±7 days), the quarterly comprehensive inspection
  (R-4.2, ±14 days) and the annual maintenance overhaul (年度维护检修, R-4.1, ±30 days).
- A rule falls due every ``interval_months`` from its anchor (the device's go-live or
  acceptance date), like ``rrule(MONTHLY, interval=n, dtstart=anchor)``, except that a day
  the month lacks is clamped to the month's last day instead of being skipped: a plan
  anchored on 31 January falls due on 28/29 February, 31 March, 30 April… Each due date is
  counted from the anchor (anchor + k × n months), never from the previous due date, so it
  returns to the 31st. An anchor on 29 February falls due on 28 February in common years.
- Coincidence: the larger kind covers the smaller (overhaul > inspection > patrol). An
  occurrence of a smaller kind whose due date lies within the tolerance window of a larger
  visit is absorbed into it: one visit, due on the larger one's date, its window that of its
  largest kind, fulfilling the union of the kinds. Each occurrence is absorbed by at most one
  visit (the nearest), and a visit absorbs at most one occurrence of each kind ("that
  quarter's inspection and that month's patrol"), so a monthly patrol is never skipped for a
  month that lies inside an overhaul's ±30 days but is not its month.
- Generation is horizon-independent: ``plan_visits`` decides coincidences over a margin
  around the horizon, so a rolling daily horizon gives the same visit (and ``visit_key``) for
  a date whichever day it runs; an occurrence absorbed by a visit outside the horizon is not
  returned on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DEFAULT = -1  # in a PlanRule: use the kind's default


class VisitKind(StrEnum):
    PATROL = "patrol"  # 巡查, monthly
    INSPECTION = "inspection"  # comprehensive inspection, quarterly
    OVERHAUL = "overhaul"  # 年度维护检修, yearly

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.value) for member in cls]

    @property
    def rank(self) -> int:
        """The larger kind covers the smaller: overhaul > inspection > patrol."""
        return _RANK[self]

    @property
    def default_interval_months(self) -> int:
        return _INTERVAL[self]

    @property
    def default_tolerance_days(self) -> int:
        return _TOLERANCE[self]


_RANK = {VisitKind.PATROL: 1, VisitKind.INSPECTION: 2, VisitKind.OVERHAUL: 3}
_INTERVAL = {VisitKind.PATROL: 1, VisitKind.INSPECTION: 3, VisitKind.OVERHAUL: 12}
_TOLERANCE = {VisitKind.PATROL: 7, VisitKind.INSPECTION: 14, VisitKind.OVERHAUL: 30}


@dataclass(frozen=True)
class PlanRule:
    """One planned obligation of a device: a kind, how often, how much slack, from when.

    ``interval_months`` and ``tolerance_days`` left at ``DEFAULT`` take the kind's default
    (1/3/12 months, ±7/±14/±30 days); a contract may set others.
    """

    kind: VisitKind
    anchor: date
    interval_months: int = DEFAULT
    tolerance_days: int = DEFAULT

    def __post_init__(self) -> None:
        kind = VisitKind(self.kind)
        object.__setattr__(self, "kind", kind)
        if self.interval_months == DEFAULT:
            object.__setattr__(self, "interval_months", kind.default_interval_months)
        if self.tolerance_days == DEFAULT:
            object.__setattr__(self, "tolerance_days", kind.default_tolerance_days)
        if self.interval_months < 1:
            raise ValueError(f"interval_months must be at least 1, not {self.interval_months}")
        if self.tolerance_days < 0:
            raise ValueError(f"tolerance_days must not be negative, not {self.tolerance_days}")

    def due_date(self, k: int) -> date:
        """The k-th due date (k = 0 is the anchor), clamped to the month's last day: what
        ``anchor + relativedelta(months=k * n)`` gives, seven times faster (generating for
        100,000 devices asks for about a million of these; docs/benchmarks.md)."""
        months = self.anchor.month - 1 + k * self.interval_months
        year, month = self.anchor.year + months // 12, months % 12 + 1
        return date(year, month, min(self.anchor.day, _month_days(year, month)))


def _month_days(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return _DAYS_IN_MONTH[month - 1]


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def occurrences(rule: PlanRule, *, start: date, end: date) -> list[date]:
    """The due dates of ``rule`` in [start, end], in order; none before the anchor."""
    if end < start:
        return []
    months = (start.year - rule.anchor.year) * 12 + start.month - rule.anchor.month
    k = max(0, months // rule.interval_months - 1)  # due dates before k are before start
    dates: list[date] = []
    while (due := rule.due_date(k)) <= end:
        if due >= start:
            dates.append(due)
        k += 1
    return dates


@dataclass(frozen=True, order=True)
class Obligation:
    """One occurrence of a rule: what a visit fulfils."""

    due_on: date
    kind: VisitKind


@dataclass(frozen=True)
class PlannedVisit:
    due_on: date
    window_start: date
    window_end: date
    kinds: frozenset[VisitKind]
    main_kind: VisitKind
    obligations: tuple[Obligation, ...] = ()  # the occurrences it fulfils, largest first


@dataclass
class _Draft:
    main: Obligation
    tolerance: int
    absorbed: dict[VisitKind, Obligation]

    def visit(self) -> PlannedVisit:
        obligations = (self.main, *self.absorbed.values())
        return PlannedVisit(
            due_on=self.main.due_on,
            window_start=self.main.due_on - timedelta(days=self.tolerance),
            window_end=self.main.due_on + timedelta(days=self.tolerance),
            kinds=frozenset(o.kind for o in obligations),
            main_kind=self.main.kind,
            obligations=tuple(sorted(obligations, key=lambda o: (-o.kind.rank, o.due_on))),
        )


def plan_visits(rules: Sequence[PlanRule], *, start: date, end: date) -> list[PlannedVisit]:
    """The visits of one device's ``rules`` due in [start, end], with the coincidence rule
    applied (see the module docstring), ordered by due date then largest kind first."""
    if end < start or not rules:
        return []
    # Coincidences near the horizon's edges depend on occurrences just outside it.
    margin = timedelta(days=2 * max(r.tolerance_days for r in rules) + 62)
    lo, hi = start - margin, end + margin
    by_rank = sorted(rules, key=lambda r: -r.kind.rank)
    drafts: list[_Draft] = []
    for rank in sorted({r.kind.rank for r in rules}, reverse=True):
        same_rank = [r for r in by_rank if r.kind.rank == rank]
        pending = [
            (Obligation(due, r.kind), r.tolerance_days)
            for r in same_rank
            for due in occurrences(r, start=lo, end=hi)
        ]
        # Every (distance, occurrence, larger visit) pair within that visit's window, nearest
        # first; ties go to the larger visit, then the earlier one.
        pairs = sorted(
            (abs((o.due_on - d.main.due_on).days), -d.main.kind.rank, d.main.due_on, i, j)
            for i, (o, _) in enumerate(pending)
            for j, d in enumerate(drafts)
            if abs((o.due_on - d.main.due_on).days) <= d.tolerance
        )
        taken: set[int] = set()
        for *_, i, j in pairs:
            obligation, draft = pending[i][0], drafts[j]
            if i in taken or obligation.kind in draft.absorbed:
                continue
            draft.absorbed[obligation.kind] = obligation
            taken.add(i)
        drafts.extend(
            _Draft(o, tolerance, {}) for i, (o, tolerance) in enumerate(pending) if i not in taken
        )
    visits = [d.visit() for d in drafts if start <= d.main.due_on <= end]
    return sorted(visits, key=lambda v: (v.due_on, -v.main_kind.rank))


def visit_key(device_id: int, visit: PlannedVisit) -> str:
    """A stable idempotency key: generating the same horizon twice creates nothing new."""
    return f"{device_id}:{visit.main_kind.value}:{visit.due_on.isoformat()}"


class WindowState(StrEnum):
    DONE = "done"
    UPCOMING = "upcoming"  # before the window
    DUE = "due"  # inside the window, both ends included
    OVERDUE = "overdue"  # after the window's last day and not done


def window_state(visit: PlannedVisit, *, today: date, done_on: date | None) -> str:
    """Where a visit stands on ``today`` (a local date in the hospital's zone)."""
    if done_on is not None:
        return WindowState.DONE
    if today < visit.window_start:
        return WindowState.UPCOMING
    if today <= visit.window_end:
        return WindowState.DUE
    return WindowState.OVERDUE


def local_due_instant(due_on: date, time_zone: str) -> datetime:
    """The start of the due day in the hospital's zone, as an aware datetime."""
    return datetime.combine(due_on, time.min, tzinfo=ZoneInfo(time_zone))
