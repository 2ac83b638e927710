"""The promise clock (``service.sla.compute_milestones``): every default milestone of the
seed's promises, measured from a request's events (R-3.3, R-3.5, R-5.2, R-5.3, R-6.2, R-6.3,
R-7.2; "Where the seed contradicts itself"; issue 3 §2, §3, §8). Pure: no database.

Expected instants are written as offsets from the report, worked out by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendars import AroundTheClock, Calendar, WorkingHours
from service.sla import Event, MilestoneRule, MilestoneStatus, State, compute_milestones

REPORTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
ZERO = timedelta(0)
H = timedelta(hours=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)

PENDING, MET, BREACHED, NOT_APPLICABLE = (
    State.PENDING,
    State.MET,
    State.BREACHED,
    State.NOT_APPLICABLE,
)


def standard_policy() -> list[MilestoneRule]:
    """The default policy for a normal fault (issue 3 §2)."""
    return [
        # an engineer on site within 4 h of the notice.
        MilestoneRule("on_site", 4 * H, frozenset({"arrived"}), skipped_by_remote=True),
        # a solution within 1 h of arriving.
        MilestoneRule(
            "solution",
            1 * H,
            frozenset({"solution_proposed"}),
            starts_at="arrived",
            skipped_by_remote=True,
        ),
        # repaired within 12 h.
        MilestoneRule("resolved", 12 * H, frozenset({"resolved", "remote_resolved"})),
        # the contracted state restored (a loaner counts) within 24 h.
        MilestoneRule(
            "restored", 24 * H, frozenset({"loaner_installed", "resolved", "remote_resolved"})
        ),
    ]


def emergency_policy() -> list[MilestoneRule]:
    """The default policy for an emergency (issue 3 §2)."""
    return [
        # "immediately phone back".
        MilestoneRule("callback", 15 * M, frozenset({"callback"})),
        # on site within 8 h.
        MilestoneRule("on_site", 8 * H, frozenset({"arrived"}), skipped_by_remote=True),
        # fault cleared within 12 h.
        MilestoneRule("resolved", 12 * H, frozenset({"resolved", "remote_resolved"})),
    ]


POLICIES = {"standard": standard_policy, "emergency": emergency_policy}

Step = tuple[str, timedelta]  # (event type, offset from the report)


def events_of(steps: list[Step] | tuple[Step, ...]) -> list[Event]:
    """Events in the order given, recorded with increasing sequence numbers."""
    return [
        Event(type=kind, occurred_at=REPORTED + offset, sequence=i)
        for i, (kind, offset) in enumerate(steps, start=1)
    ]


def clock(
    policy: str,
    steps: list[Step] | tuple[Step, ...],
    now: timedelta,
    calendar: Calendar | None = None,
) -> dict[str, MilestoneStatus]:
    statuses = compute_milestones(
        rules=POLICIES[policy](),
        events=events_of(steps),
        reported_at=REPORTED,
        now=REPORTED + now,
        calendar=calendar,
    )
    return {s.key: s for s in statuses}


def test_default_policies_have_the_seed_targets_in_order():
    """The milestones appear in policy order with the seed's targets (R-3.3, R-3.5, R-5.3)."""
    standard = compute_milestones(
        rules=standard_policy(), events=[], reported_at=REPORTED, now=REPORTED
    )
    assert [(s.key, s.target_seconds) for s in standard] == [
        ("on_site", 14400),
        ("solution", 3600),
        ("resolved", 43200),
        ("restored", 86400),
    ]
    emergency = compute_milestones(
        rules=emergency_policy(), events=[], reported_at=REPORTED, now=REPORTED
    )
    assert [(s.key, s.target_seconds) for s in emergency] == [
        ("callback", 900),
        ("on_site", 28800),
        ("resolved", 43200),
    ]


def test_calendar_defaults_to_around_the_clock():
    """R-6.2: 24/7, so a report on Saturday night is due 4 h later, Sunday morning."""
    saturday_night = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
    [on_site] = compute_milestones(
        rules=standard_policy()[:1], events=[], reported_at=saturday_night, now=saturday_night
    )
    assert on_site.due_at == datetime(2026, 3, 8, 3, 0, tzinfo=UTC)


# --- Every default milestone through the same outcomes --------------------------------------


