"""Service requests through their services: intake, numbering, the default promises of the
seed, the timeline's refusals and the clock (issue 3 §1-§3, "Bad input").

Time is frozen at ``T0`` (10:00 in Qingdao); requests are reported before it so every step
of their timeline lies in the past, as it does when an engineer logs them back online.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from service.models import (
    ContractSlaPolicy,
    Milestone,
    MilestoneDefinition,
    RootCauseReport,
    ServiceEvent,
    ServiceRequest,
    SlaCalendar,
    SlaPolicy,
)
from service.services import (
    TimelineConflict,
    milestones_recompute,
    root_cause_report_save,
    service_request_open,
    service_request_record_event,
    service_request_set_fault_cause,
)
from service.tests.steps import step_actor

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Qingdao
R = T0 - dt.timedelta(days=2)  # when the reference request was reported
H, M, S = dt.timedelta(hours=1), dt.timedelta(minutes=1), dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def agent():
    return vendor_user(VendorRole.DISPATCHER, username="agent")


@pytest.fixture
def engineers():
    return [vendor_user(VendorRole.ENGINEER, username=f"eng{i}") for i in (1, 2)]


@pytest.fixture
def contract(engineers):
    device = DeviceFactory()
    contract = ContractFactory(hospital=device.hospital, devices=[device])
    contract.dedicated_engineers.set(engineers)
    return contract


@pytest.fixture
def device(contract):
    return contract.lines.get().device


def open_request(device, by, *, severity="normal", reported_at=R, **extra) -> ServiceRequest:
    return service_request_open(
        device=device,
        severity=severity,
        channel="hotline",
        description="屏幕无显示 / no display",
        recorded_by=by,
        reported_at=reported_at,
        **extra,
    )


def record(request, kind, at, by=None, **extra) -> ServiceRequest:
    """Record a step as it happens (``now`` = ``at`` unless given: a step logged long
    after it happened is recorded late, tested on its own); ``request`` is refreshed
    (status, next deadline) like the answer."""
    extra.setdefault("now", at)
    answer = service_request_record_event(
        request=request, type=kind, occurred_at=at, actor=step_actor(request, kind, by), **extra
    )
    request.refresh_from_db()
    return answer


def clock(request) -> dict[str, Milestone]:
    return {m.key: m for m in Milestone.objects.filter(request=request)}


def states(request) -> dict[str, str]:
    return {key: m.state for key, m in clock(request).items()}


# --- intake: numbers -------------------------------------------------------------------
def test_numbers_are_sequential_per_year(device, agent):
    numbers = [open_request(device, agent).number for _ in range(3)]
    assert numbers == ["SR-2026-000001", "SR-2026-000002", "SR-2026-000003"]


def test_a_new_year_restarts_the_numbers(device, agent, frozen):
    """The year is the vendor's (Qingdao): 16:30 UTC on 31 December is already 2027 there,
    and a call logged late for 2026 still takes the next 2026 number."""
    frozen.move_to(dt.datetime(2027, 1, 2, 2, 0, tzinfo=dt.UTC))
    last_of_2026 = dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC)  # 23:30 in Qingdao
    first_of_2027 = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)  # 00:30 in Qingdao
    assert open_request(device, agent, reported_at=last_of_2026).number == "SR-2026-000001"
    assert open_request(device, agent, reported_at=first_of_2027).number == "SR-2027-000001"
    assert open_request(device, agent, reported_at=None).number == "SR-2027-000002"
    assert open_request(device, agent, reported_at=last_of_2026).number == "SR-2026-000002"


def test_a_refused_request_takes_no_number(device, agent):
    with pytest.raises(ValidationError):
        open_request(device, agent, reported_at=T0 + S)
    assert open_request(device, agent).number == "SR-2026-000001"


# Skipped before any fixture runs on SQLite: a transactional test's flush would otherwise
# still happen, and wipe what later tests rely on.
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL only"
)


@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_opens_get_consecutive_numbers(transactional_db):
    """Eight agents log calls at the same instant: numbers 1..8, no gap, no duplicate."""
    device = DeviceFactory()
    agents = [vendor_user(VendorRole.DISPATCHER, username=f"agent{i}") for i in range(8)]
    barrier = Barrier(8)

    def take(agent) -> str:
        try:
            barrier.wait(timeout=10)
            return open_request(device, agent, reported_at=None).number
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(take, agents))
    assert sorted(numbers) == [f"SR-2026-{n:06d}" for n in range(1, 9)]
    assert ServiceRequest.objects.count() == 8


@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_idempotency_key_record_once(transactional_db, agent):
    """A phone retrying the same step from several connections at once: one event."""
    request = open_request(DeviceFactory(), agent, reported_at=None)
    barrier = Barrier(6)

    def post(_):
        try:
            barrier.wait(timeout=10)
            record(request, "callback", None, agent, idempotency_key="phone-42")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(post, range(6)))
    assert ServiceEvent.objects.filter(request=request).count() == 1


# --- intake: reported_at and its audit --------------------------------------------------
@pytest.mark.parametrize("ahead", [S, 10 * M, dt.timedelta(days=1)])
def test_reported_at_in_the_future_is_refused(device, agent, ahead):
    with pytest.raises(ValidationError) as caught:
        open_request(device, agent, reported_at=T0 + ahead)
    assert set(caught.value.error_dict) == {"reported_at"}
    assert not ServiceRequest.objects.exists()


def test_reported_at_without_a_time_zone_is_refused(device, agent):
    with pytest.raises(ValidationError) as caught:
        open_request(device, agent, reported_at=dt.datetime(2026, 6, 10, 9, 0))
    assert set(caught.value.error_dict) == {"reported_at"}


def test_reported_at_defaults_to_now(device, agent):
    assert open_request(device, agent, reported_at=None).reported_at == T0


def test_earlier_reported_at_keeps_who_recorded_it_and_when(device, agent):
    """R-3.5: a call logged afterwards keeps the notification time; the audit keeps the
    agent and the moment of logging."""
    request = open_request(device, agent, reported_at=T0 - 3 * H)
    request.refresh_from_db()
    assert request.reported_at == T0 - 3 * H
    assert request.recorded_by == agent
    assert request.created_at == T0
    history = request.history.get()
    assert history.history_type == "+"
    assert history.reported_at == T0 - 3 * H
    assert history.history_date == T0
    assert history.recorded_by_id == agent.pk


def test_request_copies_the_place_of_the_device(device, agent):
    request = open_request(device, agent, reporter_name=" 王护士 ", reporter_phone=" 1380 ")
    assert (request.hospital, request.department) == (device.hospital, device.department)
    assert (request.reporter_name, request.reporter_phone) == ("王护士", "1380")
    assert request.status == "new" and request.is_open


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("severity", {"severity": "urgent"}),
        ("channel", {"channel": "fax"}),
        ("description", {"description": "   "}),
    ],
)
def test_malformed_intake_is_refused(device, agent, field, values):
    arguments = {
        "device": device,
        "severity": "normal",
        "channel": "hotline",
        "description": "no display",
        "recorded_by": agent,
    } | values
    with pytest.raises(ValidationError) as caught:
        service_request_open(**arguments)
    assert set(caught.value.error_dict) == {field}


# --- intake: policy and engineers ------------------------------------------------------
def test_policy_is_the_severity_default_without_a_contract_choice(device, agent):
    assert open_request(device, agent).policy.key == "standard"
    assert open_request(device, agent, severity="emergency").policy.key == "emergency"
    loose = DeviceFactory()  # under no contract at all
    assert open_request(loose, agent).policy.key == "standard"


def test_policy_is_chosen_per_contract_and_severity(device, contract, agent):
    premium = SlaPolicy.objects.create(
        key="premium",
        name_zh="高级",
        name_en="Premium",
        calendar=SlaCalendar.objects.get(key="24x7"),
    )
    MilestoneDefinition.objects.create(
        policy=premium,
        key="on_site",
        name_zh="到场",
        name_en="On site",
        met_by=["arrived"],
        target=2 * H,
    )
    ContractSlaPolicy.objects.create(contract=contract, severity="normal", policy=premium)
    normal = open_request(device, agent)
    assert normal.policy == premium
    assert clock(normal)["on_site"].due_at == R + 2 * H
    # The contract names no emergency policy: the emergency default applies.
    assert open_request(device, agent, severity="emergency").policy.key == "emergency"
    # Another contract's choice does not leak.
    other = DeviceFactory()
    ContractFactory(hospital=other.hospital, devices=[other])
    assert open_request(other, agent).policy.key == "standard"


def test_contract_dedicated_engineers_are_assigned(device, engineers, agent):
    request = open_request(device, agent)
    assert set(request.engineers.all()) == set(engineers)
    assert not open_request(DeviceFactory(), agent).engineers.exists()


# --- the default promises reproduce the seed -------------------------------------------
SEED = {
    # key: (starts at, met by, target, not applicable after a remote fix before arrival)
    "standard": {
        "on_site": ("reported", {"arrived"}, 4 * H, True),
        "solution": ("arrived", {"solution_proposed", "resolved"}, 1 * H, True),
        "resolved": ("reported", {"resolved", "remote_resolved"}, 12 * H, False),
        "restored": (
            "reported",
            {"loaner_installed", "resolved", "remote_resolved"},
            24 * H,
            False,
        ),
    },
    "emergency": {
        # R-5.2 "immediately"; a fix by phone is a call back too.
        "callback": ("reported", {"callback", "remote_resolved"}, 15 * M, False),
        "on_site": ("reported", {"arrived"}, 8 * H, True),
        "resolved": ("reported", {"resolved", "remote_resolved"}, 12 * H, False),
    },
}


def test_default_policies_are_the_seeds_promises():
    """Issue 3 §2's table, as loaded by migration 0002 on a 24×7 calendar (R-6.2)."""
    assert SlaPolicy.objects.get(default_for="normal").key == "standard"
    assert SlaPolicy.objects.get(default_for="emergency").key == "emergency"
    for policy_key, expected in SEED.items():
        policy = SlaPolicy.objects.get(key=policy_key)
        assert policy.calendar.kind == "around_the_clock"
        assert policy.at_risk_fraction == 0.25
        found = {
            m.key: (m.starts_at, set(m.met_by), m.target, m.skipped_by_remote)
            for m in policy.milestones.all()
        }
        assert found == expected
        assert [m.key for m in policy.milestones.all()] == list(expected)


