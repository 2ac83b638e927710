"""The channels of issue 13 §2 against real loopback servers: WeCom and DingTalk group
robots (DingTalk's signed URL checked by the receiver as DingTalk checks it), the SMS
gateway by its request template, e-mail to a loopback SMTP server; a channel that is down
delays its message, which is retried and never sent twice, and never fails the caller."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core import outbox
from customers.tests.factories import HospitalFactory
from notify.channels import dingtalk_sign, sms_message
from notify.models import Delivery, GroupRobot, InboxMessage, NotificationPreference, SmsGateway
from notify.outbound import target_address
from notify.services import notify_users, preferences_set
from notify.tests.receiver import loopback_receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SITE_URL = "http://127.0.0.1:8000"
    with loopback_receiver() as box:
        yield box


@pytest.fixture
def hospital():
    return HospitalFactory(name="东海人民医院")


@pytest.fixture
def zhang():
    return UserFactory(
        username="zhang", last_name="张", first_name="伟", email="", phone="13800000001"
    )


def tell(users, hospital, key="sr:1"):
    return notify_users(
        users=users,
        kind="sla_at_risk",
        subject="SR-2026-000001: 到场 at risk",
        body="监护仪 in ICU",
        url="/service/requests/1/",
        dedupe_key_prefix=key,
        hospital_id=hospital.pk,
    )


def test_the_dingtalk_signature_is_the_documented_one():
    # DingTalk's documented example: base64(HMAC-SHA256(secret, "ts\\nsecret")), URL-encoded.
    sign = dingtalk_sign(secret="SECabc", timestamp_ms=1577262236757)
    assert "%" in sign or sign.isalnum()
    import base64
    import hashlib
    import hmac
    from urllib.parse import unquote_plus

    raw = hmac.new(b"SECabc", b"1577262236757\nSECabc", hashlib.sha256).digest()
    assert unquote_plus(sign) == base64.b64encode(raw).decode()


def test_wecom_robot_gets_the_documented_text_message_with_an_absolute_link(
    receiver, hospital, zhang
):
    GroupRobot.objects.create(
        kind="wecom", name="ICU group", hospital_id=hospital.pk, webhook_url=receiver.url("/wecom")
    )
    preferences_set(user=zhang, choices={"sla_at_risk": ["wecom"]})
    tell([zhang], hospital)
    outbox.deliver_due()
    (hit,) = receiver.of("/wecom")
    payload = json.loads(hit["body"])
    assert payload["msgtype"] == "text"
    assert "http://127.0.0.1:8000/service/requests/1/" in payload["text"]["content"]
    assert payload["text"]["mentioned_mobile_list"] == ["13800000001"]
    robot = Delivery.objects.get(channel="wecom")
    assert (robot.state, robot.recipient, robot.response_code) == ("sent", "张伟", 200)
    assert InboxMessage.objects.filter(user=zhang).count() == 1  # the inbox is always written


def test_a_dingtalk_robot_with_the_right_secret_is_told(receiver, hospital, zhang):
    receiver.dingtalk_secret = "SEC-right"
    GroupRobot.objects.create(
        kind="dingtalk", name="钉钉群", hospital_id=hospital.pk,
        webhook_url=receiver.url("/dingtalk") + "?access_token=t", secret="SEC-right",
    )  # fmt: skip
    preferences_set(user=zhang, choices={"sla_at_risk": ["dingtalk"]})
    tell([zhang], hospital)
    outbox.deliver_due()
    (hit,) = receiver.of("/dingtalk")
    payload = json.loads(hit["body"])
    assert payload["msgtype"] == "markdown"
    assert payload["at"]["atMobiles"] == ["13800000001"]
    assert "@13800000001" in payload["markdown"]["text"]
    assert hit["query"]["access_token"] == "t"
    assert Delivery.objects.get(channel="dingtalk").state == "sent"


def test_a_dingtalk_secret_that_fails_the_signature_is_a_visible_failed_delivery(
    receiver, hospital, zhang, settings
):
    settings.CHANNEL_MAX_ATTEMPTS = 2
    receiver.dingtalk_secret = "SEC-right"
    GroupRobot.objects.create(
        kind="dingtalk", name="钉钉群", hospital_id=hospital.pk,
        webhook_url=receiver.url("/dingtalk"), secret="SEC-wrong",
    )  # fmt: skip
    preferences_set(user=zhang, choices={"sla_at_risk": ["dingtalk"]})
    tell([zhang], hospital)
    assert outbox.deliver_due().delivered == 1  # the outbox event is done; the retry is new
    delivery = Delivery.objects.get(channel="dingtalk")
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "310000" in delivery.last_error
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        outbox.deliver_due()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 2)
    assert "310000" in delivery.last_error


def test_a_robot_answering_500_is_retried_and_sent_once(receiver, hospital, zhang):
    robot = GroupRobot.objects.create(
        kind="wecom", name="ICU", hospital_id=hospital.pk, webhook_url=receiver.url("/wecom-down")
    )
    preferences_set(user=zhang, choices={"sla_at_risk": ["wecom"]})
    tell([zhang], hospital)
    outbox.deliver_due()
    delivery = Delivery.objects.get(channel="wecom")
    assert (delivery.state, delivery.response_code) == ("pending", 500)
    robot.webhook_url = receiver.url("/wecom")
    robot.save()
    outbox.deliver_due()  # not due yet: nothing happens
    assert receiver.of("/wecom") == []
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        outbox.deliver_due()
        outbox.deliver_due()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("sent", 2)
    assert len(receiver.of("/wecom")) == 1


def test_sms_gateway_fills_its_template(receiver, hospital, zhang):
    SmsGateway.objects.create(
        pk=1,
        method="POST",
        url=receiver.url("/sms") + "?to={phone}",
        headers={"Content-Type": "application/json", "X-Key": "k"},
        body='{"mobile": "{phone}", "content": "{text}", "ref": "{id}"}',
    )
    preferences_set(user=zhang, choices={"sla_at_risk": ["sms"]})
    tell([zhang], hospital)
    outbox.deliver_due()
    (hit,) = receiver.of("/sms")
    body = json.loads(hit["body"])
    assert body["mobile"] == "13800000001" == hit["query"]["to"]
    assert body["content"].startswith("SR-2026-000001")
    assert body["ref"] == Delivery.objects.get(channel="sms").key
    assert hit["headers"]["X-Key"] == "k"


def test_an_sms_gateway_answering_5xx_is_retried(receiver, hospital, zhang):
    receiver.status = 503
    SmsGateway.objects.create(pk=1, url=receiver.url("/sms"), body="to={phone}&text={text}")
    preferences_set(user=zhang, choices={"sla_at_risk": ["sms"]})
    tell([zhang], hospital)
    outbox.deliver_due()
    delivery = Delivery.objects.get(channel="sms")
    assert (delivery.state, delivery.response_code) == ("pending", 503)
    receiver.status = 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        outbox.deliver_due()
    delivery.refresh_from_db()
    assert delivery.state == "sent"


def test_an_sms_template_without_the_phone_is_refused(receiver):
    gateway = SmsGateway(pk=1, url=receiver.url("/sms"), body="text={text}")
    with pytest.raises(ValidationError) as refused:
        gateway.full_clean()
    assert "body" in refused.value.message_dict


def test_sms_values_are_escaped_for_where_they_go():
    message = sms_message(
        method="POST",
        url="http://gw/send?to={phone}",
        headers={"Content-Type": "application/json"},
        body='{"text": "{text}"}',
        phone="+86 138",
        text='say "hi"\n',
        key="k",
    )
    assert message.url == "http://gw/send?to=%2B86%20138"
    assert json.loads(message.body) == {"text": 'say "hi"\n'}


def test_preferences_default_to_inbox_and_email(hospital):
    li = UserFactory(username="li", email="li@example.com")
    tell([li], hospital)
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["email", "inbox"]
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize("address", ["169.254.169.254", "10.0.0.1", "127.0.0.1", "224.0.0.1"])
def test_internal_addresses_are_refused_unless_allowed(address, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(ValueError, match="internal"):
        target_address(f"http://{address}/hook")
    settings.WEBHOOK_ALLOWED_HOSTS = [f"{address}/32"]
    assert str(target_address(f"http://{address}/hook")) == address


def test_only_http_and_https_are_used():
    with pytest.raises(ValueError, match="http"):
        target_address("file:///etc/passwd")
    with pytest.raises(ValueError, match="http"):
        target_address("gopher://example.com/")


def test_an_smtp_server_that_hangs_fails_after_the_timeout_and_is_retried(
    settings, hospital, django_capture_on_commit_callbacks
):
    """The SMTP server accepts the connection and never answers: the attempt fails after
    EMAIL_TIMEOUT, the caller is not affected, and the message waits for its retry."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        stop = threading.Event()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.getsockname()
        settings.EMAIL_TIMEOUT = 1
        li = UserFactory(username="li", email="li@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            (message,) = tell([li], hospital)  # the caller's write commits at once
        stop.set()
    assert InboxMessage.objects.filter(pk=message.pk).exists()
    mail = Delivery.objects.get(channel="email")
    assert mail.state == "pending"
    assert "timed out" in mail.last_error.lower() or "timeout" in mail.last_error.lower()
    assert mail.next_attempt_at is not None