@dataclass(frozen=True)
class Promise:
    """One default milestone and how a request meets it."""

    policy: str
    key: str
    target: timedelta
    prelude: tuple[Step, ...]  # what happens before the clock can be met
    start: timedelta  # when its clock starts, as an offset from the report
    meets: str  # the event type that meets it

    def steps(self, *extra: Step) -> list[Step]:
        return [*self.prelude, *extra]

    def at(self, offset: timedelta) -> timedelta:
        """An offset from this milestone's clock start, as an offset from the report."""
        return self.start + offset

    @property
    def due(self) -> timedelta:
        return self.start + self.target


PROMISES = [
    Promise("standard", "on_site", 4 * H, (("dispatched", 10 * M),), ZERO, "arrived"),
    Promise(
        "standard",
        "solution",
        1 * H,
        (("dispatched", 10 * M), ("arrived", 2 * H)),
        2 * H,
        "solution_proposed",
    ),
    Promise("standard", "resolved", 12 * H, (("arrived", 2 * H),), ZERO, "resolved"),
    Promise("standard", "resolved", 12 * H, (("callback", 5 * M),), ZERO, "remote_resolved"),
    Promise("standard", "restored", 24 * H, (("arrived", 2 * H),), ZERO, "loaner_installed"),
    Promise("standard", "restored", 24 * H, (("arrived", 2 * H),), ZERO, "resolved"),
    Promise("emergency", "callback", 15 * M, (), ZERO, "callback"),
    Promise("emergency", "on_site", 8 * H, (("callback", 5 * M),), ZERO, "arrived"),
    Promise(
        "emergency", "resolved", 12 * H, (("callback", 5 * M), ("arrived", 3 * H)), ZERO, "resolved"
    ),
]
PROMISE_IDS = [f"{p.policy}-{p.key}-by-{p.meets}" for p in PROMISES]
each_promise = pytest.mark.parametrize("p", PROMISES, ids=PROMISE_IDS)


def status(p: Promise, *extra: Step, now: timedelta) -> MilestoneStatus:
    return clock(p.policy, p.steps(*extra), now)[p.key]


@each_promise
def test_met_within_target(p: Promise):
    met_at = p.at(p.target / 2)
    s = status(p, (p.meets, met_at), now=p.due + 10 * H)
    assert s.state == MET
    assert s.target_seconds == int(p.target.total_seconds())
    assert s.started_at == REPORTED + p.start
    assert s.due_at == REPORTED + p.due
    assert s.met_at == REPORTED + met_at
    assert (s.paused_seconds, s.at_risk, s.paused, s.warn_at) == (0, False, False, None)


@each_promise
def test_met_exactly_at_the_deadline_is_met(p: Promise):
    s = status(p, (p.meets, p.due), now=p.due + 10 * H)
    assert (s.state, s.met_at, s.due_at) == (MET, REPORTED + p.due, REPORTED + p.due)


@each_promise
def test_met_one_second_late_is_breached(p: Promise):
    s = status(p, (p.meets, p.due + S), now=p.due + S)
    assert (s.state, s.met_at, s.due_at) == (BREACHED, REPORTED + p.due + S, REPORTED + p.due)


@each_promise
def test_pending_at_the_deadline_is_not_yet_breached(p: Promise):
    s = status(p, now=p.due)
    assert (s.state, s.met_at, s.at_risk) == (PENDING, None, True)


@each_promise
def test_pending_past_the_deadline_is_breached(p: Promise):
    s = status(p, now=p.due + S)
    assert (s.state, s.met_at, s.due_at) == (BREACHED, None, REPORTED + p.due)
    assert s.at_risk is False  # breached, no longer "at risk"


@each_promise
def test_at_risk_with_less_than_a_quarter_left(p: Promise):
    """At risk: pending with less than 25% of the target left (issue 3 §3)."""
    quarter = p.target / 4
    early = status(p, now=p.at(S))
    exactly_a_quarter_left = status(p, now=p.due - quarter)
    just_under = status(p, now=p.due - quarter + S)
    assert (early.state, early.at_risk) == (PENDING, False)
    assert (exactly_a_quarter_left.state, exactly_a_quarter_left.at_risk) == (PENDING, False)
    assert (just_under.state, just_under.at_risk) == (PENDING, True)
    assert just_under.warn_at == REPORTED + p.at(p.target * 3 / 4)