def test_standard_request_met_on_every_promise(device, agent):
    """On site within 4 h, a solution within 1 h of the first arrival (exactly at its
    deadline counts as met), repaired within 12 h (R-3.5, R-6.2, R-6.3)."""
    request = open_request(device, agent)
    assert {k: m.due_at for k, m in clock(request).items()} == {
        "on_site": R + 4 * H,
        "solution": None,  # its clock starts at the first arrival
        "resolved": R + 12 * H,
        "restored": R + 24 * H,
    }
    record(request, "dispatched", R + 10 * M, agent)
    record(request, "arrived", R + 3 * H, agent)
    assert clock(request)["solution"].due_at == R + 4 * H
    record(request, "solution_proposed", R + 4 * H, agent)
    record(request, "resolved", R + 11 * H, agent)
    assert states(request) == dict.fromkeys(SEED["standard"], "met")
    assert clock(request)["restored"].met_at == R + 11 * H
    assert request.status == "resolved" and request.is_open


def test_one_second_late_is_breached(device, agent):
    request = open_request(device, agent)
    record(request, "arrived", R + 4 * H + S, agent)
    record(request, "solution_proposed", R + 5 * H + 2 * S, agent)
    assert states(request)["on_site"] == "breached"
    assert states(request)["solution"] == "breached"


