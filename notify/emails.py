"""E-mail through the outbox: each message is an outbox event ("notify.email_queued")
written with the inbox rows, and the worker sends it (``email_send``, registered in
``NotifyConfig.ready``).

One event per message, so a refused address is retried alone and a retry never sends again
what already went. The payload is the message itself (recipients, subject, body) as it was
worded when the notice was decided: the recipients of ``also_email`` have no row to read it
back from, and a later edit of a name must not change an alert already given.

Guarantee (``core.outbox``): a message that the mail server accepted is marked sent in the
same commit; a worker that dies between the two sends it again. Its Message-ID comes from the
event, so the second copy is the same message, which many mail clients show once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.utils import DNS_NAME

from core import outbox
from core.models import OutboxEvent

EMAIL_QUEUED = "notify.email_queued"
HANDLER = "notify.send_email"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def emails_queue(emails: Iterable[Email]) -> None:
    """Write one outbox event per message in the caller's transaction."""
    outbox.publish_many(
        EMAIL_QUEUED,
        [{"to": [e.to], "subject": e.subject, "body": e.body} for e in emails],
    )


def message_id(event: OutboxEvent) -> str:
    """The same for every attempt of one event; another installation's event of the same
    number differs by its creation time."""
    return f"<outbox.{event.pk}.{event.created_at:%Y%m%d%H%M%S}@{DNS_NAME}>"


def email_send(event: OutboxEvent) -> None:
    """Send the message of ``event``; a refusal raises, and the outbox tries again."""
    payload = event.payload
    message = EmailMessage(
        subject=payload["subject"],
        body=payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(payload["to"]),
        headers={"Message-ID": message_id(event)},
    )
    with get_connection(fail_silently=False) as connection:
        connection.send_messages([message])
