"""Outbound webhooks (issue 13 §2): a domain event on the outbox reaches a subscriber's
loopback receiver, which checks X-Medservice-Signature; a receiver that is down gets the
same delivery (same id) again later; a target in an internal range is refused (422 with
the field); the log and "redeliver" work from the API; a worker killed mid-delivery
leaves exactly one delivery at the receiver after its restart."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from core import outbox
from notify import webhooks
from notify.models import WebhookDelivery, WebhookSubscription
from notify.tests.receiver import loopback_receiver
from service.services import service_request_open

pytestmark = pytest.mark.django_db
SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with loopback_receiver() as box:
        box.webhook_secret = SECRET
        yield box


def subscribe(receiver, kinds=("service.request_opened",)) -> WebhookSubscription:
    return webhooks.webhook_subscription_save(
        name="ERP", url=receiver.url("/hook"), secret=SECRET, event_kinds=list(kinds)
    )


def test_a_new_request_reaches_the_subscriber_signed(receiver):
    subscribe(receiver)
    engineer = vendor_user(VendorRole.ENGINEER)
    request = service_request_open(
        device=DeviceFactory(), severity="normal", channel="hotline", description="x",
        recorded_by=engineer,
    )  # fmt: skip
    for _ in range(3):  # the relay, then the send
        outbox.deliver_due()
    (hit,) = receiver.of("/hook")
    assert hit["status"] == 200  # the receiver checked the signature
    body = json.loads(hit["body"])
    assert body["event"] == "service.request_opened"
    assert body["data"]["request_id"] == request.pk
    assert body["id"] == hit["headers"]["X-Medservice-Delivery"]
    assert set(body) == {"id", "event", "occurred_at", "data"}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.response_code) == ("sent", 200)


def test_a_receiver_that_is_down_gets_the_same_delivery_later(receiver):
    subscribe(receiver, kinds=["charges.statement_sent"])
    receiver.status = 500
    webhooks.publish(kind="charges.statement_sent", payload={"statement_id": 7})
    outbox.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.response_code, delivery.attempts) == ("pending", 500, 1)
    receiver.status = 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        outbox.deliver_due()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("sent", 2)
    first, second = receiver.of("/hook")
    assert first["headers"]["X-Medservice-Delivery"] == second["headers"]["X-Medservice-Delivery"]


def test_retries_stop_after_24_hours(receiver):
    subscribe(receiver, kinds=["charges.statement_sent"])
    receiver.status = 502
    webhooks.publish(kind="charges.statement_sent", payload={"statement_id": 7})
    start = timezone.now()
    outbox.deliver_due()
    for hours in range(1, 26):
        with time_machine.travel(start + dt.timedelta(hours=hours, minutes=1)):
            outbox.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "failed"
    assert delivery.attempts > 10  # tried through the whole day, hourly at the end


def test_api_refuses_a_metadata_address_with_the_field(client, receiver):
    client.force_login(vendor_user(VendorRole.ADMIN))
    response = client.post(
        "/api/v1/webhook-subscriptions",
        {"name": "x", "url": "http://169.254.169.254/latest/meta-data/", "secret": SECRET,
         "event_kinds": ["service.request_opened"]},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422
    assert ["body", "url"] in [e["loc"] for e in response.json()["errors"]]
    assert not WebhookSubscription.objects.exists()


def test_api_creates_lists_and_redelivers(client, receiver):
    client.force_login(vendor_user(VendorRole.ADMIN))
    response = client.post(
        "/api/v1/webhook-subscriptions",
        {"name": "ERP", "url": receiver.url("/hook"), "secret": SECRET,
         "event_kinds": ["charges.statement_sent"]},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    subscription_id = response.json()["id"]
    webhooks.publish(kind="charges.statement_sent", payload={"statement_id": 7})
    outbox.deliver_due()
    log = client.get(f"/api/v1/webhook-subscriptions/{subscription_id}/deliveries").json()
    (row,) = log["items"]
    assert (row["state"], row["response_code"]) == ("sent", 200)
    assert row["body"]["data"] == {"statement_id": 7}
    again = client.post(f"/api/v1/webhook-deliveries/{row['id']}/redeliver")
    assert again.status_code == 202
    outbox.deliver_due()
    assert len(receiver.of("/hook")) == 2


@pytest.mark.parametrize("role", [VendorRole.MANAGER, VendorRole.ENGINEER])
def test_only_administrators_manage_webhooks(client, receiver, role):
    client.force_login(vendor_user(role))
    assert client.get("/api/v1/webhook-subscriptions").status_code == 403


def test_api_refuses_an_sms_template_without_the_phone(client, receiver):
    client.force_login(vendor_user(VendorRole.ADMIN))
    response = client.put(
        "/api/v1/sms-gateway",
        {"url": receiver.url("/sms"), "body": "text={text}"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert ["body", "body"] in [e["loc"] for e in response.json()["errors"]]
    ok = client.put(
        "/api/v1/sms-gateway",
        {"url": receiver.url("/sms"), "body": "to={phone}&text={text}"},
        content_type="application/json",
    )
    assert ok.status_code == 200


WORKER = """
import django
django.setup()
from core import outbox
outbox.deliver_due()
"""


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worker process needs the suite's database; SQLite's lives in this process",
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_leaves_one_delivery_after_restart(
    receiver, monkeypatch, tmp_path
):
    """The real handler runs in a worker process against the test database; the receiver
    takes the request and holds its answer; the worker is SIGKILLed before it can commit;
    the next worker sends again with the same X-Medservice-Delivery, so the receiver (which,
    as documented, drops a repeated id) has exactly one delivery, and the row is sent once."""
    import core.tasks
    from core.tests.test_outbox_kill import suite_database_url
    from tests.served import BASE_DIR, environment

    monkeypatch.setattr(core.tasks, "outbox_deliver", lambda: None)  # the worker claims
    subscribe(receiver, kinds=["charges.statement_sent"])
    webhooks.publish(kind="charges.statement_sent", payload={"statement_id": 7})
    receiver.hold = True
    env = environment(
        tmp_path / "var", DATABASE_URL=suite_database_url(), WEBHOOK_ALLOWED_HOSTS="127.0.0.1"
    )
    worker = subprocess.Popen([sys.executable, "-c", WORKER], cwd=BASE_DIR, env=env)
    try:
        assert receiver.held.wait(60), "the worker never reached the receiver"
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    receiver.hold = False
    receiver.release.set()
    time.sleep(0)  # the held answer goes to a dead socket
    assert WebhookDelivery.objects.get().state == "pending"  # the kill rolled back the mark
    outbox.deliver_due()  # the restarted worker
    hits = receiver.of("/hook")
    ids = [h["headers"]["X-Medservice-Delivery"] for h in hits]
    assert len(ids) == 2 and len(set(ids)) == 1  # one delivery: the peer drops the repeat
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("sent", 1)
    outbox.deliver_due()
    assert len(receiver.of("/hook")) == 2  # never a third time