def test_a_loaner_restores_use_before_the_repair(device, agent):
    """R-3.3: a spare unit within 24 h keeps the promise of use even if the repair is late."""
    request = open_request(device, agent)
    record(request, "arrived", R + 2 * H, agent)
    record(request, "solution_proposed", R + 2 * H + 30 * M, agent)
    record(request, "loaner_installed", R + 20 * H, agent)
    record(request, "resolved", R + 30 * H, agent)
    milestones = clock(request)
    assert milestones["restored"].state == "met"
    assert milestones["restored"].met_at == R + 20 * H
    assert milestones["resolved"].state == "breached"


def test_remote_fix_before_arrival_makes_the_site_promises_not_applicable(device, agent):
    """R-5.2, R-6.6: fixed by phone guidance, nobody needs to come."""
    request = open_request(device, agent)
    record(request, "remote_resolved", R + 40 * M, agent)
    assert states(request) == {
        "on_site": "not_applicable",
        "solution": "not_applicable",
        "resolved": "met",
        "restored": "met",
    }
    assert request.next_due_at is None and request.status == "resolved"


def test_emergency_promises(device, agent):
    """R-5.2 call back at once (15 min), R-5.3 on site within 8 h, cleared within 12 h."""
    request = open_request(device, agent, severity="emergency")
    assert {k: m.due_at for k, m in clock(request).items()} == {
        "callback": R + 15 * M,
        "on_site": R + 8 * H,
        "resolved": R + 12 * H,
    }
    record(request, "callback", R + 15 * M, agent)
    record(request, "arrived", R + 8 * H + S, agent)
    record(request, "resolved", R + 10 * H, agent)
    assert states(request) == {"callback": "met", "on_site": "breached", "resolved": "met"}


