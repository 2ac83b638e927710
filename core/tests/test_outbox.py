"""The durable outbox (issue 11 §2): an event is written with its cause, delivered to each
handler exactly once, retried with backoff when the handler raises (its error in sight),
failed after the last attempt, and made due again by the admin's "retry now"."""

from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core import outbox
from core.models import DeliveryState, OutboxDelivery, OutboxEvent
from notify import webhooks

from .outbox_probe import EFFECT, PROBE, Probe, effects_of, write_effect

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL only"
)


@pytest.fixture
def probe():
    handler = Probe()
    outbox.register(PROBE, events=[PROBE], func=handler)
    yield handler
    outbox.unregister(PROBE)


@pytest.fixture
def no_nudge(monkeypatch):
    """The nudge after commit counts its calls instead of delivering (huey runs tasks inline
    in tests), so a test decides when delivery happens."""
    import core.tasks

    calls: list[None] = []
    monkeypatch.setattr(core.tasks, "outbox_deliver", lambda: calls.append(None))
    return calls


def delivery_of(event: OutboxEvent) -> OutboxDelivery:
    return OutboxDelivery.objects.get(event=event, handler=PROBE)


# --- writing ---------------------------------------------------------------------------
def test_written_with_its_cause_and_gone_when_that_rolls_back(probe, no_nudge):
    with pytest.raises(RuntimeError), transaction.atomic():
        event = outbox.publish(PROBE, {"thing_id": 7})
        assert OutboxEvent.objects.filter(pk=event.pk).exists()
        assert delivery_of(event).state == DeliveryState.PENDING
        raise RuntimeError("the change failed")
    assert not OutboxEvent.objects.exists()
    assert not OutboxDelivery.objects.exists()

    event = outbox.publish(PROBE, {"thing_id": 7})
    assert OutboxEvent.objects.get(pk=event.pk).payload == {"thing_id": 7}
    assert delivery_of(event).next_attempt_at <= timezone.now()


def test_an_event_nobody_handles_is_kept_without_deliveries(no_nudge):
    event = outbox.publish("tests.unheard", {"x": 1})
    assert OutboxEvent.objects.filter(pk=event.pk).exists()
    assert not OutboxDelivery.objects.exists()


