"""Writes about calendar feeds: create one (its secret shown once), revoke it, and find a
feed by the token in its address (issue 4 §5)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Hospital

from .models import CalendarFeed, FeedScope
from .selectors import may_subscribe

TOKEN_PREFIX = "cal_"  # noqa: S105 (a label, not a secret)
TOUCH_EVERY_SECONDS = 60


def _hash(raw_token: str) -> str:
    # 256 random bits: a fast hash is enough (no password stretching), as for API tokens.
    return hashlib.sha256(raw_token.encode()).hexdigest()


def _default_name(scope: str, engineer: User | None, hospital: Hospital | None) -> str:
    if scope == FeedScope.ENGINEER:
        return _("%(engineer)s: visits and training") % {"engineer": engineer}
    return _("%(hospital)s: visits and training") % {"hospital": hospital}


def calendar_feed_create(
    *,
    owner: User,
    scope: str,
    engineer: User | None = None,
    hospital: Hospital | None = None,
    name: str = "",
    submission_key: str = "",
) -> tuple[CalendarFeed, str | None]:
    """Create a feed and return it with its secret token; the token is never stored.

    The same ``submission_key`` twice (a double tap, a resent form) creates nothing and
    returns the first feed with ``None``: its secret was shown once already."""
    submission_key = submission_key.strip()[:64]
    if submission_key:
        earlier = CalendarFeed.objects.filter(owner=owner, submission_key=submission_key).first()
        if earlier is not None:
            return earlier, None
    target: User | Hospital | None
    if scope == FeedScope.ENGINEER:
        hospital = None
        target_field, target = "engineer", engineer
    elif scope == FeedScope.HOSPITAL:
        engineer = None
        target_field, target = "hospital", hospital
    else:
        raise ValidationError({"scope": _("Choose whose calendar the feed shows.")})
    if target is None:
        raise ValidationError({target_field: _("This field is required.")})
    if not may_subscribe(owner, scope=scope, target_id=target.pk):
        raise ValidationError({target_field: _("You may not subscribe to this calendar.")})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    feed = CalendarFeed(
        owner=owner,
        scope=scope,
        engineer=engineer,
        hospital=hospital,
        name=name.strip()[:100] or _default_name(scope, engineer, hospital)[:100],
        prefix=raw[:10],
        token_hash=_hash(raw),
        submission_key=submission_key,
    )
    try:
        with transaction.atomic():
            feed.save()
    except IntegrityError:
        # Two copies of one submission raced past the check above: the first one won.
        earlier = CalendarFeed.objects.filter(owner=owner, submission_key=submission_key).first()
        if submission_key and earlier is not None:
            return earlier, None
        raise
    return feed, raw


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed) -> CalendarFeed:
    """Revoke a feed: its address answers 404 from now on. Revoking twice changes nothing."""
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
            revoked_at=feed.revoked_at
        )
    return feed


def calendar_feed_by_token(*, raw_token: str, now: Any = None) -> CalendarFeed | None:
    """The active feed of a token, or None (unknown and revoked alike); notes the use."""
    if not raw_token.startswith(TOKEN_PREFIX):
        return None
    feed = (
        CalendarFeed.objects.active()
        .select_related("owner", "engineer", "hospital")
        .filter(token_hash=_hash(raw_token))
        .first()
    )
    if feed is None:
        return None
    now = now or timezone.now()
    # Calendar apps poll every few minutes: touch the row at most once a minute.
    if feed.last_used_at is None or (now - feed.last_used_at).total_seconds() > TOUCH_EVERY_SECONDS:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
        feed.last_used_at = now
    return feed