def test_emergency_fixed_by_phone(device, agent):
    """R-5.2: the engineer who talks the staff through the fix has called back."""
    request = open_request(device, agent, severity="emergency")
    record(request, "remote_resolved", R + 10 * M, agent)
    assert states(request) == {
        "callback": "met",
        "on_site": "not_applicable",
        "resolved": "met",
    }


def test_emergency_callback_one_second_late(device, agent):
    request = open_request(device, agent, severity="emergency")
    record(request, "callback", R + 15 * M + S, agent)
    assert states(request)["callback"] == "breached"


def test_a_pause_for_the_customer_pushes_every_pending_deadline_back(device, agent):
    request = open_request(device, agent)
    record(request, "paused", R + 1 * H, agent, data={"reason": "waiting_for_customer"})
    assert request.status == "paused"
    assert request.next_due_at is None  # every clock stopped
    record(request, "resumed", R + 3 * H, agent)
    milestones = clock(request)
    assert milestones["on_site"].due_at == R + 6 * H
    assert milestones["on_site"].paused_seconds == 2 * 3600
    assert milestones["restored"].due_at == R + 26 * H
    assert request.status == "new"


def test_pending_deadlines_past_now_are_breached(device, agent):
    """Reported two days ago and nobody came: every promise is broken."""
    request = open_request(device, agent)
    assert states(request) == {
        "on_site": "breached",
        "solution": "pending",  # nobody arrived: its clock has not started
        "resolved": "breached",
        "restored": "breached",
    }


def test_at_risk_with_less_than_a_quarter_left(device, agent):
    fine = open_request(device, agent, reported_at=T0 - 2 * H)
    assert not clock(fine)["on_site"].at_risk
    assert clock(fine)["on_site"].warn_at == T0 + 1 * H
    risky = open_request(device, agent, reported_at=T0 - 3 * H - S)
    assert clock(risky)["on_site"].at_risk
    assert clock(risky)["on_site"].state == "pending"


def test_next_due_at_is_the_nearest_open_deadline(device, agent):
    request = open_request(device, agent, reported_at=T0 - 1 * H)
    assert request.next_due_at == T0 + 3 * H  # on site
    record(request, "arrived", T0 - 30 * M, agent)
    assert request.next_due_at == T0 + 30 * M  # the solution, an hour after arriving


def test_next_due_at_counts_a_deadline_already_missed(device, agent):
    """A request logged after its on-site deadline passed is the most urgent on the board,
    not one sorted by its later repair deadline."""
    request = open_request(device, agent, reported_at=T0 - 5 * H)
    assert states(request)["on_site"] == "breached"
    assert request.next_due_at == T0 - 1 * H


def test_recompute_is_idempotent(device, agent):
    request = open_request(device, agent)
    record(request, "arrived", R + 3 * H, agent)
    record(request, "paused", R + 3 * H + M, agent, data={"reason": "site_not_accessible"})
    fields = ["key", "due_at", "warn_at", "met_at", "paused_seconds", "state", "at_risk"]
    before = list(Milestone.objects.filter(request=request).values(*fields))
    milestones_recompute(request=request, now=R + 3 * H + M)
    milestones_recompute(request=request, now=R + 3 * H + M)
    assert list(Milestone.objects.filter(request=request).values(*fields)) == before


