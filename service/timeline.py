"""Which timelines make sense, and the request status a timeline implies. Pure: no Django.

An event may arrive late (an engineer back online) or out of order (an integration), so a
new event is judged by putting it in its place in time and checking the whole timeline; an
event that contradicts it is refused and nothing changes (R-3.5, R-3.6, R-5.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .sla import RESOLUTION_EVENTS, Event, ordered


class EventType(StrEnum):
    CALLBACK = "callback"
    REMOTE_RESOLVED = "remote_resolved"
    DISPATCHED = "dispatched"
    ARRIVED = "arrived"
    DEPARTED = "departed"
    SOLUTION_PROPOSED = "solution_proposed"
    PAUSED = "paused"
    RESUMED = "resumed"
    LOANER_INSTALLED = "loaner_installed"
    RESOLVED = "resolved"
    CUSTOMER_SIGNED = "customer_signed"
    FILED = "filed"
    CLOSED = "closed"
    REOPENED = "reopened"
    # The hospital called the hotline again about this request (issue 13 §3): a note on the
    # timeline that moves no status and meets no promise.
    CALL = "call"


class PauseReason(StrEnum):
    """Why the clock may stop. Waiting for our own parts is not one of them."""

    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    SITE_NOT_ACCESSIBLE = "site_not_accessible"
    CUSTOMER_REQUESTED_DELAY = "customer_requested_delay"
    OTHER = "other"


class Status(StrEnum):
    NEW = "new"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    PAUSED = "paused"
    RESOLVED = "resolved"
    SIGNED = "signed"
    FILED = "filed"
    CLOSED = "closed"


# Steps a person records as such; the customer's signature is recorded by signing the
# repair record (``service.repair_records.services``), never as a bare step.
# A call is added from the hotline desk (``service.hotline.services``).
MANUAL_STEPS = frozenset(set(EventType) - {EventType.CUSTOMER_SIGNED, EventType.CALL})

# Everything before closing is open: a signed or filed request still waits to be closed.
OPEN_STATUSES = frozenset(set(Status) - {Status.CLOSED})


@dataclass(frozen=True)
class TimelineError(Exception):
    """``code`` names the contradiction; the web layer words it for people."""

    code: str
    event_type: str

    def __str__(self) -> str:
        return f"{self.code}: {self.event_type}"


# What ends the engineer's stay on site: the next arrival is a new trip.
TRIP_ENDERS = frozenset({"departed", *RESOLUTION_EVENTS, "reopened"})


@dataclass
class Walk:
    """Where a timeline stands after its events, as ``check_timeline`` walks it."""

    closed: bool = False
    paused: bool = False
    resolved: bool = False
    signed: bool = False
    filed: bool = False
    arrived: bool = False  # ever, since the report
    on_site: bool = False  # an arrival that no departure, resolution or reopening ended
    proposed: bool = False  # a solution proposed on the current trip
    previous: Event | None = None


def _engineer_ids(event: Event) -> set[object]:
    ids = event.data.get("engineer_ids")
    return set(ids) if isinstance(ids, list) else set()


def _same_dispatch(a: Event, b: Event) -> bool:
    return _engineer_ids(a) == _engineer_ids(b)


def walk(events: Sequence[Event], *, needs_arrival: bool) -> Walk:
    """Walk the timeline in time order; raise ``TimelineError`` for the first event that
    contradicts what came before it.

    ``needs_arrival``: the policy promises someone on site, so a ``resolved`` needs an
    ``arrived`` before it (a fix by phone is ``remote_resolved``).
    """
    state = Walk()
    for event in ordered(events):
        kind = event.type
        previous = state.previous

        def refuse(code: str, kind: str = kind) -> None:
            raise TimelineError(code, kind)

        if state.closed and kind != EventType.REOPENED:
            refuse("after_closed")
        if kind == EventType.CALL:
            # A note between two steps: "the same step again" still compares those two.
            continue
        if kind == EventType.PAUSED:
            if state.paused:
                refuse("already_paused")
            if state.resolved:
                refuse("already_resolved")
            state.paused = True
        elif kind == EventType.RESUMED:
            if not state.paused:
                refuse("resume_without_pause")
            state.paused = False
        elif kind == EventType.ARRIVED:
            if state.resolved:
                refuse("already_resolved")
            if state.on_site:
                refuse("already_on_site")
            state.arrived = state.on_site = True
            state.proposed = False
        elif kind == EventType.DEPARTED:
            if not state.on_site:
                refuse("departed_not_on_site")
            state.on_site = False
        elif kind == EventType.SOLUTION_PROPOSED:
            if not state.arrived:
                refuse("solution_before_arrival")
            if state.proposed:
                refuse("already_proposed")
            state.proposed = True
        elif kind in (EventType.RESOLVED, EventType.REMOTE_RESOLVED):
            if state.resolved:
                refuse("already_resolved")
            if kind == EventType.RESOLVED and needs_arrival and not state.arrived:
                refuse("resolved_before_arrival")
            state.resolved, state.paused, state.on_site = True, False, False
        elif kind == EventType.CUSTOMER_SIGNED:
            if not state.resolved:
                refuse("signed_before_resolution")
            if state.signed:
                refuse("already_signed")
            state.signed = True
        elif kind == EventType.FILED:
            if not state.signed:
                refuse("filed_before_signature")
            if state.filed:
                refuse("already_filed")
            state.filed = True
        elif kind == EventType.CLOSED:
            if not state.resolved:
                refuse("closed_before_resolution")
            state.closed = True
        elif kind == EventType.REOPENED:
            if not (state.closed or state.resolved):
                refuse("reopen_while_open")
            state.closed = state.resolved = state.signed = state.filed = False
            state.paused = state.on_site = state.proposed = False
        elif kind == EventType.DISPATCHED:
            if state.resolved:
                refuse("already_resolved")
            # A new dispatch changes who goes; the same one again is a resent form.
            if previous is not None and previous.type == kind and _same_dispatch(previous, event):
                refuse("already_dispatched")
        elif kind == EventType.CALLBACK:
            if previous is not None and previous.type == kind:
                refuse("already_called_back")
        elif kind != EventType.LOANER_INSTALLED:  # each loaner installed is its own step
            refuse("unknown_event")
        state.previous = event
    return state


def check_timeline(events: Sequence[Event], *, needs_arrival: bool) -> None:
    """Raise ``TimelineError`` for the first event that contradicts what came before it."""
    walk(events, needs_arrival=needs_arrival)


def trips(events: Sequence[Event]) -> int:
    """How many times someone travelled to the site: the arrivals that began a trip.
    An arrival while a trip is under way (a timeline stored before repeated steps were
    refused) is not another trip."""
    count = 0
    on_site = False
    for event in ordered(events):
        if event.type == EventType.ARRIVED and not on_site:
            count += 1
            on_site = True
        elif event.type in TRIP_ENDERS:
            on_site = False
    return count


def status_of(events: Sequence[Event]) -> Status:
    """The request's status after its (valid) timeline. A dispatch or an arrival during a
    pause shows once the pause ends."""
    status = before_pause = Status.NEW
    dispatched = arrived = False
    for event in ordered(events):
        kind = event.type
        if kind == EventType.DISPATCHED:
            dispatched = True
            if status == Status.NEW:
                status = Status.DISPATCHED
            elif status == Status.PAUSED and before_pause == Status.NEW:
                before_pause = Status.DISPATCHED
        elif kind == EventType.ARRIVED:
            arrived = True
            if status in (Status.NEW, Status.DISPATCHED):
                status = Status.ON_SITE
            elif status == Status.PAUSED and before_pause in (Status.NEW, Status.DISPATCHED):
                before_pause = Status.ON_SITE
        elif kind == EventType.DEPARTED:
            # Gone until the next arrival: the request waits for its engineer again.
            if status == Status.ON_SITE:
                status = Status.DISPATCHED
            elif status == Status.PAUSED and before_pause == Status.ON_SITE:
                before_pause = Status.DISPATCHED
        elif kind == EventType.PAUSED:
            status, before_pause = Status.PAUSED, status
        elif kind == EventType.RESUMED:
            status = before_pause
        elif kind in RESOLUTION_EVENTS:
            status = Status.RESOLVED
        elif kind == EventType.CUSTOMER_SIGNED:
            status = Status.SIGNED
        elif kind == EventType.FILED:
            status = Status.FILED
        elif kind == EventType.CLOSED:
            status = Status.CLOSED
        elif kind == EventType.REOPENED:
            # The fault is back: someone has to go (back) on site.
            status = Status.DISPATCHED if (dispatched or arrived) else Status.NEW
    return status


def next_steps(events: Sequence[Event]) -> set[EventType]:
    """The on-site steps that make sense next after a (valid) timeline: what "my jobs"
    offers as buttons (the timeline check still decides)."""
    status = status_of(events)
    state = walk(events, needs_arrival=False)
    if status == Status.PAUSED:
        return {EventType.RESUMED, EventType.DEPARTED} if state.on_site else {EventType.RESUMED}
    if status in (Status.NEW, Status.DISPATCHED):
        steps = {EventType.ARRIVED, EventType.REMOTE_RESOLVED, EventType.PAUSED}
    elif status == Status.ON_SITE:
        steps = {EventType.RESOLVED, EventType.PAUSED, EventType.DEPARTED}
        if not state.proposed:
            steps.add(EventType.SOLUTION_PROPOSED)
    else:
        return set()
    if not any(e.type == EventType.LOANER_INSTALLED for e in events):
        steps.add(EventType.LOANER_INSTALLED)
    return steps
