"""A worker killed in the middle of a delivery loses nothing and doubles nothing (issue 11
§2, "Done when"): a real process claims the row, runs the handler's database write and is
SIGKILLed while it holds the claim; the next delivery does the work once, and the row is
delivered once. The same for a batch of database-only rows killed at its third row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.parse

import pytest
from django.db import DatabaseError, connection, transaction

from core import outbox
from core.models import DeliveryState, OutboxDelivery
from tests.served import BASE_DIR, environment, wait_for

from .outbox_probe import PROBE, Probe, effects_of

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker process needs the suite's database, and SQLite's test database "
        "lives in this process's memory; the kill is a PostgreSQL test",
    ),
    pytest.mark.django_db(transaction=True),
]


def suite_database_url() -> str:
    """The test database this process uses, for the worker process."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "postgres")
    password = urllib.parse.quote(db["PASSWORD"] or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def locked_by_someone_else(delivery: OutboxDelivery) -> bool:
    try:
        with transaction.atomic():
            OutboxDelivery.objects.select_for_update(nowait=True).get(pk=delivery.pk)
    except DatabaseError:
        return True
    return False


@pytest.fixture
def probe(monkeypatch):
    import core.tasks

    handler = Probe()
    outbox.register(PROBE, events=[PROBE], func=handler)
    # No nudge in this process: the worker process is the one that claims the row.
    monkeypatch.setattr(core.tasks, "outbox_deliver", lambda: None)
    yield handler
    outbox.unregister(PROBE)


def _killed_while_blocked(tmp_path, *, blocking_event, deliveries, batch: bool) -> None:
    """Start the worker, wait until its handler blocks on ``blocking_event`` while holding
    every one of ``deliveries`` uncommitted, and SIGKILL it."""
    gate = tmp_path / "gate"
    gate.mkdir()
    env = environment(tmp_path / "var", DATABASE_URL=suite_database_url())
    mode = ["batch"] if batch else []
    worker = subprocess.Popen(
        [sys.executable, "-m", "core.tests.outbox_worker", str(gate), *mode],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(
            lambda: (gate / "reached").exists() or worker.poll() is not None,
            "the worker to run the handler",
        )
        assert worker.poll() is None, worker.communicate()[1].decode()[-3000:]
        assert (gate / "reached").read_text() == str(blocking_event.pk)
        # The worker holds the claims, and its writes are not committed.
        for delivery in deliveries:
            assert locked_by_someone_else(delivery)
            assert effects_of(delivery.event) == 0
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stdout.close()  # type: ignore[union-attr]
        worker.stderr.close()  # type: ignore[union-attr]


def test_a_worker_killed_mid_delivery_loses_nothing_and_doubles_nothing(tmp_path, probe):
    event = outbox.publish(PROBE, {"n": 1})
    delivery = OutboxDelivery.objects.get(event=event)
    _killed_while_blocked(tmp_path, blocking_event=event, deliveries=[delivery], batch=False)

    # PostgreSQL rolls the dead session back and releases the row; until it notices, the
    # deliverer skips the locked row, so we try again for a while.
    wait_for(lambda: outbox.deliver_due().delivered == 1, "the row to be delivered again")
    assert outbox.deliver_due() == outbox.DeliveryReport()

    assert effects_of(event) == 1
    assert probe.calls == [event.pk]
    delivery.refresh_from_db()
    # The killed attempt left no trace: one attempt, delivered once.
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 1)
    assert delivery.delivered_at is not None


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(tmp_path, probe):
    events = outbox.publish_many(PROBE, [{"block": False}, {"block": False}, {"block": True}])
    deliveries = list(OutboxDelivery.objects.filter(event__in=events).order_by("pk"))
    _killed_while_blocked(tmp_path, blocking_event=events[2], deliveries=deliveries, batch=True)

    wait_for(lambda: outbox.deliver_due().delivered == 3, "the batch to be delivered again")
    assert outbox.deliver_due() == outbox.DeliveryReport()
    assert [effects_of(event) for event in events] == [1, 1, 1]
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 1)