def test_status_follows_the_timeline(device, agent):
    request = open_request(device, agent, severity="emergency")
    steps = [
        ("callback", R + 5 * M, "new"),
        ("dispatched", R + 10 * M, "dispatched"),
        ("arrived", R + 2 * H, "on_site"),
        ("resolved", R + 4 * H, "resolved"),
        ("customer_signed", R + 4 * H + 10 * M, "signed"),
        ("filed", R + 20 * H, "filed"),
    ]
    for kind, at, status in steps:
        record(request, kind, at, agent)
        assert request.status == status, kind
    root_cause_report_save(
        request=request,
        cause="电源板电容老化",
        measures="更换电源板",
        explained_to="护士长",
        explained_at=R + 5 * H,
        author=agent,
    )
    record(request, "closed", R + 21 * H, agent)
    assert (request.status, request.is_open) == ("closed", False)
    record(request, "reopened", R + 30 * H, agent)
    # The fault is back: the engineer has to come back, a new trip.
    assert (request.status, request.is_open) == ("dispatched", True)
    # A reopening voids the resolution: the repair promise is pending (and late) again.
    assert states(request)["resolved"] == "breached"
    assert clock(request)["resolved"].met_at is None


# --- the timeline's refusals -----------------------------------------------------------
def test_a_step_logged_late_is_accepted_with_its_reason(device, agent, engineers):
    request = open_request(device, agent)
    record(
        request, "arrived", R + 1 * H, engineers[0], now=T0, late_reason="no signal in the basement"
    )
    event = ServiceEvent.objects.get(request=request)
    assert (event.occurred_at, event.recorded_at, event.actor) == (R + 1 * H, T0, engineers[0])
    assert (event.recorded_late, event.late_reason) == (True, "no signal in the basement")


def test_a_phone_clock_a_little_fast_is_accepted(device, agent):
    request = open_request(device, agent, reported_at=T0 - H)
    record(request, "arrived", T0 + 5 * M, agent, now=T0)
    with pytest.raises(ValidationError) as caught:
        record(request, "solution_proposed", T0 + 5 * M + S, agent, now=T0)
    assert set(caught.value.error_dict) == {"occurred_at"}


def test_a_step_before_the_report_is_refused(device, agent):
    request = open_request(device, agent)
    with pytest.raises(ValidationError) as caught:
        record(request, "arrived", R - S, agent)
    assert set(caught.value.error_dict) == {"occurred_at"}
    record(request, "arrived", R, agent)  # the same instant is fine


def test_a_step_without_a_time_zone_is_refused(device, agent):
    request = open_request(device, agent)
    with pytest.raises(ValidationError):
        record(request, "arrived", dt.datetime(2026, 6, 9, 9, 0), agent)


def test_unknown_event_type_is_refused(device, agent):
    request = open_request(device, agent)
    with pytest.raises(ValidationError) as caught:
        record(request, "teleported", R + H, agent)
    assert set(caught.value.error_dict) == {"type"}


CONTRADICTIONS = [
    # (steps already recorded, the refused step, its code)
    ([], ("resolved", 2 * H), "resolved_before_arrival"),
    ([], ("solution_proposed", 2 * H), "solution_before_arrival"),
    ([], ("resumed", 2 * H), "resume_without_pause"),
    ([("arrived", 1 * H)], ("solution_proposed", 30 * M), "solution_before_arrival"),
    ([("paused", 1 * H)], ("paused", 2 * H), "already_paused"),
    ([("remote_resolved", 1 * H)], ("resolved", 2 * H), "already_resolved"),
    ([("remote_resolved", 1 * H)], ("dispatched", 2 * H), "already_resolved"),
    ([], ("customer_signed", 2 * H), "signed_before_resolution"),
    ([("remote_resolved", 1 * H)], ("filed", 2 * H), "filed_before_signature"),
    ([], ("closed", 2 * H), "closed_before_resolution"),
    ([], ("reopened", 2 * H), "reopen_while_open"),
    ([("remote_resolved", 1 * H), ("closed", 2 * H)], ("arrived", 3 * H), "after_closed"),
    ([("remote_resolved", 1 * H), ("closed", 2 * H)], ("callback", 3 * H), "after_closed"),
    ([("remote_resolved", 1 * H), ("closed", 2 * H)], ("closed", 3 * H), "after_closed"),
]


