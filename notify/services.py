"""Writes of the inbox: tell people something (an inbox row now, an e-mail through the
outbox), and mark what they have read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .emails import Email, emails_queue
from .models import InboxMessage


@dataclass(frozen=True)
class Notice:
    """One thing to tell: an inbox row and an e-mail for each user, and an e-mail only for
    ``also_email`` (people without an account, such as a hospital's contact)."""

    users: Sequence[User]
    kind: str
    subject: str
    body: str
    url: str
    dedupe_key_prefix: str
    also_email: Sequence[str] = field(default_factory=tuple)


def _dedupe_key(prefix: str, user: User) -> str:
    return f"{prefix}:{user.pk}"


def _absolute(url: str) -> str:
    if url.startswith("/") and settings.SITE_URL:
        return settings.SITE_URL + url
    return url


def _email(notice: Notice, address: str) -> Email:
    body = notice.body
    if notice.url:
        body = f"{body}\n\n{_absolute(notice.url)}"
    # One line: a newline in a subject would be a header injection.
    return Email(to=address, subject=notice.subject.replace("\n", " "), body=body)


@transaction.atomic
def notices_send(notices: Iterable[Notice], *, now: datetime | None = None) -> list[InboxMessage]:
    """Write the inbox rows of ``notices`` and, in the same transaction, the e-mails to
    everyone as outbox rows: the worker sends them once this commits, and tries again while
    the mail server refuses (``notify.emails``).

    A notice already delivered to a user (same ``dedupe_key_prefix``) is skipped for that
    user, so calling this twice tells nobody twice.
    """
    now = now or timezone.now()
    notices = list(notices)
    wanted: dict[str, tuple[Notice, User]] = {}
    for notice in notices:
        for user in notice.users:
            wanted.setdefault(_dedupe_key(notice.dedupe_key_prefix, user), (notice, user))
    delivered = set(
        InboxMessage.objects.filter(dedupe_key__in=list(wanted)).values_list(
            "dedupe_key", flat=True
        )
    )
    rows, emails = [], []
    for key, (notice, user) in wanted.items():
        if key in delivered:
            continue
        rows.append(
            InboxMessage(
                user=user,
                kind=notice.kind,
                subject=notice.subject[:255],
                body=notice.body,
                url=notice.url,
                created_at=now,
                dedupe_key=key,
            )
        )
        if user.email:
            emails.append(_email(notice, user.email))
    for notice in notices:
        emails.extend(_email(notice, address) for address in dict.fromkeys(notice.also_email))
    # A second sender racing us on the same key fails here, on the unique dedupe_key.
    InboxMessage.objects.bulk_create(rows)
    emails_queue(emails)
    return rows


def notify_users(
    *,
    users: Iterable[User],
    kind: str,
    subject: str,
    body: str,
    url: str,
    dedupe_key_prefix: str,
    also_email: Sequence[str] = (),
) -> list[InboxMessage]:
    """Tell ``users`` one thing: an inbox row each, and an e-mail each (to those with an
    address) once the transaction commits."""
    notice = Notice(
        users=list(users),
        kind=kind,
        subject=subject,
        body=body,
        url=url,
        dedupe_key_prefix=dedupe_key_prefix,
        also_email=tuple(also_email),
    )
    return notices_send([notice])


def inbox_message_mark_read(*, message: InboxMessage, now: datetime | None = None) -> None:
    if message.read_at is None:
        message.read_at = now or timezone.now()
        InboxMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(
            read_at=message.read_at
        )


def inbox_mark_all_read(*, user: User, now: datetime | None = None) -> int:
    return InboxMessage.objects.for_user(user).unread().update(read_at=now or timezone.now())
