"""The promise clock: a policy, a calendar and a request's events in, the state of every
milestone out. Pure: no Django, no database; the same events always give the same answer.

Rules (R-3.3, R-3.5, R-5.2, R-5.3, R-6.2, R-6.3, R-7.2; see docs/requirements.md, "Where the seed
contradicts itself"):
- A milestone's clock starts at the report (``reported``) or at the first event of a type
  (``arrived`` for the solution promise), and is met by the first of its ``met_by`` events
  at or after that start.
- Met exactly at the deadline is met; a second late is breached; a pending milestone past
  its deadline is breached.
- A pause (``paused`` … ``resumed``, or a resolution or reopening, which also end it) stops
  every pending clock: the deadline moves back by the paused time, counted in the calendar's
  time. A pause that begins after the deadline has passed does not undo the breach; one that
  begins exactly at the deadline still stops the clock (the deadline has not passed yet).
- ``remote_resolved`` (fixed by phone guidance) before anyone arrived makes the on-site
  milestones not applicable; it meets the milestones that list it.
- ``reopened`` voids the resolutions recorded before it: the fault was not fixed.
- A step recorded late (dated well before it was recorded) that no manager has confirmed
  (``Event.meets`` false) starts clocks and ends pauses like any other, but meets no promise:
  a back-dated arrival cannot turn a missed promise into a kept one by itself.
- ``at_risk``: pending, started, with less than ``at_risk_fraction`` of the target left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.calendars import ZERO, AroundTheClock, Calendar

REPORTED = "reported"
RESOLUTION_EVENTS = frozenset({"resolved", "remote_resolved"})
PAUSE_ENDERS = RESOLUTION_EVENTS | {"resumed", "reopened"}


class State(StrEnum):
    PENDING = "pending"
    MET = "met"
    BREACHED = "breached"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class MilestoneRule:
    key: str
    target: timedelta
    met_by: frozenset[str]
    starts_at: str = REPORTED  # or the event type whose first occurrence starts the clock
    skipped_by_remote: bool = False  # remote resolution before arrival: not applicable


@dataclass(frozen=True)
class Event:
    type: str
    occurred_at: datetime
    data: Mapping[str, object] = field(default_factory=dict)
    sequence: int = 0  # tie-breaker for events at the same instant: the order recorded
    # False for a step recorded late that no manager confirmed yet: it starts clocks and
    # moves the status, but it meets no promise.
    meets: bool = True


@dataclass(frozen=True)
class MilestoneStatus:
    key: str
    target_seconds: int
    started_at: datetime | None
    due_at: datetime | None
    warn_at: datetime | None
    met_at: datetime | None
    paused_seconds: int
    state: State
    at_risk: bool
    paused: bool  # the clock is stopped right now by an open pause


def ordered(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.occurred_at, e.sequence))


def effective_events(events: Sequence[Event]) -> list[Event]:
    """The events in time order, without the resolutions that a later reopening voided."""
    timeline = ordered(events)
    last_reopen = max((i for i, e in enumerate(timeline) if e.type == "reopened"), default=None)
    if last_reopen is None:
        return timeline
    return [
        e for i, e in enumerate(timeline) if not (i < last_reopen and e.type in RESOLUTION_EVENTS)
    ]


def pause_intervals(events: Sequence[Event]) -> list[tuple[datetime, datetime | None]]:
    """[paused, resumed) intervals in time order; the last may still be open (None).

    As in the timeline's rules (``service.timeline``), a resolution or a reopening also ends
    a pause; pass every event, voided resolutions included: the pause did end there.
    """
    intervals: list[tuple[datetime, datetime | None]] = []
    open_since: datetime | None = None
    for event in ordered(events):
        if event.type == "paused" and open_since is None:
            open_since = event.occurred_at
        elif event.type in PAUSE_ENDERS and open_since is not None:
            intervals.append((open_since, event.occurred_at))
            open_since = None
    if open_since is not None:
        intervals.append((open_since, None))
    return intervals


def _meeting(events: Sequence[Event]) -> list[Event]:
    """The events that may meet a promise (a step recorded late waits for confirmation)."""
    return [e for e in events if e.meets]


def _first(events: Sequence[Event], types: Iterable[str], after: datetime) -> datetime | None:
    wanted = set(types)
    for event in events:
        if event.type in wanted and event.occurred_at >= after:
            return event.occurred_at
    return None


def compute_milestones(
    *,
    rules: Sequence[MilestoneRule],
    events: Sequence[Event],
    reported_at: datetime,
    now: datetime,
    calendar: Calendar | None = None,
    at_risk_fraction: float = 0.25,
) -> list[MilestoneStatus]:
    calendar = calendar or AroundTheClock()
    timeline = effective_events(events)
    pauses = pause_intervals(events)
    first_arrival = _first(timeline, ["arrived"], reported_at)
    meeting = _meeting(timeline)
    remote_at = _first(meeting, ["remote_resolved"], reported_at)
    remote_before_arrival = remote_at is not None and (
        first_arrival is None or remote_at < first_arrival
    )
    return [
        _milestone(
            rule,
            timeline=timeline,
            meeting=meeting,
            pauses=pauses,
            reported_at=reported_at,
            now=now,
            calendar=calendar,
            at_risk_fraction=at_risk_fraction,
            remote_before_arrival=remote_before_arrival,
        )
        for rule in rules
    ]


def _milestone(
    rule: MilestoneRule,
    *,
    timeline: Sequence[Event],
    meeting: Sequence[Event],
    pauses: Sequence[tuple[datetime, datetime | None]],
    reported_at: datetime,
    now: datetime,
    calendar: Calendar,
    at_risk_fraction: float,
    remote_before_arrival: bool,
) -> MilestoneStatus:
    target_seconds = int(rule.target.total_seconds())

    def status(state: State, **values) -> MilestoneStatus:
        base: dict = {
            "key": rule.key,
            "target_seconds": target_seconds,
            "started_at": None,
            "due_at": None,
            "warn_at": None,
            "met_at": None,
            "paused_seconds": 0,
            "at_risk": False,
            "paused": False,
        }
        return MilestoneStatus(state=state, **(base | values))

    if rule.skipped_by_remote and remote_before_arrival:
        return status(State.NOT_APPLICABLE)
    if rule.starts_at == REPORTED:
        started_at: datetime | None = reported_at
    else:
        started_at = _first(timeline, [rule.starts_at], reported_at)
    if started_at is None:
        return status(State.PENDING)  # its clock has not started yet

    met_at = _first(meeting, rule.met_by, started_at)
    horizon = met_at if met_at is not None else now
    paused_time = ZERO
    due_at = calendar.add(started_at, rule.target)
    stopped_now = False
    for begin, end in pauses:
        segment_start = max(begin, started_at)
        if segment_start > due_at:
            break  # already late when the pause began: the pause does not undo that
        if end is None and met_at is None and begin <= now:
            # Stopped right now, even if the pause began this very instant.
            stopped_now = True
        segment_end = min(end if end is not None else horizon, horizon)
        if segment_end <= segment_start:
            continue
        paused_time += calendar.elapsed(segment_start, segment_end)
        due_at = calendar.add(started_at, rule.target + paused_time)

    values = {
        "started_at": started_at,
        "due_at": due_at,
        "paused_seconds": int(paused_time.total_seconds()),
    }
    if met_at is not None:
        state = State.MET if met_at <= due_at else State.BREACHED
        return status(state, met_at=met_at, **values)

    warn_at = calendar.add(started_at, rule.target * (1 - at_risk_fraction) + paused_time)
    if now > due_at:
        return status(State.BREACHED, warn_at=warn_at, paused=stopped_now, **values)
    remaining = calendar.elapsed(now, due_at)
    at_risk = remaining < rule.target * at_risk_fraction
    return status(State.PENDING, warn_at=warn_at, at_risk=at_risk, paused=stopped_now, **values)