@pytest.mark.parametrize(("before", "step", "code"), CONTRADICTIONS)
def test_contradictions_are_refused_and_change_nothing(device, agent, before, step, code):
    request = open_request(device, agent)
    for kind, offset in before:
        record(request, kind, R + offset, agent, data={"reason": "waiting_for_customer"})
    fields = ["key", "due_at", "met_at", "state", "paused_seconds"]
    snapshot = (
        list(ServiceEvent.objects.filter(request=request).values()),
        list(Milestone.objects.filter(request=request).values(*fields)),
        ServiceRequest.objects.filter(pk=request.pk).values("status", "next_due_at").get(),
    )
    kind, offset = step
    with pytest.raises(TimelineConflict) as caught:
        record(request, kind, R + offset, agent, data={"reason": "waiting_for_customer"})
    assert caught.value.code == code
    assert caught.value.message
    assert snapshot == (
        list(ServiceEvent.objects.filter(request=request).values()),
        list(Milestone.objects.filter(request=request).values(*fields)),
        ServiceRequest.objects.filter(pk=request.pk).values("status", "next_due_at").get(),
    )


def test_a_resolution_is_possible_without_arrival_when_no_promise_needs_one(agent):
    """``resolved`` before ``arrived`` is refused only where the policy promises a visit."""
    remote_only = SlaPolicy.objects.create(
        key="remote-only",
        name_zh="远程",
        name_en="Remote only",
        calendar=SlaCalendar.objects.get(key="24x7"),
    )
    MilestoneDefinition.objects.create(
        policy=remote_only, key="resolved", name_zh="修复", name_en="Fixed",
        met_by=["resolved"], target=8 * H,
    )  # fmt: skip
    device = DeviceFactory()
    contract = ContractFactory(hospital=device.hospital, devices=[device])
    ContractSlaPolicy.objects.create(contract=contract, severity="normal", policy=remote_only)
    request = open_request(device, agent)
    record(request, "resolved", R + 2 * H, agent)
    assert states(request) == {"resolved": "met"}


def test_an_event_out_of_order_takes_its_place_in_time(device, agent):
    """An integration posts the arrival after the dispatch it preceded (R-3.6)."""
    request = open_request(device, agent)
    record(request, "dispatched", R + 30 * M, agent)
    record(request, "arrived", R + 20 * M, agent)
    kinds = list(ServiceEvent.objects.filter(request=request).values_list("type", flat=True))
    assert kinds == ["arrived", "dispatched"]
    assert request.status == "on_site"
    assert clock(request)["on_site"].met_at == R + 20 * M


def test_closing_an_emergency_needs_its_root_cause_report(device, agent):
    """R-5.5: the root-cause analysis is explained to the staff before the request closes."""
    request = open_request(device, agent, severity="emergency")
    record(request, "arrived", R + 2 * H, agent)
    record(request, "resolved", R + 3 * H, agent)
    with pytest.raises(TimelineConflict) as caught:
        record(request, "closed", R + 4 * H, agent)
    assert caught.value.code == "root_cause_missing"
    assert not ServiceEvent.objects.filter(request=request, type="closed").exists()
    root_cause_report_save(
        request=request,
        cause="流量传感器受潮",
        measures="更换流量传感器，指导科室防潮",
        explained_to="重症医学科护士长",
        explained_at=R + 3 * H + 30 * M,
        author=agent,
    )
    record(request, "closed", R + 4 * H, agent)
    assert request.status == "closed"


def test_closing_a_normal_request_needs_no_root_cause_report(device, agent):
    request = open_request(device, agent)
    record(request, "remote_resolved", R + H, agent)
    record(request, "closed", R + 2 * H, agent)
    assert not request.is_open


# --- the data of a step ----------------------------------------------------------------
@pytest.mark.parametrize(
    "reason", ["waiting_for_customer", "site_not_accessible", "customer_requested_delay"]
)
def test_the_allowed_pause_reasons(device, agent, reason):
    request = open_request(device, agent)
    record(request, "paused", R + H, agent, data={"reason": reason})
    assert ServiceEvent.objects.get(request=request).data == {"reason": reason}


def test_other_pause_reason_needs_a_note(device, agent):
    request = open_request(device, agent)
    with pytest.raises(ValidationError) as caught:
        record(request, "paused", R + H, agent, data={"reason": "other"})
    assert set(caught.value.error_dict) == {"note"}
    record(request, "paused", R + H, agent, data={"reason": "other", "note": " 停电 "})
    assert ServiceEvent.objects.get(request=request).data == {"reason": "other", "note": "停电"}