@each_promise
def test_paused_and_resumed_pushes_the_deadline_back_by_the_pause(p: Promise):
    pause, resume = p.at(p.target / 4), p.at(p.target / 4 + 37 * M)
    pushed = p.due + 37 * M
    on_time = status(p, ("paused", pause), ("resumed", resume), (p.meets, pushed), now=pushed)
    assert (on_time.state, on_time.due_at) == (MET, REPORTED + pushed)
    assert on_time.paused_seconds == 37 * 60
    late = status(p, ("paused", pause), ("resumed", resume), (p.meets, pushed + S), now=pushed)
    assert (late.state, late.due_at, late.paused_seconds) == (BREACHED, REPORTED + pushed, 2220)
    pending = status(p, ("paused", pause), ("resumed", resume), now=pushed)
    assert (pending.state, pending.paused, pending.at_risk) == (PENDING, False, True)
    assert status(p, ("paused", pause), ("resumed", resume), now=pushed + S).state == BREACHED


@each_promise
def test_paused_and_resumed_warns_later_too(p: Promise):
    s = status(p, ("paused", p.at(S)), ("resumed", p.at(S + 10 * M)), now=p.at(S + 10 * M))
    assert s.warn_at == REPORTED + p.at(p.target * 3 / 4 + 10 * M)


@each_promise
def test_open_pause_stops_the_clock(p: Promise):
    """While paused the deadline moves with ``now``; a pause begun in time never breaches."""
    pause = p.at(p.target / 2)
    for now in (p.due + S, p.at(3 * p.target), p.at(10 * p.target + 7 * H)):
        s = status(p, ("paused", pause), now=now)
        assert (s.state, s.paused) == (PENDING, True)
        assert s.due_at == REPORTED + now + p.target / 2  # half the target still left
        assert s.paused_seconds == int((now - pause).total_seconds())
        assert s.at_risk is False


@each_promise
def test_pause_after_the_deadline_does_not_undo_the_breach(p: Promise):
    pause = p.due + S
    resumed = status(
        p, ("paused", pause), ("resumed", pause + 2 * H), (p.meets, pause + H), now=pause + 3 * H
    )
    assert (resumed.state, resumed.due_at, resumed.paused_seconds) == (
        BREACHED,
        REPORTED + p.due,
        0,
    )
    still_paused = status(p, ("paused", pause), now=pause + 3 * H)
    assert (still_paused.state, still_paused.due_at) == (BREACHED, REPORTED + p.due)
    assert (still_paused.paused, still_paused.paused_seconds) == (False, 0)


@each_promise
def test_pause_beginning_exactly_at_the_deadline_still_stops_the_clock(p: Promise):
    """At the deadline the milestone is not breached yet (met exactly at the deadline is met),
    so a pause that begins at that instant stops it with nothing left."""
    s = status(p, ("paused", p.due), ("resumed", p.due + H), (p.meets, p.due + H), now=p.due + H)
    assert (s.state, s.due_at, s.paused_seconds) == (MET, REPORTED + p.due + H, 3600)


def test_pause_before_the_solution_clock_starts_is_not_counted():
    """Only the paused time after the clock started (the first arrival) moves its deadline."""
    c = clock("standard", [("paused", 30 * M), ("resumed", 50 * M), ("arrived", 2 * H)], now=2 * H)
    assert (c["solution"].due_at, c["solution"].paused_seconds) == (REPORTED + 3 * H, 0)
    assert (c["on_site"].due_at, c["on_site"].paused_seconds) == (REPORTED + 4 * H + 20 * M, 1200)


def test_pause_open_when_the_solution_clock_starts_counts_from_its_start():
    """Paused before the engineer arrived, resumed 20 min after: the solution clock (started
    by the arrival) stopped for 20 min, the on-site clock for the whole pause."""
    c = clock(
        "standard",
        [("paused", 90 * M), ("arrived", 2 * H), ("resumed", 2 * H + 20 * M)],
        now=2 * H + 30 * M,
    )
    assert c["solution"].paused_seconds == 20 * 60
    assert c["solution"].due_at == REPORTED + 3 * H + 20 * M
    assert c["on_site"].state == MET
    assert c["on_site"].paused_seconds == 30 * 60  # up to its met_at
    assert c["resolved"].paused_seconds == 50 * 60
    assert c["resolved"].due_at == REPORTED + 12 * H + 50 * M


def test_two_pauses_add_up():
    c = clock(
        "standard",
        [("paused", 1 * H), ("resumed", 2 * H), ("paused", 3 * H), ("resumed", 3 * H + 30 * M)],
        now=4 * H,
    )
    assert c["on_site"].paused_seconds == 90 * 60
    assert c["on_site"].due_at == REPORTED + 5 * H + 30 * M
    assert c["restored"].due_at == REPORTED + 25 * H + 30 * M


