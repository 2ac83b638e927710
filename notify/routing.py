"""Who is told of what: routing as data (issue 13 §2).

An app that has something to tell registers a *routed kind* (its outbox event name, such
as ``service.request_opened``) with the *audiences* that may hear it ("the on-duty
engineers of the request's region", "the department's contact" …), each a function from
the event's subject (the request, the statement, the visit) to people. Which audiences are
on for a kind is data: one ``NotificationRoute`` row per (kind, audience), seeded with the
defaults by a migration and switched in the admin. notify knows no app: the resolvers live
in the apps that own the records, registered from their ``AppConfig.ready``.

``tell`` is called by the app's outbox handler, in the worker's transaction: it resolves
the audiences that are on, merges them (a person in two audiences is told once) and writes
one ``Notice`` (the inbox row and a ``Delivery`` per channel the person chose). Keyed by
the outbox event, so a redelivered event tells nobody twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.functional import Promise

from accounts.models import User

from .kinds import register as kind_register
from .models import NotificationRoute
from .services import Notice, notices_send


@dataclass(frozen=True)
class Recipients:
    """People with an account (told on their chosen channels) and addresses without one
    (a hospital's contact: e-mail only)."""

    users: Sequence[User] = ()
    emails: Sequence[str] = ()


Resolver = Callable[[Any], Recipients]


@dataclass(frozen=True)
class Audience:
    key: str
    label: Promise
    resolve: Resolver
    default: bool = True


@dataclass(frozen=True)
class RoutedKind:
    key: str
    label: Promise
    audiences: dict[str, Audience] = field(default_factory=dict)


_KINDS: dict[str, RoutedKind] = {}


def register(kind: str, label: Promise, audiences: Iterable[Audience]) -> None:
    """Make ``kind`` routable to ``audiences`` (and choosable on the preferences page)."""
    _KINDS[kind] = RoutedKind(kind, label, {a.key: a for a in audiences})
    kind_register(kind, label)


def routed_kinds() -> dict[str, RoutedKind]:
    return dict(_KINDS)


def routes_seed(**_kwargs) -> int:
    """One row per registered (kind, audience) with its default, so that the admin lists
    every route; rows an administrator changed are left alone (``post_migrate``)."""
    rows = [
        NotificationRoute(kind=kind.key, audience=audience.key, active=audience.default)
        for kind in _KINDS.values()
        for audience in kind.audiences.values()
    ]
    return len(NotificationRoute.objects.bulk_create(rows, ignore_conflicts=True))


def audience_choices() -> list[tuple[str, str]]:
    """Every audience key any kind knows, for the admin's choices."""
    seen: dict[str, Promise] = {}
    for kind in _KINDS.values():
        for audience in kind.audiences.values():
            seen.setdefault(audience.key, audience.label)
    return [(key, str(label)) for key, label in seen.items()]


def active_audiences(kind: str) -> list[Audience]:
    """The audiences switched on for ``kind``: by its rows, and an audience without a row
    (not seeded yet) by its default."""
    routed = _KINDS.get(kind)
    if routed is None:
        return []
    rows = dict(NotificationRoute.objects.filter(kind=kind).values_list("audience", "active"))
    return [
        audience for key, audience in routed.audiences.items() if rows.get(key, audience.default)
    ]


def is_active(kind: str, audience: str) -> bool:
    return any(a.key == audience for a in active_audiences(kind))


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    url: str
    about: models.Model | None = None
    hospital_id: int | None = None


def recipients_for(kind: str, subject: Any) -> Recipients:
    """The people of every active audience of ``kind`` for ``subject``, each once, active
    accounts only."""
    users: dict[int, User] = {}
    emails: dict[str, None] = {}
    for audience in active_audiences(kind):
        found = audience.resolve(subject)
        for user in found.users:
            if user.is_active:
                users.setdefault(user.pk, user)
        for address in found.emails:
            if address:
                emails.setdefault(address.strip().lower(), None)
    known = {u.email.strip().lower() for u in users.values() if u.email}
    return Recipients(list(users.values()), [a for a in emails if a not in known])


def tell(*, kind: str, subject: Any, message: Message, key: str, exclude: Iterable[int] = ()):
    """Tell the active audiences of ``kind`` about ``subject``; ``key`` (the outbox
    event) makes a second call for the same event tell nobody twice."""
    found = recipients_for(kind, subject)
    skip = set(exclude)
    notice = Notice(
        users=[u for u in found.users if u.pk not in skip],
        kind=kind,
        subject=message.subject,
        body=message.body,
        url=message.url,
        dedupe_key_prefix=f"{kind}:{key}",
        also_email=tuple(found.emails),
        about=message.about,
        hospital_id=message.hospital_id,
    )
    if notice.users or notice.also_email:
        notices_send([notice])
    return notice
