"""Writes of the inbox: tell people something (an inbox row now, an e-mail through the
outbox), and mark what they have read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .deliveries import deliveries_queue
from .kinds import KINDS
from .models import (
    DEFAULT_CHANNELS,
    Channel,
    Delivery,
    DeliveryState,
    GroupRobot,
    InboxMessage,
    NotificationPreference,
    SmsGateway,
)


@dataclass(frozen=True)
class Notice:
    """One thing to tell: an inbox row for each user and the channels each chose for
    ``kind`` (e-mail by default), and an e-mail only for ``also_email`` (people without an
    account, such as a hospital's contact).

    ``about`` is the record the notice concerns (the request page lists who was told of
    it); ``hospital_id`` the hospital whose group robots may hear it."""

    users: Sequence[User]
    kind: str
    subject: str
    body: str
    url: str
    dedupe_key_prefix: str
    also_email: Sequence[str] = field(default_factory=tuple)
    about: models.Model | None = None
    hospital_id: int | None = None


def _dedupe_key(prefix: str, user: User) -> str:
    return f"{prefix}:{user.pk}"


def absolute_url(url: str) -> str:
    """A link in a message leaves the site: it must carry SITE_URL."""
    if url.startswith("/") and settings.SITE_URL:
        return settings.SITE_URL + url
    return url


def _about(notice: Notice) -> dict:
    if notice.about is None:
        return {}
    return {"about_type": notice.about._meta.label_lower, "about_id": notice.about.pk}


def _delivery(notice: Notice, key: str, channel: str, **fields) -> Delivery:
    return Delivery(
        key=key[:200],
        channel=channel,
        kind=notice.kind,
        subject=notice.subject.replace("\n", " ")[:255],
        body=notice.body,
        url=absolute_url(notice.url),
        **_about(notice),
        **fields,
    )


def _chosen_channels(users: Iterable[User], kinds: Iterable[str]) -> dict[tuple[int, str], set]:
    rows = NotificationPreference.objects.filter(
        user__in=[u.pk for u in users], kind__in=set(kinds)
    ).values_list("user_id", "kind", "channels")
    return {(user_id, kind): set(channels) | {Channel.INBOX} for user_id, kind, channels in rows}


@transaction.atomic(savepoint=False)  # inside the caller's transaction: all or nothing
def notices_send(notices: Iterable[Notice], *, now: datetime | None = None) -> list[InboxMessage]:
    """Write the inbox rows of ``notices`` and, in the same transaction, a ``Delivery`` row
    per other channel each person chose for the kind (e-mail unless they said otherwise;
    the group robots of the notice's hospital once per notice, naming everyone who chose
    them), each with its outbox event: the worker sends them once this commits, and tries
    again while a channel is down (``notify.deliveries``).

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
    chosen = _chosen_channels((u for _n, u in wanted.values()), (n.kind for n in notices))
    # The robots and the SMS gateway are read only when someone chose them.
    picked = set().union(*chosen.values()) if chosen else set()
    robot_kinds = {Channel.WECOM, Channel.DINGTALK} & picked
    robots = (
        _robots_by_hospital({n.hospital_id for n in notices if n.hospital_id})
        if robot_kinds
        else {}
    )
    sms_ready = Channel.SMS in picked and SmsGateway.objects.filter(pk=1, active=True).exists()
    rows: list[InboxMessage] = []
    deliveries: list[Delivery] = []
    robot_audience: dict[tuple[int, int], list[User]] = {}
    for key, (notice, user) in wanted.items():
        if key in delivered:
            continue
        channels = chosen.get((user.pk, notice.kind), set(DEFAULT_CHANNELS))
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
        name = user.get_full_name() or user.username
        deliveries.append(
            _delivery(
                notice, f"{key}:inbox", Channel.INBOX, user=user, recipient=name,
                state=DeliveryState.SENT, attempts=1, created_at=now, sent_at=now,
            )
        )  # fmt: skip
        if Channel.EMAIL in channels and user.email:
            deliveries.append(
                _delivery(notice, f"{key}:email", Channel.EMAIL, user=user, recipient=name,
                          address=user.email, created_at=now)
            )  # fmt: skip
        if Channel.SMS in channels and user.phone and sms_ready:
            deliveries.append(
                _delivery(notice, f"{key}:sms", Channel.SMS, user=user, recipient=name,
                          address=user.phone, created_at=now)
            )  # fmt: skip
        for robot in robots.get(notice.hospital_id or 0, []):
            if robot.kind in channels:
                robot_audience.setdefault((id(notice), robot.pk), []).append(user)
    by_id = {id(n): n for n in notices}
    robot_by_pk = {r.pk: r for rs in robots.values() for r in rs}
    for (notice_id, robot_pk), users in robot_audience.items():
        notice, robot = by_id[notice_id], robot_by_pk[robot_pk]
        deliveries.append(
            _delivery(
                notice, f"{notice.dedupe_key_prefix}:robot:{robot.pk}", robot.kind, robot=robot,
                recipient="、".join(u.get_full_name() or u.username for u in users)[:255],
                address=",".join(u.phone for u in users if u.phone)[:255], created_at=now,
            )
        )  # fmt: skip
    for notice in notices:
        for address in dict.fromkeys(notice.also_email):
            deliveries.append(
                _delivery(notice, f"{notice.dedupe_key_prefix}:mail:{address}", Channel.EMAIL,
                          recipient=address, address=address, created_at=now)
            )  # fmt: skip
    taken = set(
        Delivery.objects.filter(key__in=[d.key for d in deliveries]).values_list("key", flat=True)
    )
    deliveries = [d for d in deliveries if d.key not in taken]
    # A second sender racing us on the same key fails here, on the unique dedupe_key.
    InboxMessage.objects.bulk_create(rows)
    Delivery.objects.bulk_create(deliveries)
    deliveries_queue([d for d in deliveries if d.state == DeliveryState.PENDING])
    return rows


def _robots_by_hospital(hospital_ids: set[int]) -> dict[int, list[GroupRobot]]:
    robots: dict[int, list[GroupRobot]] = {}
    if hospital_ids:
        for robot in GroupRobot.objects.filter(hospital_id__in=hospital_ids, active=True):
            robots.setdefault(robot.hospital_id or 0, []).append(robot)
    return robots


def notify_users(
    *,
    users: Iterable[User],
    kind: str,
    subject: str,
    body: str,
    url: str,
    dedupe_key_prefix: str,
    also_email: Sequence[str] = (),
    about: models.Model | None = None,
    hospital_id: int | None = None,
) -> list[InboxMessage]:
    """Tell ``users`` one thing: an inbox row each, and their chosen channels (e-mail by
    default) once the transaction commits."""
    notice = Notice(
        users=list(users),
        kind=kind,
        subject=subject,
        body=body,
        url=url,
        dedupe_key_prefix=dedupe_key_prefix,
        also_email=tuple(also_email),
        about=about,
        hospital_id=hospital_id,
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


# --- preferences --------------------------------------------------------------------------
CHOOSABLE = (Channel.EMAIL, Channel.WECOM, Channel.DINGTALK, Channel.SMS)


@transaction.atomic
def preferences_set(*, user: User, choices: Mapping[str, Iterable[str]]) -> None:
    """Store the channels ``user`` wants per kind; the inbox is always on. An unknown kind
    or channel is refused on its field and nothing is stored."""
    for kind, channels in choices.items():
        if kind not in KINDS:
            raise ValidationError(
                {"kind": _("Unknown kind of notification: %(kind)s.") % {"kind": kind}}
            )
        bad = [c for c in channels if c not in Channel.values]
        if bad:
            raise ValidationError(
                {"channels": _("Unknown channels: %(channels)s.") % {"channels": ", ".join(bad)}}
            )
    for kind, channels in choices.items():
        NotificationPreference.objects.update_or_create(
            user=user,
            kind=kind,
            defaults={"channels": [Channel.INBOX, *(c for c in CHOOSABLE if c in set(channels))]},
        )


@transaction.atomic
def sms_gateway_save(
    *, method: str, url: str, headers: dict, body: str, active: bool
) -> SmsGateway:
    """Set the SMS gateway's request template (refused unless it carries {phone}, {text})."""
    gateway = SmsGateway.objects.filter(pk=1).first() or SmsGateway(pk=1)
    gateway.method, gateway.url, gateway.headers, gateway.body = method, url, headers, body
    gateway.active = active
    gateway.full_clean()
    gateway.save()
    return gateway
