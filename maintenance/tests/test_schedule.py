"""The planned-maintenance schedule (``maintenance.schedule``), table-driven and without a
database or Django (R-4.1, R-4.2; issue 4 §1, §7).

Defaults: monthly patrol ±7 days, quarterly inspection ±14, annual overhaul ±30. Expected
dates are worked out by hand from the anchor (anchor + k × interval months, clamped to the
month's last day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maintenance.schedule import (
    Obligation,
    PlannedVisit,
    PlanRule,
    VisitKind,
    WindowState,
    local_due_instant,
    occurrences,
    plan_visits,
    visit_key,
    window_state,
)

PATROL, INSPECTION, OVERHAUL = VisitKind.PATROL, VisitKind.INSPECTION, VisitKind.OVERHAUL
ANCHOR = date(2026, 1, 15)
YEAR_2026 = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def standard_rules(anchor: date = ANCHOR) -> list[PlanRule]:
    return [PlanRule(PATROL, anchor), PlanRule(INSPECTION, anchor), PlanRule(OVERHAUL, anchor)]


# --- kinds and rules -----------------------------------------------------------------------


def test_kind_ranks_larger_covers_smaller() -> None:
    assert OVERHAUL.rank > INSPECTION.rank > PATROL.rank


@pytest.mark.parametrize(
    ("kind", "months", "tolerance"),
    [(PATROL, 1, 7), (INSPECTION, 3, 14), (OVERHAUL, 12, 30)],
    ids=["patrol-monthly-7d", "inspection-quarterly-14d", "overhaul-yearly-30d"],
)
def test_rule_defaults(kind: VisitKind, months: int, tolerance: int) -> None:
    rule = PlanRule(kind, ANCHOR)
    assert (rule.interval_months, rule.tolerance_days) == (months, tolerance)


def test_rule_defaults_are_editable_per_contract() -> None:
    rule = PlanRule(INSPECTION, ANCHOR, interval_months=2, tolerance_days=10)
    assert (rule.interval_months, rule.tolerance_days) == (2, 10)


def test_rule_accepts_the_kinds_string_value() -> None:
    assert PlanRule("patrol", ANCHOR).kind is PATROL  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"interval_months": 0}, {"tolerance_days": -2}],
    ids=["zero-interval", "negative-tolerance"],
)
def test_rule_rejects_nonsense(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        PlanRule(PATROL, ANCHOR, **kwargs)


# --- occurrences ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OccCase:
    rule: PlanRule
    start: date
    end: date
    expected: list[date]


OCCURRENCES = {
    "month-ends-31-jan-monthly": OccCase(
        PlanRule(PATROL, d(1, 31)),
        d(1, 1),
        d(12, 31),
        [
            d(1, 31),
            d(2, 28),
            d(3, 31),
            d(4, 30),
            d(5, 31),
            d(6, 30),
            d(7, 31),
            d(8, 31),
            d(9, 30),
            d(10, 31),
            d(11, 30),
            d(12, 31),
        ],
    ),
    "month-ends-leap-february": OccCase(
        PlanRule(PATROL, d(1, 31, 2028)),
        d(2, 1, 2028),
        d(3, 31, 2028),
        [d(2, 29, 2028), d(3, 31, 2028)],
    ),
    "month-end-30-jan-keeps-30th": OccCase(
        PlanRule(PATROL, d(1, 30)), d(2, 1), d(4, 30), [d(2, 28), d(3, 30), d(4, 30)]
    ),
    "leap-anchor-yearly": OccCase(
        PlanRule(OVERHAUL, d(2, 29, 2024)),
        d(1, 1, 2024),
        d(12, 31, 2028),
        [d(2, 29, 2024), d(2, 28, 2025), d(2, 28, 2026), d(2, 28, 2027), d(2, 29, 2028)],
    ),
    "quarterly-from-anchor": OccCase(
        PlanRule(INSPECTION, ANCHOR), d(1, 1), d(12, 31), [d(1, 15), d(4, 15), d(7, 15), d(10, 15)]
    ),
    "quarterly-month-end-anchor": OccCase(
        PlanRule(INSPECTION, d(11, 30, 2025)),
        d(1, 1),
        d(12, 31),
        [d(2, 28), d(5, 30), d(8, 30), d(11, 30)],
    ),
    "annual-from-anchor": OccCase(
        PlanRule(OVERHAUL, ANCHOR),
        d(1, 1),
        d(12, 31, 2028),
        [d(1, 15), d(1, 15, 2027), d(1, 15, 2028)],
    ),
    "nothing-before-anchor": OccCase(
        PlanRule(PATROL, d(6, 10)), d(1, 1), d(7, 31), [d(6, 10), d(7, 10)]
    ),
    "horizon-bounds-inclusive": OccCase(
        PlanRule(PATROL, ANCHOR), d(3, 15), d(5, 15), [d(3, 15), d(4, 15), d(5, 15)]
    ),
    "horizon-long-after-anchor": OccCase(
        PlanRule(INSPECTION, d(3, 31, 2016)), d(6, 1), d(12, 31), [d(6, 30), d(9, 30), d(12, 31)]
    ),
    "empty-horizon": OccCase(PlanRule(PATROL, ANCHOR), d(3, 16), d(4, 14), []),
    "inverted-horizon": OccCase(PlanRule(PATROL, ANCHOR), d(5, 1), d(4, 1), []),
    "custom-interval-two-months": OccCase(
        PlanRule(PATROL, ANCHOR, interval_months=2),
        d(1, 1),
        d(6, 30),
        [d(1, 15), d(3, 15), d(5, 15)],
    ),
}


@pytest.mark.parametrize("case", OCCURRENCES.values(), ids=OCCURRENCES.keys())
def test_occurrences(case: OccCase) -> None:
    assert occurrences(case.rule, start=case.start, end=case.end) == case.expected


# --- the coincidence rule ------------------------------------------------------------------


def summary(visits: list[PlannedVisit]) -> list[tuple[date, VisitKind, frozenset[VisitKind]]]:
    return [(v.due_on, v.main_kind, v.kinds) for v in visits]


ALL = frozenset({PATROL, INSPECTION, OVERHAUL})
P, PI = frozenset({PATROL}), frozenset({PATROL, INSPECTION})


def test_same_anchor_year_one_visit_per_month() -> None:
    visits = plan_visits(standard_rules(), **YEAR_2026)
    assert summary(visits) == [
        (d(1, 15), OVERHAUL, ALL),
        (d(2, 15), PATROL, P),
        (d(3, 15), PATROL, P),
        (d(4, 15), INSPECTION, PI),
        (d(5, 15), PATROL, P),
        (d(6, 15), PATROL, P),
        (d(7, 15), INSPECTION, PI),
        (d(8, 15), PATROL, P),
        (d(9, 15), PATROL, P),
        (d(10, 15), INSPECTION, PI),
        (d(11, 15), PATROL, P),
        (d(12, 15), PATROL, P),
    ]


def test_overhaul_absorbs_inspection_and_patrol_of_its_window() -> None:
    [visit] = plan_visits(standard_rules(), start=d(1, 1), end=d(1, 31))
    assert visit.kinds == ALL
    assert visit.main_kind is OVERHAUL
    assert visit.obligations == (
        Obligation(d(1, 15), OVERHAUL),
        Obligation(d(1, 15), INSPECTION),
        Obligation(d(1, 15), PATROL),
    )


@pytest.mark.parametrize(
    ("rules", "window"),
    [
        (standard_rules(), (d(12, 16, 2025), d(2, 14))),
        ([PlanRule(PATROL, ANCHOR), PlanRule(INSPECTION, ANCHOR)], (d(1, 1), d(1, 29))),
        ([PlanRule(PATROL, ANCHOR)], (d(1, 8), d(1, 22))),
        (
            [PlanRule(PATROL, ANCHOR), PlanRule(OVERHAUL, ANCHOR, tolerance_days=45)],
            (d(12, 1, 2025), d(3, 1)),
        ),
    ],
    ids=["overhaul-30d", "inspection-14d", "patrol-alone-7d", "contract-overhaul-45d"],
)
def test_window_is_the_largest_kinds_tolerance(
    rules: list[PlanRule], window: tuple[date, date]
) -> None:
    first = plan_visits(rules, start=d(1, 1), end=d(1, 31))[0]
    assert (first.due_on, (first.window_start, first.window_end)) == (d(1, 15), window)


COINCIDENCES = {
    # Patrol 30 days before the overhaul: on the edge of ±30, absorbed (a quarterly patrol,
    # so no nearer one competes).
    "patrol-on-window-edge-absorbed": (
        [PlanRule(OVERHAUL, d(3, 31)), PlanRule(PATROL, d(3, 1), interval_months=3)],
        d(3, 1),
        d(3, 31),
        [(d(3, 31), OVERHAUL, frozenset({OVERHAUL, PATROL}))],
    ),
    # Patrol 31 days before the overhaul: just outside ±30, stays a visit of its own, and
    # the overhaul absorbs the nearer patrol of 1 April (1 day after) instead.
    "patrol-just-outside-window-separate": (
        [PlanRule(OVERHAUL, d(3, 31)), PlanRule(PATROL, d(2, 28))],
        d(2, 1),
        d(4, 30),
        [
            (d(2, 28), PATROL, P),
            (d(3, 31), OVERHAUL, frozenset({OVERHAUL, PATROL})),
            (d(4, 28), PATROL, P),
        ],
    ),
    # The inspection 14 days after the patrol is within ±14 of the inspection: absorbed.
    "patrol-31d-before-overhaul-separate": (
        [PlanRule(OVERHAUL, d(3, 31)), PlanRule(PATROL, d(2, 28), interval_months=3)],
        d(2, 1),
        d(3, 31),
        [(d(2, 28), PATROL, P), (d(3, 31), OVERHAUL, frozenset({OVERHAUL}))],
    ),
    "inspection-absorbs-patrol-within-14d": (
        [PlanRule(INSPECTION, d(3, 15)), PlanRule(PATROL, d(3, 1))],
        d(3, 1),
        d(3, 31),
        [(d(3, 15), INSPECTION, PI)],
    ),
    "inspection-leaves-patrol-15d-away": (
        [PlanRule(INSPECTION, d(3, 16)), PlanRule(PATROL, d(3, 1))],
        d(3, 1),
        d(3, 31),
        [(d(3, 1), PATROL, P), (d(3, 16), INSPECTION, frozenset({INSPECTION}))],
    ),
    # A visit covers that month's patrol only: anchor 1 Feb, the patrol of 1 March is 28 days
    # after the overhaul (inside ±30) but is March's patrol, so it stays a visit.
    "one-patrol-per-visit": (
        [PlanRule(OVERHAUL, d(2, 1)), PlanRule(PATROL, d(2, 1))],
        d(1, 1),
        d(3, 31),
        [(d(2, 1), OVERHAUL, frozenset({OVERHAUL, PATROL})), (d(3, 1), PATROL, P)],
    ),
    # The inspection absorbed by the overhaul; the patrol, 20 days from the overhaul (outside
    # the inspection's ±14 but inside the overhaul's ±30), is absorbed too.
    "chain-through-overhaul-window": (
        [
            PlanRule(OVERHAUL, d(6, 10)),
            PlanRule(INSPECTION, d(6, 1)),
            PlanRule(PATROL, d(6, 30)),
        ],
        d(6, 1),
        d(6, 30),
        [(d(6, 10), OVERHAUL, ALL)],
    ),
    # An inspection exactly between two patrols absorbs only the earlier one.
    "tie-goes-to-the-earlier": (
        [PlanRule(INSPECTION, d(3, 11)), PlanRule(PATROL, d(3, 4), interval_months=1)],
        d(3, 1),
        d(3, 31),
        [(d(3, 11), INSPECTION, PI)],
    ),
    "no-rules-no-visits": ([], d(1, 1), d(12, 31), []),
}


@pytest.mark.parametrize(
    ("rules", "start", "end", "expected"), COINCIDENCES.values(), ids=COINCIDENCES.keys()
)
def test_coincidences(
    rules: list[PlanRule],
    start: date,
    end: date,
    expected: list[tuple[date, VisitKind, frozenset[VisitKind]]],
) -> None:
    assert summary(plan_visits(rules, start=start, end=end)) == expected


def test_smaller_absorbed_by_a_visit_outside_the_horizon_is_not_returned() -> None:
    # The overhaul of 25 February absorbs the patrol of 1 March; a horizon starting on
    # 27 February must not turn that patrol into a visit of its own.
    rules = [PlanRule(OVERHAUL, d(2, 25)), PlanRule(PATROL, d(3, 1))]
    assert summary(plan_visits(rules, start=d(2, 27), end=d(3, 31))) == []
    assert summary(plan_visits(rules, start=d(2, 1), end=d(3, 31))) == [
        (d(2, 25), OVERHAUL, frozenset({OVERHAUL, PATROL}))
    ]


# --- plan changes and idempotency ----------------------------------------------------------


def test_same_inputs_give_identical_visits_and_keys() -> None:
    first = plan_visits(standard_rules(), **YEAR_2026)
    second = plan_visits(standard_rules(), **YEAR_2026)
    assert first == second
    assert [visit_key(7, v) for v in first] == [visit_key(7, v) for v in second]
    assert len({visit_key(7, v) for v in first}) == len(first)


def test_visit_key_format() -> None:
    [visit] = plan_visits(standard_rules(), start=d(1, 1), end=d(1, 31))
    assert visit_key(42, visit) == "42:overhaul:2026-01-15"


def test_plan_change_moves_future_dates_and_keeps_unchanged_keys() -> None:
    before = plan_visits(standard_rules(), **YEAR_2026)
    # The contract edits the inspection to every 2 months.
    changed = [
        PlanRule(PATROL, ANCHOR),
        PlanRule(INSPECTION, ANCHOR, interval_months=2),
        PlanRule(OVERHAUL, ANCHOR),
    ]
    after = plan_visits(changed, **YEAR_2026)
    inspections = [v.due_on for v in after if v.main_kind is INSPECTION]
    assert inspections == [d(3, 15), d(5, 15), d(7, 15), d(9, 15), d(11, 15)]
    # Every date is still visited once a month, so the patrol-only months keep their keys.
    keys_before = {visit_key(1, v) for v in before}
    keys_after = {visit_key(1, v) for v in after}
    assert "1:overhaul:2026-01-15" in keys_before & keys_after
    assert "1:patrol:2026-02-15" in keys_before & keys_after
    assert keys_before - keys_after == {
        "1:patrol:2026-03-15",
        "1:inspection:2026-04-15",
        "1:patrol:2026-05-15",
        "1:patrol:2026-09-15",
        "1:inspection:2026-10-15",
        "1:patrol:2026-11-15",
    }


def test_rolling_horizons_agree_on_their_overlap() -> None:
    rules = standard_rules(d(1, 31))
    key = lambda v: visit_key(3, v)  # noqa: E731
    day_one = {key(v) for v in plan_visits(rules, start=d(1, 1), end=d(3, 31))}
    day_thirty = {key(v) for v in plan_visits(rules, start=d(1, 30), end=d(4, 29))}
    overlap = {k for k in day_one | day_thirty if "2026-01-30" <= k.split(":")[2] <= "2026-03-31"}
    assert overlap <= day_one & day_thirty


# --- window state --------------------------------------------------------------------------

PATROL_VISIT = plan_visits([PlanRule(PATROL, d(3, 15))], start=d(3, 1), end=d(3, 31))[0]


@pytest.mark.parametrize(
    ("today", "done_on", "expected"),
    [
        (d(3, 7), None, WindowState.UPCOMING),
        (d(3, 8), None, WindowState.DUE),
        (d(3, 15), None, WindowState.DUE),
        (d(3, 22), None, WindowState.DUE),
        (d(3, 23), None, WindowState.OVERDUE),
        (d(5, 1), None, WindowState.OVERDUE),
        (d(5, 1), d(4, 30), WindowState.DONE),
        (d(3, 1), d(3, 1), WindowState.DONE),
    ],
    ids=[
        "day-before-window-upcoming",
        "first-day-due",
        "due-day-due",
        "last-day-due",
        "day-after-overdue",
        "long-after-overdue",
        "done-late-is-done",
        "done-early-is-done",
    ],
)
def test_window_state(today: date, done_on: date | None, expected: str) -> None:
    assert window_state(PATROL_VISIT, today=today, done_on=done_on) == expected


# --- time zones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time_zone", "utc"),
    [
        ("Asia/Shanghai", datetime(2026, 2, 28, 16, 0, tzinfo=UTC)),
        ("UTC", datetime(2026, 3, 1, 0, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 3, 1, 5, 0, tzinfo=UTC)),
    ],
    ids=["shanghai-previous-evening-utc", "utc", "new-york"],
)
def test_local_due_instant(time_zone: str, utc: datetime) -> None:
    instant = local_due_instant(d(3, 1), time_zone)
    assert instant.tzinfo is not None
    assert instant == utc
    assert instant.date() == d(3, 1)


# --- properties ----------------------------------------------------------------------------

anchors = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))
kinds = st.sampled_from(list(VisitKind))
rules_st = st.builds(
    PlanRule,
    kind=kinds,
    anchor=anchors,
    interval_months=st.integers(1, 24),
    tolerance_days=st.integers(0, 45),
)
horizons = st.tuples(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)),
    st.integers(0, 400),
).map(lambda t: (t[0], t[0] + timedelta(days=t[1])))


@settings(max_examples=200, deadline=None)
@given(rule=rules_st, horizon=horizons)
def test_every_occurrence_lies_in_the_horizon(rule: PlanRule, horizon: tuple[date, date]) -> None:
    start, end = horizon
    dates = occurrences(rule, start=start, end=end)
    assert all(start <= due <= end and due >= rule.anchor for due in dates)
    assert dates == sorted(set(dates))
    # None missed: the reference is the k-th due date counted from the anchor.
    reference = [
        due for k in range(0, 12 * 20 // rule.interval_months + 2)
        if start <= (due := rule.due_date(k)) <= end
    ]  # fmt: skip
    assert dates == reference


@settings(max_examples=300, deadline=None)
@given(
    anchor=st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)),
    k=st.integers(0, 600),
    months=st.integers(1, 24),
)
def test_due_date_is_relativedelta_months(anchor: date, k: int, months: int) -> None:
    """The hand-rolled month arithmetic gives what dateutil does (clamped month ends,
    leap years, 2100 and 2000 included)."""
    from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

    rule = PlanRule(PATROL, anchor, interval_months=months)
    assert rule.due_date(k) == anchor + relativedelta(months=k * months)


@settings(max_examples=200, deadline=None)
@given(anchor=anchors, horizon=horizons, picks=st.lists(rules_st, min_size=1, max_size=3))
def test_each_occurrence_fulfilled_by_exactly_one_visit(
    anchor: date, horizon: tuple[date, date], picks: list[PlanRule]
) -> None:
    start, end = horizon
    # One rule per kind for one device.
    rules = list({r.kind: r for r in picks}.values())
    visits = plan_visits(rules, start=start, end=end)
    fulfilled = [o for v in visits for o in v.obligations]
    assert len(fulfilled) == len(set(fulfilled))
    for visit in visits:
        assert start <= visit.due_on <= end
        assert visit.kinds == {o.kind for o in visit.obligations}
        assert visit.main_kind == max(visit.kinds, key=lambda k: k.rank)
        assert len(visit.obligations) == len(visit.kinds)  # one occurrence of each kind
        for o in visit.obligations:
            assert visit.window_start <= o.due_on <= visit.window_end
    # Every occurrence well inside the horizon is fulfilled by exactly one returned visit
    # (one near the edges may belong to a visit due just outside it).
    inner_start, inner_end = start + timedelta(days=45), end - timedelta(days=45)
    for rule in rules:
        for due in occurrences(rule, start=inner_start, end=inner_end):
            holders = [v for v in visits if Obligation(due, rule.kind) in v.obligations]
            assert len(holders) == 1
            assert rule.kind in holders[0].kinds


@settings(max_examples=150, deadline=None)
@given(
    picks=st.lists(rules_st, min_size=1, max_size=3),
    first=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    shift=st.integers(1, 120),
)
def test_rolling_horizon_is_idempotent_on_the_overlap(
    picks: list[PlanRule], first: date, shift: int
) -> None:
    rules = list({r.kind: r for r in picks}.values())
    a = plan_visits(rules, start=first, end=first + timedelta(days=90))
    b_start = first + timedelta(days=shift)
    b = plan_visits(rules, start=b_start, end=b_start + timedelta(days=90))
    overlap_a = [v for v in a if v.due_on >= b_start]
    overlap_b = [v for v in b if v.due_on <= first + timedelta(days=90)]
    assert overlap_a == overlap_b
