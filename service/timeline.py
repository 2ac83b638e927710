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
    SOLUTION_PROPOSED = "solution_proposed"
    PAUSED = "paused"
    RESUMED = "resumed"
    LOANER_INSTALLED = "loaner_installed"
    RESOLVED = "resolved"
    CUSTOMER_SIGNED = "customer_signed"
    FILED = "filed"
    CLOSED = "closed"
    REOPENED = "reopened"


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


# Everything before closing is open: a signed or filed request still waits to be closed.
OPEN_STATUSES = frozenset(set(Status) - {Status.CLOSED})


@dataclass(frozen=True)
class TimelineError(Exception):
    """``code`` names the contradiction; the web layer words it for people."""

    code: str
    event_type: str

    def __str__(self) -> str:
        return f"{self.code}: {self.event_type}"


def check_timeline(events: Sequence[Event], *, needs_arrival: bool) -> None:
    """Raise ``TimelineError`` for the first event that contradicts what came before it.

    ``needs_arrival``: the policy promises someone on site, so a ``resolved`` needs an
    ``arrived`` before it (a fix by phone is ``remote_resolved``).
    """
    closed = paused = resolved = signed = False
    arrived = False
    for event in ordered(events):
        kind = event.type

        def refuse(code: str, kind: str = kind) -> None:
            raise TimelineError(code, kind)

        if closed and kind != EventType.REOPENED:
            refuse("after_closed")
        if kind == EventType.PAUSED:
            if paused:
                refuse("already_paused")
            if resolved:
                refuse("already_resolved")
            paused = True
        elif kind == EventType.RESUMED:
            if not paused:
                refuse("resume_without_pause")
            paused = False
        elif kind == EventType.ARRIVED:
            arrived = True
        elif kind == EventType.SOLUTION_PROPOSED:
            if not arrived:
                refuse("solution_before_arrival")
        elif kind == EventType.RESOLVED:
            if resolved:
                refuse("already_resolved")
            if needs_arrival and not arrived:
                refuse("resolved_before_arrival")
            resolved, paused = True, False
        elif kind == EventType.REMOTE_RESOLVED:
            if resolved:
                refuse("already_resolved")
            resolved, paused = True, False
        elif kind == EventType.CUSTOMER_SIGNED:
            if not resolved:
                refuse("signed_before_resolution")
            signed = True
        elif kind == EventType.FILED:
            if not signed:
                refuse("filed_before_signature")
        elif kind == EventType.CLOSED:
            if not resolved:
                refuse("closed_before_resolution")
            closed = True
        elif kind == EventType.REOPENED:
            if not (closed or resolved):
                refuse("reopen_while_open")
            closed = resolved = signed = paused = False
        elif kind in (EventType.DISPATCHED, EventType.CALLBACK, EventType.LOANER_INSTALLED):
            if resolved and kind == EventType.DISPATCHED:
                refuse("already_resolved")
        else:
            refuse("unknown_event")


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
            status = Status.ON_SITE if arrived else Status.DISPATCHED if dispatched else Status.NEW
    return status


def next_steps(status: str, done: set[str]) -> set[EventType]:
    """The on-site steps that make sense next for a request in ``status`` that has seen the
    events ``done``: what "my jobs" offers as buttons (the timeline check still decides)."""
    if status == Status.PAUSED:
        return {EventType.RESUMED}
    if status in (Status.NEW, Status.DISPATCHED):
        steps = {EventType.ARRIVED, EventType.REMOTE_RESOLVED, EventType.PAUSED}
    elif status == Status.ON_SITE:
        steps = {EventType.RESOLVED, EventType.PAUSED}
        if EventType.SOLUTION_PROPOSED not in done:
            steps.add(EventType.SOLUTION_PROPOSED)
    else:
        return set()
    if EventType.LOANER_INSTALLED not in done:
        steps.add(EventType.LOANER_INSTALLED)
    return steps