def test_second_pause_counts_when_the_first_one_pushed_the_deadline_past_it():
    """A pause that begins after the original deadline but before the pushed one counts."""
    c = clock(
        "standard",
        [("paused", 1 * H), ("resumed", 3 * H), ("paused", 5 * H), ("resumed", 6 * H)],
        now=6 * H,
    )
    assert c["on_site"].paused_seconds == 3 * 3600
    assert c["on_site"].due_at == REPORTED + 7 * H
    assert c["on_site"].state == PENDING


# --- Whole requests -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    policy: str
    steps: tuple[Step, ...]
    now: timedelta
    expect: dict[str, dict[str, Any]]  # key -> field -> value (instants as offsets)


OFFSET_FIELDS = {"started_at", "due_at", "warn_at", "met_at"}


def expected_value(field: str, value: Any) -> Any:
    if field in OFFSET_FIELDS and value is not None:
        return REPORTED + value
    return value


SCENARIOS = {
    "remote-resolution-before-arrival": Scenario(
        "standard",
        (("callback", 5 * M), ("remote_resolved", 40 * M)),
        30 * H,
        {
            "on_site": {"state": NOT_APPLICABLE, "due_at": None, "met_at": None},
            "solution": {"state": NOT_APPLICABLE, "due_at": None},
            "resolved": {"state": MET, "met_at": 40 * M, "due_at": 12 * H},
            "restored": {"state": MET, "met_at": 40 * M, "due_at": 24 * H},
        },
    ),
    "remote-resolution-before-arrival-engineer-still-came": Scenario(
        "standard",
        (("dispatched", 5 * M), ("remote_resolved", 40 * M), ("arrived", 2 * H)),
        30 * H,
        {
            "on_site": {"state": NOT_APPLICABLE},
            "solution": {"state": NOT_APPLICABLE},
            "resolved": {"state": MET, "met_at": 40 * M},
        },
    ),
    "remote-resolution-after-timely-arrival": Scenario(
        "standard",
        (("arrived", 3 * H), ("solution_proposed", 3 * H + 30 * M), ("remote_resolved", 5 * H)),
        30 * H,
        {
            "on_site": {"state": MET, "met_at": 3 * H},
            "solution": {"state": MET, "met_at": 3 * H + 30 * M, "due_at": 4 * H},
            "resolved": {"state": MET, "met_at": 5 * H},
            "restored": {"state": MET, "met_at": 5 * H},
        },
    ),
    "remote-resolution-after-late-arrival": Scenario(
        "standard",
        (("arrived", 5 * H), ("remote_resolved", 6 * H)),
        30 * H,
        {
            "on_site": {"state": BREACHED, "met_at": 5 * H, "due_at": 4 * H},
            "resolved": {"state": MET, "met_at": 6 * H},
        },
    ),
    "loaner-then-late-repair": Scenario(
        "standard",
        (
            ("arrived", 2 * H),
            ("solution_proposed", 2 * H + 30 * M),
            ("loaner_installed", 10 * H),
            ("resolved", 20 * H),
        ),
        30 * H,
        {
            "restored": {"state": MET, "met_at": 10 * H, "due_at": 24 * H},
            "resolved": {"state": BREACHED, "met_at": 20 * H, "due_at": 12 * H},
        },
    ),
    "loaner-then-repair-in-time": Scenario(
        "standard",
        (("arrived", 2 * H), ("loaner_installed", 3 * H), ("resolved", 11 * H)),
        30 * H,
        {
            "restored": {"state": MET, "met_at": 3 * H},
            "resolved": {"state": MET, "met_at": 11 * H},
        },
    ),
    "loaner-repair-still-pending": Scenario(
        "standard",
        (("arrived", 2 * H), ("loaner_installed", 3 * H)),
        11 * H,
        {
            "restored": {"state": MET, "met_at": 3 * H},
            "resolved": {"state": PENDING, "met_at": None, "at_risk": True, "warn_at": 9 * H},
        },
    ),
    "reopened-voids-the-resolution": Scenario(
        "standard",
        (
            ("arrived", 2 * H),
            ("solution_proposed", 2 * H + 30 * M),
            ("resolved", 5 * H),
            ("customer_signed", 5 * H + 10 * M),
            ("closed", 6 * H),
            ("reopened", 8 * H),
        ),
        10 * H,
        {
            "on_site": {"state": MET, "met_at": 2 * H},
            "solution": {"state": MET, "met_at": 2 * H + 30 * M},
            "resolved": {"state": PENDING, "met_at": None, "due_at": 12 * H},
            "restored": {"state": PENDING, "met_at": None, "due_at": 24 * H},
        },
    ),
    "reopened-and-never-fixed-breaches": Scenario(
        "standard",
        (("arrived", 2 * H), ("resolved", 5 * H), ("closed", 6 * H), ("reopened", 8 * H)),
        12 * H + S,
        {"resolved": {"state": BREACHED, "met_at": None}, "on_site": {"state": MET}},
    ),
    "reopened-then-resolved-again-in-time": Scenario(
        "standard",
        (
            ("arrived", 2 * H),
            ("resolved", 5 * H),
            ("closed", 6 * H),
            ("reopened", 8 * H),
            ("resolved", 11 * H),
        ),
        30 * H,
        {
            "on_site": {"state": MET, "met_at": 2 * H},
            "resolved": {"state": MET, "met_at": 11 * H},
            "restored": {"state": MET, "met_at": 11 * H},
        },
    ),
    "reopened-then-resolved-too-late": Scenario(
        "standard",
        (("arrived", 2 * H), ("resolved", 5 * H), ("reopened", 8 * H), ("resolved", 13 * H)),
        30 * H,
        {
            "resolved": {"state": BREACHED, "met_at": 13 * H},
            "restored": {"state": MET, "met_at": 13 * H},
        },
    ),
    "reopened-twice-voids-both": Scenario(
        "standard",
        (
            ("arrived", 2 * H),
            ("resolved", 5 * H),
            ("reopened", 6 * H),
            ("resolved", 7 * H),
            ("reopened", 8 * H),
        ),
        9 * H,
        {"resolved": {"state": PENDING, "met_at": None}},
    ),
    "reopened-keeps-the-loaner": Scenario(
        "standard",
        (
            ("arrived", 2 * H),
            ("loaner_installed", 3 * H),
            ("resolved", 5 * H),
            ("closed", 6 * H),
            ("reopened", 8 * H),
        ),
        9 * H,
        {
            "restored": {"state": MET, "met_at": 3 * H},
            "resolved": {"state": PENDING, "met_at": None},
        },
    ),
    "solution-clock-not-started-before-arrival": Scenario(
        "standard",
        (("dispatched", 10 * M),),
        2 * H,
        {
            "solution": {
                "state": PENDING,
                "started_at": None,
                "due_at": None,
                "warn_at": None,
                "at_risk": False,
            },
            "on_site": {"state": PENDING, "due_at": 4 * H},
        },
    ),
    "solution-clock-never-breaches-without-arrival": Scenario(
        "standard",
        (("dispatched", 10 * M),),
        30 * H,
        {
            "solution": {"state": PENDING, "due_at": None},
            "on_site": {"state": BREACHED},
        },
    ),
    "solution-clock-starts-at-first-arrival": Scenario(
        "standard",
        (("arrived", 2 * H), ("arrived", 2 * H + 40 * M), ("solution_proposed", 3 * H + 10 * M)),
        30 * H,
        {"solution": {"state": BREACHED, "started_at": 2 * H, "due_at": 3 * H}},
    ),
    "emergency-callback-within-15-minutes": Scenario(
        "emergency",
        (("callback", 14 * M), ("dispatched", 20 * M), ("arrived", 7 * H), ("resolved", 11 * H)),
        30 * H,
        {
            "callback": {"state": MET, "met_at": 14 * M, "due_at": 15 * M},
            "on_site": {"state": MET, "met_at": 7 * H, "due_at": 8 * H},
            "resolved": {"state": MET, "met_at": 11 * H, "due_at": 12 * H},
        },
    ),
    "emergency-callback-at-16-minutes": Scenario(
        "emergency",
        (("callback", 16 * M),),
        16 * M,
        {
            "callback": {"state": BREACHED, "met_at": 16 * M},
            "on_site": {"state": PENDING, "at_risk": False},
        },
    ),
    "emergency-no-callback-yet-at-12-minutes": Scenario(
        "emergency",
        (),
        12 * M,
        {"callback": {"state": PENDING, "at_risk": True, "warn_at": 11 * M + 15 * S}},
    ),
    "emergency-on-site-8h-not-4h": Scenario(
        "emergency",
        (("callback", 5 * M), ("arrived", 6 * H)),
        6 * H,
        {"on_site": {"state": MET, "due_at": 8 * H}},
    ),
    "emergency-remote-guidance": Scenario(
        "emergency",
        (("callback", 5 * M), ("remote_resolved", 30 * M)),
        30 * H,
        {
            "callback": {"state": MET, "met_at": 5 * M},
            "on_site": {"state": NOT_APPLICABLE},
            "resolved": {"state": MET, "met_at": 30 * M},
        },
    ),
    "paused-while-resolved-then-reopened": Scenario(
        # A resolution ends an open pause (the timeline's rule); the reopening voids the
        # resolution but does not bring the pause back: the clock runs again from 5 h.
        "standard",
        (("arrived", 2 * H), ("paused", 4 * H), ("resolved", 5 * H), ("reopened", 8 * H)),
        20 * H,
        {
            "resolved": {
                "state": BREACHED,
                "due_at": 13 * H,
                "paused_seconds": 3600,
                "paused": False,
            },
        },
    ),
    "paused-again-after-reopening": Scenario(
        "standard",
        (
            ("arrived", 2 * H),
            ("paused", 4 * H),
            ("resolved", 5 * H),
            ("reopened", 8 * H),
            ("paused", 9 * H),
            ("resumed", 10 * H),
        ),
        11 * H,
        {"resolved": {"state": PENDING, "due_at": 14 * H, "paused_seconds": 7200}},
    ),
    "events-before-the-report-are-ignored": Scenario(
        "standard",
        (("arrived", -H), ("solution_proposed", -30 * M)),
        5 * H,
        {
            "on_site": {"state": BREACHED, "met_at": None},
            "solution": {"state": PENDING, "started_at": None},
        },
    ),
}


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_scenario(scenario: Scenario):
    """Remote resolution, loaners, reopening, the solution clock, emergencies (R-3.3, R-3.5,
    R-5.2, R-5.3, R-6.6, R-7.3)."""
    c = clock(scenario.policy, scenario.steps, scenario.now)
    actual = {
        key: {field: getattr(c[key], field) for field in fields}
        for key, fields in scenario.expect.items()
    }
    expected = {
        key: {field: expected_value(field, value) for field, value in fields.items()}
        for key, fields in scenario.expect.items()
    }
    assert actual == expected