def test_one_nudge_per_committed_transaction(probe, no_nudge, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.publish(PROBE)
        outbox.publish_many(PROBE, [{"n": 1}, {"n": 2}])
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.publish(PROBE)
            raise RuntimeError
    assert len(no_nudge) == 1
    assert OutboxDelivery.objects.count() == 3  # the rolled-back savepoint's is gone
    with django_capture_on_commit_callbacks(execute=True):
        outbox.publish(PROBE)
    assert len(no_nudge) == 2


def test_a_queue_that_is_down_does_not_fail_the_commit(
    probe, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    import core.tasks

    def down():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(core.tasks, "outbox_deliver", down)
    with (
        caplog.at_level(logging.WARNING, logger="core.outbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = outbox.publish(PROBE)
    assert "could not enqueue" in caplog.text
    assert delivery_of(event).state == DeliveryState.PENDING  # the minute sweep takes it
    assert outbox.deliver_due().delivered == 1


def test_the_nudge_delivers_after_commit(probe, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = outbox.publish(PROBE)
    assert probe.calls == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert probe.calls == [event.pk]
    assert delivery_of(event).state == DeliveryState.DELIVERED


def test_a_handler_name_is_taken_once():
    def one(event):
        pass

    def other(event):
        pass

    outbox.register("tests.once", events=["a"], func=one)
    try:
        outbox.register("tests.once", events=["a"], func=one)  # ready() running again
        with pytest.raises(ImproperlyConfigured):
            outbox.register("tests.once", events=["a"], func=other)
    finally:
        outbox.unregister("tests.once")


def _handlers(event: str) -> set[str]:
    """The handlers of an event besides the webhook relay, which hears every kind an
    integrator may subscribe to (checked on its own below)."""
    return {h.name for h in outbox.handlers_for(event)} - {webhooks.RELAY_HANDLER}


def test_the_projects_handlers_are_registered():
    assert _handlers("service.request_dispatched") == {"parts.reserve_on_dispatch"}
    assert _handlers("service.request_closed") == {"parts.release_on_close"}
    assert _handlers("charges.statement_accepted") == {"charges.render_statement_pdf"}
    assert _handlers("charges.statement_disputed") == {"charges.notify_dispute"}
    for name in ("charges.statement_sent", "charges.statement_answered"):
        assert _handlers(name) == {"charges.notify_hospital"}
    assert _handlers("notify.email_queued") == {"notify.send_email"}
    for kind in webhooks.EVENT_KINDS:
        assert webhooks.RELAY_HANDLER in {h.name for h in outbox.handlers_for(kind)}, kind


# --- delivering ------------------------------------------------------------------------
def test_delivered_once_however_often_the_worker_runs(probe, no_nudge):
    events = outbox.publish_many(PROBE, [{"n": 1}, {"n": 2}])
    assert outbox.deliver_due() == outbox.DeliveryReport(delivered=2)
    assert outbox.deliver_due() == outbox.DeliveryReport()
    assert probe.calls == [e.pk for e in events]
    for event in events:
        delivery = delivery_of(event)
        assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 1)
        assert delivery.delivered_at is not None and delivery.last_error == ""
        assert effects_of(event) == 1


def test_each_handler_has_its_own_delivery(probe, no_nudge):
    other = Probe()
    outbox.register("tests.other", events=[PROBE], func=other)
    try:
        event = outbox.publish(PROBE)

        def fails(_event: OutboxEvent) -> None:
            raise ZeroDivisionError

        other.then = fails
        report = outbox.deliver_due()
    finally:
        outbox.unregister("tests.other")
    assert report == outbox.DeliveryReport(delivered=1, retried=1)
    assert probe.calls == [event.pk] and other.calls == [event.pk]
    states = dict(OutboxDelivery.objects.values_list("handler", "state"))
    assert states == {PROBE: "delivered", "tests.other": "pending"}


def test_database_only_rows_share_a_transaction_and_an_outside_row_runs_alone(no_nudge):
    """The delivering transaction (a savepoint inside the test's) each row ran in: the
    database-only rows in claim order share one until a row acting outside the database
    comes, which runs alone; a database-only row that raises is retried without undoing
    the others of its batch."""
    ran: list[tuple[str, int, str]] = []

    def handler(kind: str):
        def run(event: OutboxEvent) -> None:
            # [-1] is the handler's own savepoint, [-2] the batch's transaction.
            ran.append((kind, event.payload["n"], connection.savepoint_ids[-2]))
            write_effect(event)
            if event.payload.get("raise"):
                raise ZeroDivisionError

        return run

    outbox.register("tests.db", events=["tests.db"], func=handler("db"), database_only=True)
    outbox.register("tests.outside", events=["tests.outside"], func=handler("outside"))
    try:
        events = [
            outbox.publish("tests.db", {"n": 1}),
            outbox.publish("tests.db", {"n": 2, "raise": True}),
            outbox.publish("tests.db", {"n": 3}),
            outbox.publish("tests.outside", {"n": 4}),
            outbox.publish("tests.outside", {"n": 5}),
            outbox.publish("tests.db", {"n": 6}),
        ]
        report = outbox.deliver_due()
    finally:
        outbox.unregister("tests.db")
        outbox.unregister("tests.outside")
    assert report == outbox.DeliveryReport(delivered=5, retried=1)
    assert [(kind, n) for kind, n, _batch in ran] == [
        ("db", 1), ("db", 2), ("db", 3), ("outside", 4), ("outside", 5), ("db", 6),
    ]  # fmt: skip
    batches = [batch for _kind, _n, batch in ran]
    assert batches[0] == batches[1] == batches[2]
    assert len({batches[0], batches[3], batches[4], batches[5]}) == 4
    assert [effects_of(e) for e in events] == [1, 0, 1, 1, 1, 1]
    states = [OutboxDelivery.objects.get(event=e).state for e in events]
    assert states == ["delivered", "pending", "delivered", "delivered", "delivered", "delivered"]


def test_on_sqlite_a_long_delivery_leaves_the_lock_free_a_moment(no_nudge, monkeypatch):
    """SQLite queues no writer: after a long transaction (a PDF, a message) the worker
    pauses before its next one, so a page's write gets its turn; short batches do not."""
    slept: list[float] = []
    monkeypatch.setattr(outbox.time, "sleep", slept.append)
    monkeypatch.setattr(outbox, "_one_writer_at_a_time", lambda: True)
    clock = iter(range(0, 1000, 1))  # every reading of the clock is a second later
    monkeypatch.setattr(outbox.time, "monotonic", lambda: float(next(clock)))
    outbox.register("tests.slow", events=["tests.slow"], func=lambda event: None)
    try:
        outbox.publish("tests.slow", {})
        outbox.publish("tests.slow", {})
        assert outbox.deliver_due() == outbox.DeliveryReport(delivered=2)
    finally:
        outbox.unregister("tests.slow")
    assert slept == [outbox.SQLITE_BREATHER] * 2
    monkeypatch.setattr(outbox, "_one_writer_at_a_time", lambda: False)  # PostgreSQL
    slept.clear()
    outbox.register("tests.slow", events=["tests.slow"], func=lambda event: None)
    try:
        outbox.publish("tests.slow", {})
        outbox.deliver_due()
    finally:
        outbox.unregister("tests.slow")
    assert slept == []


def test_a_raising_handler_is_retried_with_backoff_then_succeeds(probe, no_nudge, caplog):
    def refuse(event):
        raise ConnectionError("the far side is down")

    probe.then = refuse
    start = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        event = outbox.publish(PROBE)
        with caplog.at_level(logging.WARNING, logger="core.outbox"):
            assert outbox.deliver_due() == outbox.DeliveryReport(retried=1)
        assert "tests.probe failed on event" in caplog.text
        delivery = delivery_of(event)
        assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
        assert "ConnectionError: the far side is down" in delivery.last_error
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
        # The failed attempt's own writes went with it.
        assert effects_of(event) == 0
        # Not before its time.
        assert outbox.deliver_due() == outbox.DeliveryReport()
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        assert outbox.deliver_due() == outbox.DeliveryReport(retried=1)
        assert delivery_of(event).next_attempt_at == start + dt.timedelta(seconds=90)
    probe.then = None
    with time_machine.travel(start + dt.timedelta(seconds=90), tick=False):
        assert outbox.deliver_due() == outbox.DeliveryReport(delivered=1)
    delivery = delivery_of(event)
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 3)
    assert "the far side is down" in delivery.last_error  # what happened stays readable
    assert effects_of(event) == 1 and len(probe.calls) == 3


def test_backoff_doubles_up_to_its_cap():
    base, cap = dt.timedelta(seconds=30), dt.timedelta(hours=1)
    waits = [outbox.backoff(n, base=base, cap=cap).total_seconds() for n in range(1, 11)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_failed_after_the_last_attempt_and_kept_in_sight(probe, no_nudge, settings, caplog):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    probe.then = lambda event: 1 / 0
    event = outbox.publish(PROBE)
    start = timezone.now()
    outcomes = []
    for minute in range(4):
        with (
            time_machine.travel(start + dt.timedelta(minutes=minute), tick=False),
            caplog.at_level(logging.ERROR, logger="core.outbox"),
        ):
            outcomes.append(outbox.deliver_due())
    assert outcomes == [
        outbox.DeliveryReport(retried=1),
        outbox.DeliveryReport(retried=1),
        outbox.DeliveryReport(failed=1),
        outbox.DeliveryReport(),  # failed rows are not tried again by themselves
    ]
    delivery = delivery_of(event)
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 3)
    assert "ZeroDivisionError" in delivery.last_error and delivery.delivered_at is None
    assert "gave up on event" in caplog.text
    assert effects_of(event) == 0


def test_a_delivery_without_its_handler_fails_visibly(no_nudge, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    outbox.register("tests.gone", events=["tests.gone"], func=lambda event: None)
    event = outbox.publish("tests.gone")
    outbox.unregister("tests.gone")  # a release that dropped the handler
    assert outbox.deliver_due() == outbox.DeliveryReport(failed=1)
    delivery = OutboxDelivery.objects.get(event=event)
    assert "no outbox handler is registered as 'tests.gone'" in delivery.last_error


def test_retry_makes_failed_and_waiting_rows_due_and_leaves_delivered_alone(probe, no_nudge):
    failed, waiting, delivered = outbox.publish_many(PROBE, [{}, {}, {}])
    later = timezone.now() + dt.timedelta(hours=1)
    OutboxDelivery.objects.filter(event=failed).update(
        state=DeliveryState.FAILED, attempts=10, next_attempt_at=later, last_error="boom"
    )
    OutboxDelivery.objects.filter(event=waiting).update(attempts=2, next_attempt_at=later)
    assert outbox.deliver_due().delivered == 1  # only the third was due
    assert outbox.deliveries_retry(deliveries=OutboxDelivery.objects.all()) == 2
    assert outbox.deliver_due() == outbox.DeliveryReport(delivered=2)
    assert [effects_of(e) for e in (failed, waiting, delivered)] == [1, 1, 1]
    assert delivery_of(failed).attempts == 11


def test_forget_drops_old_events_whose_deliveries_are_all_done(probe, no_nudge):
    long_ago = timezone.now() - dt.timedelta(days=31)
    with time_machine.travel(long_ago, tick=False):
        done, stuck = outbox.publish_many(PROBE, [{}, {}])
        outbox.publish("tests.unheard")  # no delivery at all: done as well
    recent = outbox.publish(PROBE)
    OutboxDelivery.objects.filter(event__in=[done, recent]).update(
        state=DeliveryState.DELIVERED, delivered_at=timezone.now()
    )
    OutboxDelivery.objects.filter(event=stuck).update(state=DeliveryState.FAILED)
    assert outbox.forget_delivered() == 2
    left = set(OutboxEvent.objects.values_list("pk", flat=True))
    assert left == {stuck.pk, recent.pk}


def test_the_command_delivers_and_prints_the_counts(probe, no_nudge):
    from io import StringIO

    from django.core.management import call_command

    outbox.publish(PROBE)
    out = StringIO()
    call_command("outbox_deliver", stdout=out)
    assert out.getvalue().strip() == "delivered: 1, retried: 0, failed: 0"


def test_the_periodic_sweep_delivers(probe, no_nudge):
    from core.tasks import outbox_sweep

    event = outbox.publish(PROBE)
    outbox_sweep()  # huey runs it inline in tests
    assert delivery_of(event).state == DeliveryState.DELIVERED


# --- the admin -------------------------------------------------------------------------
@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_admin_lists_deliveries_with_their_error_and_retries_now(
    admin_client, probe, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    probe.then = lambda event: 1 / 0
    broken, fine = outbox.publish_many(PROBE, [{"n": 1}, {"n": 2}])
    outbox.deliver_due()
    OutboxDelivery.objects.filter(event=fine).update(
        state=DeliveryState.DELIVERED, delivered_at=timezone.now(), last_error=""
    )
    changelist = reverse("admin:core_outboxdelivery_changelist")
    page = admin_client.get(changelist, {"state": "failed"}).content.decode()
    assert "ZeroDivisionError: division by zero" in page and PROBE in page

    probe.then = None
    with django_capture_on_commit_callbacks(execute=True):  # the nudge delivers at once
        response = admin_client.post(
            changelist,
            {
                "action": "retry_now",
                "_selected_action": list(OutboxDelivery.objects.values_list("pk", flat=True)),
            },
            follow=True,
        )
    text = response.content.decode()
    assert "1 delivery will be tried again now." in text
    assert "1 delivery was already delivered and is left alone." in text
    assert delivery_of(broken).state == DeliveryState.DELIVERED
    assert effects_of(broken) == 1 and effects_of(fine) == 0  # fine was never run again


def test_admin_pages_are_read_only(admin_client, probe, no_nudge):
    event = outbox.publish(PROBE, {"thing_id": 7})
    delivery = delivery_of(event)
    page = admin_client.get(reverse("admin:core_outboxevent_change", args=[event.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "thing_id" in text and PROBE in text and 'name="_save"' not in text
    page = admin_client.get(reverse("admin:core_outboxdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert (
        admin_client.post(
            reverse("admin:core_outboxdelivery_change", args=[delivery.pk]), {"state": "delivered"}
        ).status_code
        == 403
    )
    assert delivery_of(event).state == DeliveryState.PENDING


# --- concurrency -----------------------------------------------------------------------
@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_deliverers_at_once_deliver_each_row_exactly_once(probe, no_nudge):
    events = outbox.publish_many(PROBE, [{"n": n} for n in range(30)])
    probe.then = lambda event: time.sleep(0.02)  # long enough for the other to reach it
    barrier = Barrier(2)

    def deliver() -> outbox.DeliveryReport:
        try:
            barrier.wait(timeout=10)
            return outbox.deliver_due()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda _: deliver(), range(2)))
    assert sum(r.delivered for r in reports) == 30
    assert sorted(probe.calls) == sorted(e.pk for e in events)
    assert OutboxEvent.objects.filter(name=EFFECT).count() == 30
    assert all(effects_of(e) == 1 for e in events)
    assert set(OutboxDelivery.objects.values_list("state", "attempts")) == {("delivered", 1)}
