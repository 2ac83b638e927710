"""The escalation sweep (issue 3 §4, R-7.3): each alert once, to the right people, in the
inbox and by e-mail after commit; several sweepers at once on PostgreSQL.

A normal request is reported at ``T0`` (09:00 in Qingdao) under the standard policy:
``on_site`` warns at +3 h and is due at +4 h, ``resolved`` warns at +9 h and is due at
+12 h, ``restored`` warns at +18 h and is due at +24 h.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from threading import Barrier

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from core.tests.smtp import loopback_smtp
from customers.tests.factories import ContactFactory, DepartmentFactory, HospitalFactory
from notify.models import InboxMessage
from notify.tests.factories import routes_off
from service.escalation import (
    KIND_AT_RISK,
    KIND_BREACHED,
    KIND_SPARE_PARTS,
    SweepResult,
    request_url,
    sweep,
)
from service.models import Milestone, ServiceRequest
from service.services import service_request_open, service_request_record_event

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 10, 1, 0, tzinfo=dt.UTC)  # 09:00 in Qingdao
H, M, S = dt.timedelta(hours=1), dt.timedelta(minutes=1), dt.timedelta(seconds=1)
NOTHING = SweepResult()


@pytest.fixture
def engineers():
    return [
        vendor_user(VendorRole.ENGINEER, username=f"eng{i}", email=f"eng{i}@vendor.example")
        for i in (1, 2)
    ]


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER, username="manager", email="manager@vendor.example")


@pytest.fixture(autouse=True)
def _only_the_sweeps_alerts(db):
    """These tests count the sweep's own alerts; who hears of the new request itself is
    tested in test_notices.py."""
    routes_off()


@pytest.fixture
def agent():
    return vendor_user(VendorRole.DISPATCHER, username="agent")


@pytest.fixture
def hospital():
    return HospitalFactory(name="Qingdao Municipal Hospital", time_zone="Asia/Shanghai")


@pytest.fixture
def department(hospital):
    department = DepartmentFactory(hospital=hospital, name="Radiology")
    department.responsible_contact = ContactFactory(
        hospital=hospital, department=department, name="Head nurse", email="nurse@hospital.example"
    )
    department.save()
    return department


@pytest.fixture
def contract(hospital, department, engineers, manager):
    device = DeviceFactory(department=department, serial_number="CT-0001")
    contract = ContractFactory(hospital=hospital, devices=[device], service_manager=manager)
    contract.dedicated_engineers.set(engineers)
    return contract


@pytest.fixture
def device(contract):
    return contract.devices.get()


def open_request(device, agent) -> ServiceRequest:
    return service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="No image",
        recorded_by=agent,
        reported_at=T0,
        now=T0,
    )


def record(request, kind, at, actor, logged_at=None, **data) -> None:
    service_request_record_event(
        request=request, type=kind, occurred_at=at, actor=actor, data=data, now=logged_at or at
    )


@pytest.fixture
def request_(device, agent):
    return open_request(device, agent)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """One sweep at ``at``, its e-mails sent as its transactions commit."""

    def run(at: dt.datetime) -> SweepResult:
        with django_capture_on_commit_callbacks(execute=True):
            return sweep(now=at)

    return run


def milestone(request, key) -> Milestone:
    return Milestone.objects.get(request=request, key=key)


def told(kind: str, m: Milestone) -> set[str]:
    """Usernames with an inbox message of ``kind`` about milestone ``m``."""
    return set(
        InboxMessage.objects.filter(dedupe_key__startswith=f"{kind}:{m.pk}:").values_list(
            "user__username", flat=True
        )
    )


def mailed() -> Counter:
    return Counter((m.to[0], m.subject) for m in mail.outbox)


# --- exactly once -----------------------------------------------------------------------
def test_at_risk_tells_the_engineers_and_the_manager_once(run, request_, mailoutbox):
    assert run(T0 + 3 * H - S) == NOTHING
    assert run(T0 + 3 * H + M) == SweepResult(at_risk=1)
    on_site = milestone(request_, "on_site")
    assert told(KIND_AT_RISK, on_site) == {"eng1", "eng2", "manager"}
    assert sorted(m.to[0] for m in mailoutbox) == [
        "eng1@vendor.example",
        "eng2@vendor.example",
        "manager@vendor.example",
    ]
    assert all(request_.number in m.subject for m in mailoutbox)

    assert run(T0 + 3 * H + 2 * M) == NOTHING
    assert run(T0 + 3 * H + 30 * M) == NOTHING
    assert InboxMessage.objects.count() == 3
    assert len(mailoutbox) == 3


def test_the_message_names_the_request_device_hospital_deadline_and_link(run, request_):
    run(T0 + 3 * H + M)
    message = InboxMessage.objects.get(user__username="manager")
    assert message.kind == KIND_AT_RISK
    assert request_.number in message.subject
    assert "到场" in message.subject  # the milestone's name in the default language
    assert "CT-0001" in message.body
    assert "Qingdao Municipal Hospital" in message.body
    # Due 13:00 in Qingdao (05:00 UTC): the hospital's clock, not the server's.
    assert "2026-06-10 13:00 (Asia/Shanghai)" in message.body
    assert message.url == request_url(request_.pk)
    assert str(request_.pk) in message.url


def test_a_milestone_met_before_its_warning_never_alerts(run, request_, engineers):
    record(request_, "arrived", T0 + 1 * H, engineers[0])
    record(request_, "solution_proposed", T0 + 90 * M, engineers[0])
    assert run(T0 + 5 * H) == NOTHING
    assert run(T0 + 8 * H) == NOTHING
    assert not InboxMessage.objects.exists()


def test_a_paused_clock_does_not_alert_and_alerts_after_its_pushed_deadline(
    run, request_, engineers
):
    paused_at = T0 + 1 * H
    record(request_, "paused", paused_at, engineers[0], paused_at + M, reason="other", note="x")
    assert run(T0 + 30 * H) == NOTHING
    record(request_, "resumed", T0 + 30 * H, engineers[0])
    # 29 h paused: on_site now warns at +32 h and is due at +33 h.
    assert run(T0 + 31 * H) == NOTHING
    assert run(T0 + 32 * H + M) == SweepResult(at_risk=1)
    assert told(KIND_AT_RISK, milestone(request_, "on_site")) == {"eng1", "eng2", "manager"}


def test_a_pause_logged_as_it_happens_stops_the_alerts(run, request_, engineers):
    record(request_, "paused", T0 + 1 * H, engineers[0], reason="waiting_for_customer")
    assert run(T0 + 30 * H) == NOTHING


def test_breach_after_at_risk_sends_both_each_once(run, request_, mailoutbox):
    on_site = milestone(request_, "on_site")
    assert run(T0 + 3 * H + M) == SweepResult(at_risk=1)
    assert run(T0 + 4 * H + S) == SweepResult(breached=1)
    assert run(T0 + 4 * H + M) == NOTHING
    assert run(T0 + 5 * H) == NOTHING
    assert told(KIND_AT_RISK, on_site) == {"eng1", "eng2", "manager"}
    assert told(KIND_BREACHED, on_site) == {"manager"}  # breaches go to the manager
    on_site.refresh_from_db()
    assert on_site.at_risk_notified_at == T0 + 3 * H + M
    assert on_site.breach_notified_at == T0 + 4 * H + S
    assert set(mailed().values()) == {1}
    assert len(mailoutbox) == 4


def test_due_exactly_now_is_at_risk_not_breached(run, request_):
    assert run(T0 + 4 * H) == SweepResult(at_risk=1)
    assert run(T0 + 4 * H + S) == SweepResult(breached=1)


def test_a_breach_seen_first_skips_the_stale_warning(run, request_):
    """The sweeper was down through the warning window: the breach alone goes out."""
    on_site = milestone(request_, "on_site")
    assert run(T0 + 5 * H) == SweepResult(breached=1)
    assert told(KIND_AT_RISK, on_site) == set()
    assert run(T0 + 5 * H + M) == NOTHING
    on_site.refresh_from_db()
    assert on_site.at_risk_notified_at == on_site.breach_notified_at == T0 + 5 * H


def test_a_repaired_request_is_not_swept(run, request_, engineers):
    record(request_, "arrived", T0 + 1 * H, engineers[0])
    record(request_, "resolved", T0 + 2 * H, engineers[0])
    assert run(T0 + 30 * H) == NOTHING


def test_a_closed_request_is_not_swept(run, request_):
    ServiceRequest.objects.filter(pk=request_.pk).update(is_open=False)
    assert run(T0 + 30 * H) == NOTHING


# --- spare parts first (R-7.3) ----------------------------------------------------------
def test_resolution_at_risk_without_a_loaner_prompts_for_a_spare(run, request_, engineers):
    record(request_, "arrived", T0 + 1 * H, engineers[0])
    record(request_, "solution_proposed", T0 + 90 * M, engineers[0])
    assert run(T0 + 9 * H + M) == SweepResult(at_risk=1, spare_parts_prompts=1)
    resolved = milestone(request_, "resolved")
    assert told(KIND_AT_RISK, resolved) == {"eng1", "eng2", "manager"}
    assert told(KIND_SPARE_PARTS, resolved) == {"eng1", "eng2", "manager"}
    # The prompt is part of the at-risk alert: it is not repeated at the breach.
    assert run(T0 + 12 * H + S) == SweepResult(breached=1)
    assert run(T0 + 13 * H) == NOTHING


def test_with_a_loaner_in_place_there_is_no_prompt(run, request_, engineers):
    record(request_, "arrived", T0 + 1 * H, engineers[0])
    record(request_, "solution_proposed", T0 + 90 * M, engineers[0])
    record(request_, "loaner_installed", T0 + 2 * H, engineers[0])
    assert run(T0 + 9 * H + M) == SweepResult(at_risk=1)
    assert told(KIND_SPARE_PARTS, milestone(request_, "resolved")) == set()
    assert not InboxMessage.objects.filter(kind=KIND_SPARE_PARTS).exists()


def test_a_late_first_look_at_a_broken_repair_still_prompts_once(run, request_, engineers):
    record(request_, "arrived", T0 + 1 * H, engineers[0])
    record(request_, "solution_proposed", T0 + 90 * M, engineers[0])
    # Nobody swept between +9 h and +12 h: the breach carries the prompt, once.
    assert run(T0 + 12 * H + M) == SweepResult(breached=1, spare_parts_prompts=1)
    assert run(T0 + 18 * H + M) == SweepResult(at_risk=1, spare_parts_prompts=1)  # restored
    assert run(T0 + 19 * H) == NOTHING
    assert InboxMessage.objects.filter(kind=KIND_SPARE_PARTS).count() == 6


# --- who hears --------------------------------------------------------------------------
@pytest.mark.parametrize("tell_hospital", [True, False])
def test_the_hospital_hears_of_a_breach_only_if_the_contract_says_so(
    run, contract, request_, mailoutbox, tell_hospital
):
    contract.notify_hospital_on_breach = tell_hospital
    contract.save()
    run(T0 + 3 * H + M)
    assert "nurse@hospital.example" not in {m.to[0] for m in mailoutbox}  # not for a risk
    run(T0 + 4 * H + M)
    to_nurse = [m for m in mailoutbox if m.to == ["nurse@hospital.example"]]
    assert len(to_nurse) == (1 if tell_hospital else 0)
    if tell_hospital:
        assert request_.number in to_nurse[0].subject
        assert "/service-requests/" not in to_nurse[0].body  # no link they cannot open
    run(T0 + 5 * H)
    assert len([m for m in mailoutbox if m.to == ["nurse@hospital.example"]]) == len(to_nurse)


def test_without_a_contract_every_active_manager_hears(run, agent, department, engineers):
    managers = [
        vendor_user(VendorRole.MANAGER, username=f"boss{i}", email=f"boss{i}@vendor.example")
        for i in (1, 2)
    ]
    vendor_user(VendorRole.MANAGER, username="retired", is_active=False)
    request = open_request(DeviceFactory(department=department), agent)
    assert request.contract is None
    run(T0 + 3 * H + M)
    assert told(KIND_AT_RISK, milestone(request, "on_site")) == {m.username for m in managers}
    run(T0 + 4 * H + M)
    assert told(KIND_BREACHED, milestone(request, "on_site")) == {m.username for m in managers}


def test_dispatched_engineers_replace_the_dedicated_ones(run, request_, agent):
    other = vendor_user(VendorRole.ENGINEER, username="eng3")
    service_request_record_event(
        request=request_,
        type="dispatched",
        occurred_at=T0 + 10 * M,
        actor=agent,
        engineers=[other],
        now=T0 + 10 * M,
    )
    run(T0 + 3 * H + M)
    assert told(KIND_AT_RISK, milestone(request_, "on_site")) == {"eng3", "manager"}


def test_no_email_address_means_inbox_only(run, request_, engineers, mailoutbox):
    engineers[0].email = ""
    engineers[0].save()
    run(T0 + 3 * H + M)
    assert told(KIND_AT_RISK, milestone(request_, "on_site")) == {"eng1", "eng2", "manager"}
    assert {m.to[0] for m in mailoutbox} == {"eng2@vendor.example", "manager@vendor.example"}


def test_nothing_is_mailed_when_the_sweep_rolls_back(
    request_, mailoutbox, django_capture_on_commit_callbacks
):
    """E-mail goes on commit: a sweep whose transaction fails tells nobody, and its claims
    are back for the next sweep."""
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        assert sweep(now=T0 + 3 * H + M) == SweepResult(at_risk=1)
        raise RuntimeError("worker killed")
    assert callbacks == []
    assert mailoutbox == []
    assert not InboxMessage.objects.exists()
    assert milestone(request_, "on_site").at_risk_notified_at is None


# --- the periodic task and the command -------------------------------------------------
def test_the_periodic_task_sweeps(request_, django_capture_on_commit_callbacks):
    from service.tasks import sla_sweep

    with (
        time_machine.travel(T0 + 3 * H + M, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sla_sweep()  # huey runs it inline in tests
    assert InboxMessage.objects.filter(kind=KIND_AT_RISK).count() == 3


def test_the_command_prints_the_counts(request_):
    out = StringIO()
    with time_machine.travel(T0 + 4 * H + M, tick=False):
        call_command("sweep_sla", stdout=out)
        assert out.getvalue().strip() == "at risk: 0, breached: 1, spare parts prompts: 0"
        call_command("sweep_sla", stdout=out)
    assert out.getvalue().strip().endswith("at risk: 0, breached: 0, spare parts prompts: 0")


# --- a real SMTP server on loopback ---------------------------------------------------
@pytest.fixture
def smtp_server(settings):
    with loopback_smtp(settings) as box:
        yield box


@pytest.mark.django_db(transaction=True)
def test_alerts_reach_a_real_smtp_server_after_commit(smtp_server, contract, agent):
    contract.notify_hospital_on_breach = True
    contract.save()
    request = open_request(contract.devices.get(), agent)
    assert sweep(now=T0 + 3 * H + M) == SweepResult(at_risk=1)
    received = smtp_server.received()
    assert sorted(to[0] for to, _subject in received) == [
        "eng1@vendor.example",
        "eng2@vendor.example",
        "manager@vendor.example",
    ]
    assert all(request.number in subject and "到场" in subject for _to, subject in received)

    assert sweep(now=T0 + 4 * H + M) == SweepResult(breached=1)
    assert sweep(now=T0 + 4 * H + 2 * M) == NOTHING
    received = smtp_server.received()
    assert len(received) == 5
    assert sorted(to[0] for to, _subject in received[3:]) == [
        "manager@vendor.example",
        "nurse@hospital.example",
    ]
    assert all(request.number in subject for _to, subject in received)


# --- several sweepers at once (PostgreSQL) ----------------------------------------------
REQUESTS, SWEEPERS = 200, 4


def _bulk_world(agent, manager, engineer, now):
    """``REQUESTS`` open requests with the four standard milestones each: half of them at
    risk (past the warning, before the deadline), half past the deadline and never warned."""
    device = DeviceFactory()
    contract = ContractFactory(hospital=device.hospital, devices=[device], service_manager=manager)
    template = open_request(device, agent)  # the policy, the numbering: as the service does
    requests = ServiceRequest.objects.bulk_create(
        ServiceRequest(
            number=f"SR-BULK-{i:06d}",
            device=device,
            hospital_id=device.hospital_id,
            department_id=device.department_id,
            contract=contract,
            policy=template.policy,
            severity="normal",
            channel="hotline",
            reported_at=now - 2 * H,
            recorded_by=agent,
            description="x",
        )
        for i in range(REQUESTS)
    )
    ServiceRequest.engineers.through.objects.bulk_create(
        ServiceRequest.engineers.through(servicerequest_id=r.pk, user_id=engineer.pk)
        for r in requests
    )
    rows = []
    for i, request in enumerate(requests):
        breached = i % 2 == 1
        for position, key in enumerate(("on_site", "solution", "resolved", "restored")):
            due = now - M * (position + 1) if breached else now + M * (position + 1)
            rows.append(
                Milestone(
                    request=request,
                    key=key,
                    name_zh=key,
                    name_en=key,
                    position=position,
                    target_seconds=3600,
                    started_at=now - 2 * H,
                    due_at=due,
                    warn_at=due - 15 * M,
                )
            )
    Milestone.objects.bulk_create(rows, batch_size=1000)
    ServiceRequest.objects.filter(pk=template.pk).update(is_open=False)  # not part of the run
    return len(rows)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweepers_send_every_alert_exactly_once(agent, manager):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and SKIP LOCKED under concurrency: PostgreSQL only")
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", email="eng@vendor.example")
    now = T0 + 30 * H
    total = _bulk_world(agent, manager, engineer, now)
    assert total == 4 * REQUESTS
    mail.outbox = []
    barrier = Barrier(SWEEPERS)

    def sweeper(_) -> SweepResult:
        try:
            barrier.wait(timeout=30)
            return sweep(now=now, batch_size=25)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=SWEEPERS) as pool:
        results = list(pool.map(sweeper, range(SWEEPERS)))

    # Every milestone was claimed by exactly one sweeper, and the work was shared.
    assert sum(r.at_risk + r.breached for r in results) == total
    assert sum(r.at_risk for r in results) == total // 2
    # resolved and restored of every request: with the warning, or with a breach first seen
    assert sum(r.spare_parts_prompts for r in results) == 2 * REQUESTS
    assert sum(1 for r in results if r.at_risk + r.breached) >= 2, results
    assert (
        not Milestone.objects.filter(request__is_open=True, breach_notified_at=None)
        .filter(due_at__lt=now)
        .exists()
    )
    assert not Milestone.objects.filter(request__is_open=True, at_risk_notified_at=None).exists()

    # One inbox row per milestone, kind and person: never two, never none.
    per_alert = Counter(
        key.rsplit(":", 1)[0] for key in InboxMessage.objects.values_list("dedupe_key", flat=True)
    )
    milestones = dict(
        Milestone.objects.filter(request__is_open=True).values_list("pk", "breach_notified_at")
    )
    at_risk_ids = {pk for pk, breach in milestones.items() if breach is None}
    expected: Counter[str] = Counter()
    for pk, key in Milestone.objects.filter(request__is_open=True).values_list("pk", "key"):
        if pk in at_risk_ids:
            expected[f"{KIND_AT_RISK}:{pk}"] = 2  # engineer and manager
        else:
            expected[f"{KIND_BREACHED}:{pk}"] = 1  # the manager
        if key in {"resolved", "restored"}:
            expected[f"{KIND_SPARE_PARTS}:{pk}"] = 2
    assert per_alert == expected
    # And one e-mail per inbox row, sent after each batch committed.
    assert len(mail.outbox) == InboxMessage.objects.count()
    assert set(mailed().values()) == {1}