# --- A working-hours calendar -------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA = holidays.China(years=range(2025, 2029))


def china_hours(overrides: dict[date, bool] | None = None) -> WorkingHours:
    table = overrides or {}
    return WorkingHours(
        time_zone="Asia/Shanghai",
        opens=time(8),
        closes=time(17, 30),
        is_working_day=lambda day: table.get(day, bool(CHINA.is_working_day(day))),
    )


def on_site_in_working_hours(
    reported_at: datetime, steps: list[tuple[str, datetime]], now: datetime
) -> MilestoneStatus:
    [on_site] = compute_milestones(
        rules=standard_policy()[:1],
        events=[
            Event(type=kind, occurred_at=at, sequence=i) for i, (kind, at) in enumerate(steps, 1)
        ],
        reported_at=reported_at,
        now=now,
        calendar=china_hours(),
    )
    return on_site


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def test_working_hours_deadline_skips_the_weekend():
    """Reported Friday 15:00: 2.5 h on Friday, 1.5 h on Monday → due Monday 09:30."""
    s = on_site_in_working_hours(sh(3, 6, 15), [], now=sh(3, 7, 12))
    assert (s.state, s.due_at, s.at_risk) == (PENDING, sh(3, 9, 9, 30), False)
    assert s.warn_at == sh(3, 9, 8, 30)  # 3 of the 4 working hours
    assert on_site_in_working_hours(sh(3, 6, 15), [], now=sh(3, 9, 9, 31)).state == BREACHED


