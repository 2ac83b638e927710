"""Which timelines make sense, and the status they imply (``service.timeline``; R-3.5, R-3.6,
R-5.2, R-5.5, R-6.7; issue 3 §3: an event that contradicts the timeline is refused with a
clear error). Pure: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.sla import Event, State, compute_milestones
from service.tests.test_sla import emergency_policy, standard_policy
from service.timeline import (
    OPEN_STATUSES,
    EventType,
    Status,
    TimelineError,
    check_timeline,
    status_of,
    trips,
)

REPORTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)

Step = tuple[str, int]  # (event type, minutes after the report)


def events_of(steps: list[Step]) -> list[Event]:
    return [
        Event(type=kind, occurred_at=REPORTED + minutes * M, sequence=i)
        for i, (kind, minutes) in enumerate(steps, start=1)
    ]


def refusal(steps: list[Step], *, needs_arrival: bool = True) -> TimelineError:
    with pytest.raises(TimelineError) as caught:
        check_timeline(events_of(steps), needs_arrival=needs_arrival)
    return caught.value


CLOSED_REQUEST: list[Step] = [
    ("dispatched", 5),
    ("arrived", 60),
    ("resolved", 120),
    ("customer_signed", 130),
    ("filed", 140),
    ("closed", 150),
]

REFUSALS = {
    "resumed-without-paused": ([("dispatched", 5), ("resumed", 10)], "resume_without_pause"),
    "resumed-twice": (
        [("paused", 5), ("resumed", 10), ("resumed", 20)],
        "resume_without_pause",
    ),
    "resumed-after-resolution-ended-the-pause": (
        [("arrived", 5), ("paused", 10), ("resolved", 20), ("resumed", 30)],
        "resume_without_pause",
    ),
    "paused-twice": ([("dispatched", 5), ("paused", 10), ("paused", 20)], "already_paused"),
    "paused-after-resolution": (
        [("arrived", 5), ("resolved", 10), ("paused", 20)],
        "already_resolved",
    ),
    "resolved-before-arrived": ([("dispatched", 5), ("resolved", 30)], "resolved_before_arrival"),
    "resolved-twice": ([("arrived", 5), ("resolved", 10), ("resolved", 20)], "already_resolved"),
    "remote-after-resolved": (
        [("arrived", 5), ("resolved", 10), ("remote_resolved", 20)],
        "already_resolved",
    ),
    "dispatched-after-resolution": (
        [("remote_resolved", 5), ("dispatched", 20)],
        "already_resolved",
    ),
    "solution-before-arrival": (
        [("dispatched", 5), ("solution_proposed", 20)],
        "solution_before_arrival",
    ),
    "reopened-while-open": ([("dispatched", 5), ("reopened", 20)], "reopen_while_open"),
    "reopened-first": ([("reopened", 5)], "reopen_while_open"),
    "reopened-twice": (
        [*CLOSED_REQUEST, ("reopened", 200), ("reopened", 210)],
        "reopen_while_open",
    ),
    "signed-before-resolution": (
        [("arrived", 5), ("customer_signed", 20)],
        "signed_before_resolution",
    ),
    "signed-after-reopening-before-new-resolution": (
        [*CLOSED_REQUEST, ("reopened", 200), ("customer_signed", 210)],
        "signed_before_resolution",
    ),
    "filed-before-signature": (
        [("arrived", 5), ("resolved", 10), ("filed", 20)],
        "filed_before_signature",
    ),
    "closed-before-resolution": ([("arrived", 5), ("closed", 20)], "closed_before_resolution"),
    "closed-after-reopening-before-new-resolution": (
        [*CLOSED_REQUEST, ("reopened", 200), ("closed", 210)],
        "closed_before_resolution",
    ),
    "unknown-event-type": ([("dispatched", 5), ("teleported", 20)], "unknown_event"),
    # A step repeated with nothing in between is an accident, never a second fact (issue 10).
    "arrived-twice": ([("arrived", 5), ("arrived", 10)], "already_on_site"),
    "arrived-again-after-a-pause-without-leaving": (
        [("arrived", 5), ("paused", 10), ("resumed", 20), ("arrived", 30)],
        "already_on_site",
    ),
    "arrived-after-resolution": (
        [("arrived", 5), ("resolved", 10), ("arrived", 20)],
        "already_resolved",
    ),
    "departed-before-arriving": ([("dispatched", 5), ("departed", 10)], "departed_not_on_site"),
    "departed-twice": (
        [("arrived", 5), ("departed", 10), ("departed", 20)],
        "departed_not_on_site",
    ),
    "solution-twice-on-one-trip": (
        [("arrived", 5), ("solution_proposed", 10), ("solution_proposed", 20)],
        "already_proposed",
    ),
    "signed-twice": (
        [("arrived", 5), ("resolved", 10), ("customer_signed", 20), ("customer_signed", 30)],
        "already_signed",
    ),
    "filed-twice": ([*CLOSED_REQUEST[:5], ("filed", 145)], "already_filed"),
    "the-same-dispatch-twice": ([("dispatched", 5), ("dispatched", 10)], "already_dispatched"),
    "callback-twice": ([("callback", 5), ("callback", 10)], "already_called_back"),
}


@pytest.mark.parametrize(("steps", "code"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refusal(steps: list[Step], code: str):
    """The first contradicting event is named, with a code the web layer words (issue 3 §3)."""
    error = refusal(steps)
    assert (error.code, error.event_type) == (code, steps[-1][0])
    assert str(error) == f"{code}: {steps[-1][0]}"


AFTER_CLOSED = [kind.value for kind in EventType if kind != EventType.REOPENED]


@pytest.mark.parametrize("kind", AFTER_CLOSED)
def test_nothing_but_reopened_after_closed(kind: str):
    """Anything after ``closed`` except ``reopened`` is refused (issue 3 §3)."""
    error = refusal([*CLOSED_REQUEST, (kind, 200)])
    assert (error.code, error.event_type) == ("after_closed", kind)


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param(
            [("arrived", 5), ("departed", 10), ("arrived", 60)], id="a-second-trip-after-leaving"
        ),
        pytest.param(
            [
                ("arrived", 5),
                ("solution_proposed", 10),
                ("departed", 20),
                ("arrived", 60),
                ("solution_proposed", 70),
            ],
            id="a-solution-per-trip",
        ),
        pytest.param(
            [("arrived", 5), ("resolved", 10), ("reopened", 60), ("arrived", 90)],
            id="a-new-trip-after-reopening",
        ),
        pytest.param(
            [("arrived", 5), ("paused", 10), ("departed", 20), ("resumed", 60), ("arrived", 90)],
            id="leaving-during-a-pause",
        ),
        pytest.param(
            [("callback", 5), ("dispatched", 10), ("callback", 20)],
            id="a-callback-after-something-else",
        ),
        pytest.param([("loaner_installed", 5), ("loaner_installed", 10)], id="two-loaners"),
    ],
)
def test_repeats_the_timeline_allows(steps: list[Step]):
    check_timeline(events_of(steps), needs_arrival=True)


def test_a_new_dispatch_is_a_change_of_engineers():
    first = Event("dispatched", REPORTED + M, {"engineer_ids": [1]}, sequence=1)
    other = Event("dispatched", REPORTED + 2 * M, {"engineer_ids": [2, 1]}, sequence=2)
    same = Event("dispatched", REPORTED + 2 * M, {"engineer_ids": [1]}, sequence=2)
    check_timeline([first, other], needs_arrival=True)
    with pytest.raises(TimelineError) as caught:
        check_timeline([first, same], needs_arrival=True)
    assert caught.value.code == "already_dispatched"


@pytest.mark.parametrize(
    ("steps", "count"),
    [
        ([], 0),
        ([("remote_resolved", 5)], 0),
        ([("arrived", 5), ("resolved", 10)], 1),
        ([("arrived", 5), ("departed", 10), ("arrived", 60), ("resolved", 90)], 2),
        ([("arrived", 5), ("resolved", 10), ("reopened", 60), ("arrived", 90)], 2),
        # Stored before repeats were refused: twenty arrivals in a row are one trip.
        ([("arrived", 5 + n) for n in range(20)], 1),
    ],
)
def test_trips_are_journeys_to_the_site(steps: list[Step], count: int):
    assert trips(events_of(steps)) == count


def test_reopened_after_closed_is_accepted():
    check_timeline(events_of([*CLOSED_REQUEST, ("reopened", 200)]), needs_arrival=True)


def test_resolved_without_arrival_is_accepted_when_the_policy_needs_no_arrival():
    steps = [("callback", 5), ("dispatched", 10), ("resolved", 30)]
    check_timeline(events_of(steps), needs_arrival=False)
    assert refusal(steps, needs_arrival=True).code == "resolved_before_arrival"


def test_remote_resolution_needs_no_arrival_even_when_the_policy_promises_one():
    """R-5.2, R-6.6: fixed by phone guidance, nobody has to arrive."""
    steps = [("callback", 5), ("remote_resolved", 30), ("customer_signed", 40), ("closed", 50)]
    check_timeline(events_of(steps), needs_arrival=True)


def test_solution_before_arrival_is_refused_whatever_the_policy():
    assert refusal([("solution_proposed", 5)], needs_arrival=False).code == (
        "solution_before_arrival"
    )


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param([], id="empty"),
        pytest.param(
            [("paused", 5), ("resumed", 10), ("paused", 20), ("resumed", 30)], id="pauses"
        ),
        pytest.param(
            [("arrived", 5), ("paused", 10), ("resolved", 20), ("customer_signed", 30)],
            id="resolved-while-paused",
        ),
        pytest.param(
            [("arrived", 5), ("resolved", 10), ("reopened", 20), ("resolved", 30)],
            id="reopened-before-closing",
        ),
        pytest.param(
            [*CLOSED_REQUEST, ("reopened", 200), ("paused", 210), ("resumed", 220)],
            id="pause-after-reopening",
        ),
        pytest.param(
            [("arrived", 5), ("loaner_installed", 10), ("callback", 15), ("resolved", 20)],
            id="loaner-and-callback",
        ),
    ],
)
def test_accepted(steps: list[Step]):
    check_timeline(events_of(steps), needs_arrival=True)


# --- Out-of-order insertion ---------------------------------------------------------------


def test_an_arrival_inserted_before_an_existing_resolution_makes_the_timeline_valid():
    """An engineer back online logs the arrival after the resolution was recorded: the new
    event takes its place in time (issue 3 §3), and the once-refused timeline is valid."""
    recorded = [
        Event("dispatched", REPORTED + 5 * M, sequence=1),
        Event("resolved", REPORTED + 300 * M, sequence=2),
    ]
    with pytest.raises(TimelineError) as caught:
        check_timeline(recorded, needs_arrival=True)
    assert caught.value.code == "resolved_before_arrival"
    late_arrival = Event("arrived", REPORTED + 180 * M, sequence=3)
    check_timeline([*recorded, late_arrival], needs_arrival=True)
    assert status_of([*recorded, late_arrival]) == Status.RESOLVED


def test_an_inserted_event_can_make_a_later_existing_event_contradict():
    """``closed`` logged late, before a callback that is already recorded: the callback is now
    after the closing and the whole timeline is refused, naming the callback."""
    recorded = events_of([("arrived", 5), ("resolved", 10), ("callback", 40)])
    check_timeline(recorded, needs_arrival=True)
    closed = Event("closed", REPORTED + 20 * M, sequence=4)
    with pytest.raises(TimelineError) as caught:
        check_timeline([*recorded, closed], needs_arrival=True)
    assert (caught.value.code, caught.value.event_type) == ("after_closed", "callback")


def test_a_late_pause_inside_an_existing_one_is_refused():
    recorded = events_of([("paused", 10), ("resumed", 60)])
    inserted = Event("paused", REPORTED + 30 * M, sequence=3)
    with pytest.raises(TimelineError) as caught:
        check_timeline([*recorded, inserted], needs_arrival=True)
    assert caught.value.code == "already_paused"


def test_same_instant_events_follow_the_recorded_order():
    at = REPORTED + 30 * M
    arrived_first = [Event("arrived", at, sequence=1), Event("resolved", at, sequence=2)]
    check_timeline(arrived_first, needs_arrival=True)
    resolved_first = [Event("arrived", at, sequence=2), Event("resolved", at, sequence=1)]
    with pytest.raises(TimelineError):
        check_timeline(resolved_first, needs_arrival=True)


def test_check_timeline_does_not_depend_on_the_order_events_are_given_in():
    steps = [*CLOSED_REQUEST, ("reopened", 200)]
    events = events_of(steps)
    check_timeline(list(reversed(events)), needs_arrival=True)
    assert status_of(list(reversed(events))) == status_of(events)


# --- status_of ----------------------------------------------------------------------------

LIFE_CYCLE: list[tuple[str, Status]] = [
    ("callback", Status.NEW),
    ("dispatched", Status.DISPATCHED),
    ("paused", Status.PAUSED),
    ("resumed", Status.DISPATCHED),
    ("arrived", Status.ON_SITE),
    ("solution_proposed", Status.ON_SITE),
    ("paused", Status.PAUSED),
    ("resumed", Status.ON_SITE),
    ("departed", Status.DISPATCHED),
    ("arrived", Status.ON_SITE),
    ("loaner_installed", Status.ON_SITE),
    ("resolved", Status.RESOLVED),
    ("customer_signed", Status.SIGNED),
    ("filed", Status.FILED),
    ("closed", Status.CLOSED),
    ("reopened", Status.DISPATCHED),
    ("arrived", Status.ON_SITE),
    ("paused", Status.PAUSED),
    ("departed", Status.PAUSED),
    ("resumed", Status.DISPATCHED),
    ("arrived", Status.ON_SITE),
    ("resolved", Status.RESOLVED),
    ("customer_signed", Status.SIGNED),
    ("filed", Status.FILED),
    ("closed", Status.CLOSED),
]


def test_status_through_a_full_life_cycle():
    """Every prefix of a full life cycle (with pauses and a reopening) is a valid timeline
    and has the expected status (R-3.5, R-3.6)."""
    assert status_of([]) == Status.NEW
    steps: list[Step] = []
    seen = []
    for minute, (kind, _expected) in enumerate(LIFE_CYCLE, start=1):
        steps.append((kind, minute * 10))
        events = events_of(steps)
        check_timeline(events, needs_arrival=True)
        seen.append((kind, status_of(events)))
    assert seen == LIFE_CYCLE


def test_open_statuses():
    """Open: still needing work or paperwork before closing; the dispatch board shows them."""
    assert Status.CLOSED not in OPEN_STATUSES
    assert {Status.NEW, Status.DISPATCHED, Status.ON_SITE, Status.PAUSED} <= OPEN_STATUSES


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        pytest.param([("paused", 5)], Status.PAUSED, id="paused-before-dispatch"),
        pytest.param([("paused", 5), ("resumed", 10)], Status.NEW, id="resumed-to-new"),
        pytest.param(
            [("dispatched", 5), ("paused", 10), ("arrived", 20), ("resumed", 30)],
            Status.ON_SITE,
            id="arrived-while-paused",
        ),
        pytest.param(
            [("paused", 5), ("dispatched", 10), ("resumed", 20)],
            Status.DISPATCHED,
            id="dispatched-while-paused",
        ),
        pytest.param(
            [("dispatched", 5), ("arrived", 10), ("dispatched", 20)],
            Status.ON_SITE,
            id="second-dispatch-keeps-on-site",
        ),
        pytest.param(
            [("arrived", 5), ("paused", 10), ("resolved", 20)],
            Status.RESOLVED,
            id="resolved-while-paused",
        ),
        pytest.param(
            [("callback", 5), ("remote_resolved", 10)], Status.RESOLVED, id="remote-resolved"
        ),
        pytest.param(
            [("callback", 5), ("remote_resolved", 10), ("reopened", 20)],
            Status.NEW,
            id="reopened-never-dispatched",
        ),
        pytest.param(
            [("dispatched", 5), ("remote_resolved", 10), ("closed", 15), ("reopened", 20)],
            Status.DISPATCHED,
            id="reopened-dispatched-not-arrived",
        ),
        pytest.param(
            [("arrived", 5), ("resolved", 10), ("reopened", 20)],
            Status.DISPATCHED,
            id="reopened-after-arrival",
        ),
    ],
)
def test_status_of(steps: list[Step], expected: Status):
    events = events_of(steps)
    check_timeline(events, needs_arrival=False)
    assert status_of(events) == expected


# --- Properties ---------------------------------------------------------------------------

ALL_TYPES = [kind.value for kind in EventType]


def accepts(events: list[Event]) -> bool:
    try:
        check_timeline(events, needs_arrival=False)
    except TimelineError:
        return False
    return True


@st.composite
def valid_timelines(draw) -> list[Event]:
    """Timelines built one accepted event at a time."""
    events: list[Event] = []
    minute = 0
    for sequence in range(1, draw(st.integers(min_value=0, max_value=14)) + 1):
        minute += draw(st.integers(min_value=0, max_value=120))
        at = REPORTED + minute * M
        allowed = [k for k in ALL_TYPES if accepts([*events, Event(k, at, sequence=sequence)])]
        events.append(Event(draw(st.sampled_from(allowed)), at, sequence=sequence))
    return events


@given(events=valid_timelines())
def test_status_after_a_pause_matches_the_open_pause(events: list[Event]):
    """The status is ``paused`` exactly when the last ``paused`` has not been ended by a
    ``resumed``, a resolution or a reopening (the rules ``check_timeline`` enforces)."""
    open_pause = False
    for event in events:
        if event.type == "paused":
            open_pause = True
        elif event.type in {"resumed", "resolved", "remote_resolved", "reopened"}:
            open_pause = False
    assert (status_of(events) == Status.PAUSED) == open_pause


@given(events=valid_timelines())
def test_every_valid_timeline_has_a_status_and_closed_is_final(events: list[Event]):
    status = status_of(events)
    assert isinstance(status, Status)
    if status == Status.CLOSED:
        last = events[-1]
        after = Event("callback", last.occurred_at + M, sequence=len(events) + 1)
        assert not accepts([*events, after])


@given(
    events=valid_timelines(),
    delay=st.integers(min_value=1, max_value=48 * 60),
    policy=st.sampled_from([standard_policy, emergency_policy]),
)
def test_a_clock_is_stopped_exactly_when_the_request_is_paused(
    events: list[Event], delay: int, policy
):
    """The promise clock and the timeline agree on what ends a pause (issue 3 §3: "a pause
    stops every pending clock"): no milestone is paused unless the request is, and while the
    request is paused every started, pending milestone is."""
    now = (events[-1].occurred_at if events else REPORTED) + delay * M
    request_paused = status_of(events) == Status.PAUSED
    for milestone in compute_milestones(
        rules=policy(), events=events, reported_at=REPORTED, now=now
    ):
        if milestone.paused:
            assert request_paused, milestone.key
        if request_paused and milestone.state == State.PENDING and milestone.started_at:
            assert milestone.paused, milestone.key


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([], {"arrived", "remote_resolved", "paused", "loaner_installed"}),
        ([("arrived", 5), ("paused", 10)], {"resumed", "departed"}),
        ([("dispatched", 5), ("paused", 10)], {"resumed"}),
        (
            [("arrived", 5)],
            {"resolved", "paused", "departed", "solution_proposed", "loaner_installed"},
        ),
        (
            [("arrived", 5), ("solution_proposed", 10), ("loaner_installed", 20)],
            {"resolved", "paused", "departed"},
        ),
        # A new trip: the solution may be proposed again, the arrival is what comes next.
        (
            [("arrived", 5), ("solution_proposed", 10), ("departed", 20)],
            {"arrived", "remote_resolved", "paused", "loaner_installed"},
        ),
        (
            [("arrived", 5), ("solution_proposed", 10), ("departed", 20), ("arrived", 60)],
            {"resolved", "paused", "departed", "solution_proposed", "loaner_installed"},
        ),
        ([("arrived", 5), ("resolved", 10)], set()),
    ],
)
def test_next_steps_offered_on_site(steps, expected):
    from service.timeline import next_steps

    assert next_steps(events_of(steps)) == expected
