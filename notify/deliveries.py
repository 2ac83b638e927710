"""Sending the deliveries of a notice (issue 13 §2): e-mail, WeCom and DingTalk group
robots and the SMS gateway, one outbox event per notice's messages.

Exactly once, as far as a channel allows it. ``Delivery`` rows are written with the notice
(a unique ``key`` per message, channel and person); ``notify.delivery_due`` carries their
ids (at most ``BATCH`` an event; a retry carries one). The handler runs inside the outbox's
claiming transaction: it locks the rows, skips any already sent, sends each (the e-mails of
a batch over one SMTP connection: a burst of new requests tells five people each), and marks
each sent, all committed together with the outbox's mark. A channel that fails (SMTP
refusing or not answering within EMAIL_TIMEOUT, a robot answering 5xx or ``errcode`` ≠ 0,
the SMS gateway's 5xx) does not raise: the attempt, the response code and the error are
kept on the row, where the request page and the admin show them, and a new outbox event,
due after an exponential backoff, carries that message's next attempt, in the same
transaction; after ``CHANNEL_MAX_ATTEMPTS`` the row is failed. A worker killed after the
peer accepted and before the commit sends the batch again: each e-mail with the same
Message-ID, each SMS with the same {id}.
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime, timedelta
from smtplib import SMTPException, SMTPRecipientsRefused

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.utils import DNS_NAME
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbox
from core.models import OutboxDelivery, OutboxEvent

from .channels import dingtalk_message, robot_answer_check, sms_message, wecom_message
from .models import Channel, Delivery, DeliveryState, SmsGateway
from .outbound import ChannelError, request

DELIVERY_DUE = "notify.delivery_due"
HANDLER = "notify.deliver"
MAX_ERROR = 4000
# Messages per outbox event: enough to share an SMTP connection, few enough that one slow
# channel holds back little else.
BATCH = 20


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def schedule(name: str, payloads: list[dict], *, at: datetime | None = None) -> None:
    """Publish ``payloads`` as outbox events due at ``at`` (now when None)."""
    events = outbox.publish_many(name, payloads)
    if at is not None and events:
        OutboxDelivery.objects.filter(event__in=events).update(next_attempt_at=at)


def deliveries_queue(deliveries: list[Delivery]) -> None:
    ids = [d.pk for d in deliveries]
    schedule(
        DELIVERY_DUE, [{"delivery_ids": ids[n : n + BATCH]} for n in range(0, len(ids), BATCH)]
    )


class Session:
    """What the deliveries of one event share: one SMTP connection, opened on the first
    e-mail. A server that refused the connection is not asked again for the rest of the
    batch (each of those e-mails gets the same error and its own retry)."""

    def __init__(self) -> None:
        self._smtp = None
        self._refused: ChannelError | None = None

    def smtp(self):
        if self._refused is not None:
            raise self._refused
        if self._smtp is None:
            connection = get_connection(fail_silently=False)
            try:
                connection.open()
            except (SMTPException, OSError) as exc:
                self._refused = ChannelError(f"{type(exc).__name__}: {exc}")
                raise self._refused from exc
            self._smtp = connection
        return self._smtp

    def smtp_drop(self) -> None:
        """After an error mid-conversation: the next e-mail starts a new connection."""
        if self._smtp is not None:
            with contextlib.suppress(SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        self.smtp_drop()


def message_id(delivery: Delivery) -> str:
    return f"<delivery.{delivery.pk}.{delivery.created_at:%Y%m%d%H%M%S}@{DNS_NAME}>"


def _text(delivery: Delivery) -> str:
    parts = [delivery.subject, delivery.body, delivery.url]
    return "\n\n".join(p for p in parts if p)


def _send_email(delivery: Delivery, session: Session) -> int | None:
    message = EmailMessage(
        subject=delivery.subject.replace("\n", " "),
        body="\n\n".join(p for p in [delivery.body, delivery.url] if p),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
        headers={"Message-ID": message_id(delivery)},
    )
    connection = session.smtp()
    try:
        connection.send_messages([message])
    except (SMTPException, OSError) as exc:
        if not isinstance(exc, SMTPRecipientsRefused):
            session.smtp_drop()
        raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
    return None


def _send_robot(delivery: Delivery, session: Session) -> int | None:
    robot = delivery.robot
    if robot is None or not robot.active:
        raise ChannelError(_("The group robot was removed or switched off."))
    mobiles = [m for m in delivery.address.split(",") if m]
    if delivery.channel == Channel.WECOM:
        message = wecom_message(url=robot.webhook_url, text=_text(delivery), mobiles=mobiles)
    else:
        link = f"\n\n[{_('Open')}]({delivery.url})" if delivery.url else ""
        message = dingtalk_message(
            url=robot.webhook_url,
            secret=robot.secret,
            title=delivery.subject,
            text=f"#### {delivery.subject}\n\n{delivery.body}{link}",
            mobiles=mobiles,
            timestamp_ms=int(time.time() * 1000),
        )
    response = request(message.method, message.url, body=message.body, headers=message.headers)
    robot_answer_check(response)
    return response.status


def _send_sms(delivery: Delivery, session: Session) -> int | None:
    gateway = SmsGateway.objects.filter(pk=1, active=True).first()
    if gateway is None:
        raise ChannelError(_("No SMS gateway is set up."))
    short = f"{delivery.subject} {delivery.url}".strip()
    message = sms_message(
        method=gateway.method,
        url=gateway.url,
        headers=gateway.headers,
        body=gateway.body,
        phone=delivery.address,
        text=short,
        key=delivery.key,
    )
    response = request(message.method, message.url, body=message.body, headers=message.headers)
    return response.status


SENDERS = {
    Channel.EMAIL: _send_email,
    Channel.WECOM: _send_robot,
    Channel.DINGTALK: _send_robot,
    Channel.SMS: _send_sms,
}


def delivery_send(event: OutboxEvent) -> None:
    """The outbox handler of ``notify.delivery_due`` (``delivery_id``: an event written
    before the batches)."""
    ids = event.payload.get("delivery_ids") or [event.payload["delivery_id"]]
    pending = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("robot")
        .filter(pk__in=ids, state=DeliveryState.PENDING)  # sent already: never twice
        .order_by("pk")
    )
    session = Session()
    attempted: list[Delivery] = []
    try:
        for delivery in pending:
            _attempt(delivery, session)
            attempted.append(delivery)
    finally:
        session.close()
        _attempts_save(attempted)


ATTEMPT_FIELDS = ["attempts", "response_code", "last_error", "state", "next_attempt_at", "sent_at"]


def _attempts_save(attempted: list[Delivery]) -> None:
    """In the claiming transaction (a crash undoes them all): the messages sent in one
    UPDATE per response code (the e-mails of a batch: one), stamped with the batch's last
    sending time; each failure on its own. (A ``bulk_update`` of the batch builds a CASE
    per field and row: it took half the time of sending five e-mails.)"""
    sent: dict[int | None, list[Delivery]] = {}
    for delivery in attempted:
        if delivery.state == DeliveryState.SENT:
            sent.setdefault(delivery.response_code, []).append(delivery)
        else:
            delivery.save(update_fields=ATTEMPT_FIELDS)
    for code, rows in sent.items():
        Delivery.objects.filter(pk__in=[d.pk for d in rows]).update(
            attempts=F("attempts") + 1,
            response_code=code,
            last_error="",
            state=DeliveryState.SENT,
            next_attempt_at=None,
            sent_at=max(d.sent_at or timezone.now() for d in rows),
        )


def _attempt(delivery: Delivery, session: Session) -> None:
    now = timezone.now()
    delivery.attempts += 1
    try:
        delivery.response_code = SENDERS[Channel(delivery.channel)](delivery, session)
    except ChannelError as exc:
        delivery.response_code = exc.status
        delivery.last_error = str(exc)[:MAX_ERROR]
        if delivery.attempts >= _setting("CHANNEL_MAX_ATTEMPTS", 10):
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + outbox.backoff(
                delivery.attempts,
                base=timedelta(seconds=_setting("CHANNEL_RETRY_BASE_SECONDS", 30)),
                cap=timedelta(seconds=_setting("CHANNEL_RETRY_CAP_SECONDS", 3600)),
            )
            schedule(DELIVERY_DUE, [{"delivery_ids": [delivery.pk]}], at=delivery.next_attempt_at)
    else:
        delivery.state = DeliveryState.SENT
        delivery.sent_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.last_error = ""


def deliveries_retry(*, deliveries) -> int:
    """Try failed or waiting deliveries again now (the admin's action); a sent one stays."""
    rows = list(deliveries.exclude(state=DeliveryState.SENT).exclude(channel=Channel.INBOX))
    for row in rows:
        row.state = DeliveryState.PENDING
        row.next_attempt_at = timezone.now()
        row.save(update_fields=["state", "next_attempt_at"])
    deliveries_queue(rows)
    return len(rows)