def test_working_hours_deadline_skips_spring_festival_but_not_the_make_up_saturday():
    s = on_site_in_working_hours(sh(2, 13, 16), [], now=sh(2, 13, 16))
    assert s.due_at == sh(2, 14, 10, 30)
    s = on_site_in_working_hours(sh(2, 14, 16), [], now=sh(2, 20, 12))
    assert (s.state, s.due_at) == (PENDING, sh(2, 24, 10, 30))


def test_working_hours_pause_over_a_weekend_counts_only_working_time():
    """Paused Friday 17:00, resumed Monday 09:00: 0.5 h Friday + 1 h Monday of working time,
    not the 64 h of wall-clock time (issue 3 §3: pause "in calendar time")."""
    steps = [("paused", sh(3, 6, 17)), ("resumed", sh(3, 9, 9))]
    s = on_site_in_working_hours(sh(3, 6, 15), steps, now=sh(3, 9, 10))
    assert (s.state, s.due_at, s.paused_seconds) == (PENDING, sh(3, 9, 11), 5400)
    met = on_site_in_working_hours(
        sh(3, 6, 15), [*steps, ("arrived", sh(3, 9, 11))], now=sh(3, 9, 12)
    )
    assert met.state == MET
    late = on_site_in_working_hours(
        sh(3, 6, 15), [*steps, ("arrived", sh(3, 9, 11, 1))], now=sh(3, 9, 12)
    )
    assert late.state == BREACHED