@pytest.mark.parametrize("reason", [None, "", "waiting_for_parts", "waiting for our own parts"])
def test_waiting_for_our_own_parts_does_not_stop_the_clock(device, agent, reason):
    request = open_request(device, agent)
    with pytest.raises(ValidationError) as caught:
        record(request, "paused", R + H, agent, data={"reason": reason})
    assert set(caught.value.error_dict) == {"reason"}
    assert not ServiceEvent.objects.filter(request=request).exists()


def test_dispatch_names_the_engineers_and_the_parts(device, engineers, agent):
    request = open_request(device, agent)
    third = vendor_user(VendorRole.ENGINEER, username="eng3")
    record(
        request, "dispatched", R + 10 * M, agent,
        engineers=[third], data={"parts": [" 电源板 ", "", "保险丝"]},
    )  # fmt: skip
    event = ServiceEvent.objects.get(request=request)
    assert event.data == {"engineer_ids": [third.pk], "parts": ["电源板", "保险丝"]}
    assert list(request.engineers.all()) == [third]


def test_dispatch_without_engineers_keeps_the_dedicated_ones(device, engineers, agent):
    request = open_request(device, agent)
    record(request, "dispatched", R + 10 * M, agent)
    assert set(request.engineers.all()) == set(engineers)


def test_only_engineers_are_dispatched(device, engineers, agent):
    request = open_request(device, agent)
    with pytest.raises(ValidationError) as caught:
        record(request, "dispatched", R + 10 * M, agent, engineers=[agent, engineers[0]])
    assert set(caught.value.error_dict) == {"engineers"}
    assert set(request.engineers.all()) == set(engineers)
    assert not ServiceEvent.objects.filter(request=request).exists()


@pytest.mark.parametrize("parts", ["电源板", [1, 2]])
def test_parts_are_text_lines(device, agent, parts):
    request = open_request(device, agent)
    with pytest.raises(ValidationError) as caught:
        record(request, "dispatched", R + 10 * M, agent, data={"parts": parts})
    assert set(caught.value.error_dict) == {"parts"}


def test_the_same_idempotency_key_records_once(device, agent):
    request = open_request(device, agent)
    record(request, "arrived", R + H, agent, idempotency_key="k1")
    record(request, "arrived", R + H, agent, idempotency_key="k1")
    record(request, "callback", R + H, agent, idempotency_key="k2")
    record(request, "callback", R + H, agent, idempotency_key="k2")
    assert ServiceEvent.objects.filter(request=request).count() == 2
    # The key belongs to one request: another request may use it.
    other = open_request(device, agent)
    record(other, "arrived", R + H, agent, idempotency_key="k1")
    assert ServiceEvent.objects.filter(request=other).count() == 1


# --- fault cause and root-cause report -------------------------------------------------
def test_fault_cause_changes_and_is_audited(device, agent):
    request = open_request(device, agent)
    assert request.fault_cause == "undetermined"
    service_request_set_fault_cause(request=request, cause="non_quality")
    service_request_set_fault_cause(request=request, cause="quality")
    request.refresh_from_db()
    assert request.fault_cause == "quality"
    assert [h.fault_cause for h in request.history.order_by("history_id")] == [
        "undetermined",
        "non_quality",
        "quality",
    ]
    with pytest.raises(ValidationError) as caught:
        service_request_set_fault_cause(request=request, cause="bad luck")
    assert set(caught.value.error_dict) == {"fault_cause"}


def test_root_cause_report_is_checked_and_can_be_corrected(device, agent):
    request = open_request(device, agent, severity="emergency")
    with pytest.raises(ValidationError) as caught:
        root_cause_report_save(
            request=request, cause=" ", measures="", explained_to="",
            explained_at=T0 + 6 * M, author=agent,
        )  # fmt: skip
    assert set(caught.value.error_dict) == {"cause", "measures", "explained_to", "explained_at"}
    for cause in ("first analysis", "corrected analysis"):
        root_cause_report_save(
            request=request, cause=cause, measures="replaced the board",
            explained_to="head nurse", explained_at=T0 - H, author=agent,
        )  # fmt: skip
    report = RootCauseReport.objects.get(request=request)
    assert report.cause == "corrected analysis"
    assert report.history.count() == 2
