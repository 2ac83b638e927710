"""E-mail through the outbox (issue 11 §2, issue 13 §2): a delivery row and an outbox event
per message, sent by the worker after the commit to a real SMTP server on loopback; a
refused address is retried alone, a retry never sends again what already went, and every
copy of one message has one Message-ID."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core import outbox
from core.models import DeliveryState, OutboxDelivery, OutboxEvent
from core.tests.smtp import loopback_smtp
from notify.deliveries import DELIVERY_DUE, message_id
from notify.models import Delivery, InboxMessage
from notify.services import notify_users

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(settings):
    with loopback_smtp(settings) as box:
        yield box


@pytest.fixture
def people():
    return [
        UserFactory(username="li", email="li@vendor.example"),
        UserFactory(username="wang", email="wang@vendor.example"),
    ]


def tell(users, **extra):
    return notify_users(
        users=users,
        kind="alert",
        subject="SR-2026-000001: at risk",
        body="Details",
        url="/service-requests/1/",
        dedupe_key_prefix="alert:1",
        **extra,
    )


def deliveries() -> dict[str, tuple[str, int]]:
    return {d.address: (d.state, d.attempts) for d in Delivery.objects.filter(channel="email")}


def test_one_event_for_the_notice_s_messages_written_with_the_inbox_rows(people, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    tell(people, also_email=["nurse@hospital.example"])
    (event,) = OutboxEvent.objects.filter(name=DELIVERY_DUE)
    mails = [Delivery.objects.get(pk=pk) for pk in event.payload["delivery_ids"]]
    assert [m.address for m in mails] == [
        "li@vendor.example",
        "wang@vendor.example",
        "nurse@hospital.example",
    ]
    assert mails[0].subject == "SR-2026-000001: at risk"
    # An absolute link, from SITE_URL.
    assert mails[0].url == "http://127.0.0.1:8000/service-requests/1/"
    assert InboxMessage.objects.count() == 2


def test_a_notice_s_e_mails_share_one_connection(
    mailbox, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tell(people, also_email=["nurse@hospital.example"])
    assert len(mailbox.received()) == 3
    assert len(set(mailbox.sessions)) == 1


def test_a_refused_address_is_retried_alone_and_nothing_goes_twice(
    mailbox, people, django_capture_on_commit_callbacks
):
    mailbox.refused = {"wang@vendor.example"}
    with django_capture_on_commit_callbacks(execute=True):
        tell(people)
    assert mailbox.received() == [(["li@vendor.example"], "SR-2026-000001: at risk")]
    state = deliveries()
    assert state == {
        "li@vendor.example": ("sent", 1),
        "wang@vendor.example": ("pending", 1),
    }
    wang = Delivery.objects.get(address="wang@vendor.example")
    assert "no such user here" in wang.last_error

    mailbox.refused = set()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        assert outbox.deliver_due() == outbox.DeliveryReport(delivered=1)
        assert outbox.deliver_due() == outbox.DeliveryReport()
    assert sorted(mailbox.received()) == [
        (["li@vendor.example"], "SR-2026-000001: at risk"),
        (["wang@vendor.example"], "SR-2026-000001: at risk"),
    ]
    assert deliveries()["wang@vendor.example"] == ("sent", 2)


def test_a_mail_server_that_is_down_is_tried_again_later(
    settings, people, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    with django_capture_on_commit_callbacks(execute=True):
        tell(people)
    assert set(deliveries().values()) == {("pending", 1)}
    assert all(
        "ConnectionRefusedError" in d.last_error for d in Delivery.objects.filter(channel="email")
    )
    # Each waits for its next attempt as a new outbox event, due later.
    assert OutboxDelivery.objects.filter(state=DeliveryState.PENDING).count() == 2
    assert InboxMessage.objects.count() == 2  # the inbox does not wait for the mail


def test_every_copy_of_a_message_has_the_message_id_of_its_event(mailbox, people, settings):
    tell(people[:1])
    event = OutboxEvent.objects.get(name=DELIVERY_DUE)
    outbox.deliver_due()
    # As if the worker died after sending and before its commit: both marks undone.
    OutboxDelivery.objects.filter(event=event).update(
        state=DeliveryState.PENDING, delivered_at=None
    )
    Delivery.objects.filter(channel="email").update(state="pending", sent_at=None)
    outbox.deliver_due()
    (first_to, first), (second_to, second) = mailbox.messages()
    assert first_to == second_to == ["li@vendor.example"]
    mail = Delivery.objects.get(channel="email")
    assert first["Message-ID"] == second["Message-ID"] == message_id(mail)
    assert first["From"] == settings.DEFAULT_FROM_EMAIL