def test_working_hours_open_pause_over_the_weekend():
    """Still paused on Sunday: only Friday's last half hour has been paused so far, and the
    stopped clock is not breached although the unpaused deadline (Mon 09:30) is near."""
    steps = [("paused", sh(3, 6, 17))]
    sunday = on_site_in_working_hours(sh(3, 6, 15), steps, now=sh(3, 8, 12))
    assert (sunday.state, sunday.paused, sunday.paused_seconds) == (PENDING, True, 1800)
    assert sunday.due_at == sh(3, 9, 10)
    monday = on_site_in_working_hours(sh(3, 6, 15), steps, now=sh(3, 9, 11))
    assert (monday.state, monday.paused, monday.paused_seconds) == (PENDING, True, 3 * 3600 + 1800)
    assert monday.due_at == sh(3, 9, 13)
    assert monday.at_risk is False  # 2 of 4 working hours left


# --- Properties ---------------------------------------------------------------------------

EVENT_TYPES = [
    "callback",
    "dispatched",
    "arrived",
    "solution_proposed",
    "loaner_installed",
    "resolved",
    "remote_resolved",
    "reopened",
    "customer_signed",
    "closed",
]
UNRELATED = [
    "callback",
    "dispatched",
    "arrived",
    "solution_proposed",
    "loaner_installed",
    "paused",
    "resumed",
    "customer_signed",
    "filed",
]
MAX_OFFSET = 40 * 3600
CALENDARS: list[Calendar] = [AroundTheClock(), china_hours()]

offsets = st.integers(min_value=0, max_value=MAX_OFFSET)


@st.composite
def timelines(draw) -> list[Event]:
    """Random events (not necessarily a valid timeline) plus disjoint pauses, the last one
    possibly open."""
    kinds = draw(st.lists(st.sampled_from(EVENT_TYPES), max_size=8))
    steps = [(kind, draw(offsets)) for kind in kinds]
    points = sorted(draw(st.sets(offsets, max_size=6)))
    for i, point in enumerate(points):
        steps.append(("paused" if i % 2 == 0 else "resumed", point))
    return [
        Event(type=kind, occurred_at=REPORTED + timedelta(seconds=at), sequence=i)
        for i, (kind, at) in enumerate(steps, start=1)
    ]


def compute(events: list[Event], now: datetime, calendar: Calendar, policy: str = "standard"):
    return compute_milestones(
        rules=POLICIES[policy](),
        events=events,
        reported_at=REPORTED,
        now=now,
        calendar=calendar,
    )


policies = st.sampled_from(sorted(POLICIES))
calendars = st.sampled_from(CALENDARS)
nows = st.integers(min_value=0, max_value=2 * MAX_OFFSET).map(
    lambda s: REPORTED + timedelta(seconds=s)
)


@settings(deadline=None)
@given(
    base=timelines(),
    pause=st.tuples(offsets, offsets | st.none()),
    now=nows,
    calendar=calendars,
    policy=policies,
)
def test_a_pause_never_brings_a_deadline_earlier(
    base: list[Event],
    pause: tuple[int, int | None],
    now: datetime,
    calendar: Calendar,
    policy: str,
):
    """Adding a paused/resumed pair (or an open pause) that does not overlap another pause
    never makes any ``due_at`` earlier nor turns a met milestone breached (issue 3 §8)."""
    begin, end = pause[0], pause[1]
    if end is not None and end < begin:
        begin, end = end, begin
    existing = [e for e in base if e.type in ("paused", "resumed")]
    last_existing = max((e.occurred_at for e in existing), default=None)
    start_at = REPORTED + timedelta(seconds=begin)
    end_at = REPORTED + timedelta(seconds=end) if end is not None else None
    # Keep the new pause clear of the existing ones: before them all, or after them all
    # (and only after them if they are all closed).
    first_existing = min((e.occurred_at for e in existing), default=None)
    open_existing = len(existing) % 2 == 1
    before_all = first_existing is None or (end_at is not None and end_at < first_existing)
    after_all = last_existing is None or (not open_existing and start_at > last_existing)
    if not (before_all or after_all):
        return
    added = [Event(type="paused", occurred_at=start_at, sequence=100)]
    if end_at is not None:
        added.append(Event(type="resumed", occurred_at=end_at, sequence=101))
    elif not after_all:
        return  # an open pause can only be the last
    without = compute(base, now, calendar, policy)
    with_pause = compute(base + added, now, calendar, policy)
    for a, b in zip(without, with_pause, strict=True):
        assert (a.due_at is None) == (b.due_at is None), a.key
        if a.due_at is not None and b.due_at is not None:
            assert b.due_at >= a.due_at, a.key
        assert b.paused_seconds >= a.paused_seconds, a.key
        assert b.met_at == a.met_at, a.key
        if a.state == MET:
            assert b.state == MET, a.key
        if b.state == BREACHED:
            assert a.state == BREACHED, a.key


@settings(deadline=None)
@given(
    events=timelines(),
    now=nows,
    calendar=calendars,
    policy=policies,
    data=st.data(),
)
def test_recomputation_is_idempotent_and_ignores_input_order(
    events: list[Event], now: datetime, calendar: Calendar, policy: str, data: st.DataObject
):
    """The same events always give the same answer, whatever order they are given in
    (issue 3 §3)."""
    first = compute(events, now, calendar, policy)
    assert compute(events, now, calendar, policy) == first
    shuffled = data.draw(st.permutations(events))
    assert compute(list(shuffled), now, calendar, policy) == first


@settings(deadline=None)
@given(
    events=timelines(),
    now=nows,
    calendar=calendars,
    policy=policies,
    kind=st.sampled_from(UNRELATED),
    delay=st.integers(min_value=1, max_value=MAX_OFFSET),
)
def test_an_unrelated_later_event_never_changes_a_met_milestone(
    events: list[Event],
    now: datetime,
    calendar: Calendar,
    policy: str,
    kind: str,
    delay: int,
):
    """Once met, a milestone stays exactly as it is when something else happens after it
    (issue 3 §8); only a reopening (a voided resolution) may change it."""
    before = compute(events, now, calendar, policy)
    for status_before in before:
        if status_before.state != MET or status_before.met_at is None:
            continue
        later = Event(
            type=kind,
            occurred_at=status_before.met_at + timedelta(seconds=delay),
            sequence=1000,
        )
        after = {s.key: s for s in compute([*events, later], now, calendar, policy)}
        assert after[status_before.key] == status_before


@settings(deadline=None)
@given(
    events=timelines(),
    now=nows,
    later=st.integers(min_value=1, max_value=MAX_OFFSET),
    calendar=calendars,
    policy=policies,
)
def test_a_breach_is_never_undone_by_time_passing(
    events: list[Event], now: datetime, later: int, calendar: Calendar, policy: str
):
    """With the same events, a milestone breached now is breached at every later moment."""
    at_now = compute(events, now, calendar, policy)
    at_later = compute(events, now + timedelta(seconds=later), calendar, policy)
    for a, b in zip(at_now, at_later, strict=True):
        if a.state == BREACHED:
            assert b.state == BREACHED, a.key


@settings(deadline=None)
@given(events=timelines(), now=nows, calendar=calendars, policy=policies)
def test_at_risk_agrees_with_warn_at_and_due_at(
    events: list[Event], now: datetime, calendar: Calendar, policy: str
):
    """What the sweep stores (``warn_at``, ``due_at``) tells the same story as the flags."""
    for s in compute(events, now, calendar, policy):
        if s.state == PENDING and s.due_at is not None:
            assert s.warn_at is not None and s.warn_at <= s.due_at
            assert now <= s.due_at
            # Less than a quarter left ⟺ counted time has passed the warning instant.
            assert s.at_risk == (calendar.elapsed(s.warn_at, now) > timedelta(0)), s.key
        if s.state == MET:
            assert s.met_at is not None and s.due_at is not None and s.met_at <= s.due_at
        if s.state == NOT_APPLICABLE:
            assert (s.due_at, s.met_at, s.at_risk) == (None, None, False)
