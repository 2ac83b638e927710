"""Reads of the calendar: whose calendar a user may look at or subscribe to, and the
entries of a page or a feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User, VendorRole
from core.agenda import CalendarEntry
from core.timeutil import local_today
from customers.models import Hospital, HospitalRole

from .models import CalendarFeed, FeedScope
from .sources import collect

FEED_DAYS_BEFORE = 30
FEED_DAYS_AFTER = 180
# Whose calendar is an engineer's: the people who do visits and give training (issue 4
# §3: the lecturer is a service manager or an engineer).
ENGINEER_ROLES = (VendorRole.ENGINEER, VendorRole.MANAGER)


def engineers() -> QuerySet[User]:
    return User.objects.filter(is_active=True, vendor_role__in=ENGINEER_ROLES).order_by(
        "last_name", "first_name", "username"
    )


def own_hospital(user: Any) -> Hospital | None:
    """The hospital a hospital user belongs to (None for vendor staff and others)."""
    if not user.is_authenticated or user.is_vendor_staff:
        return None
    membership = getattr(user, "hospital_membership", None)
    return membership.hospital if membership is not None else None


@dataclass(frozen=True)
class FeedTargets:
    engineers: QuerySet[User]
    hospitals: QuerySet[Hospital]

    @property
    def scopes(self) -> list[str]:
        found = []
        if self.engineers.exists():
            found.append(FeedScope.ENGINEER.value)
        if self.hospitals.exists():
            found.append(FeedScope.HOSPITAL.value)
        return found


def feed_targets(user: Any) -> FeedTargets:
    """Whose calendar ``user`` may subscribe to: an engineer his own; a manager or an
    admin any engineer's and any hospital's; an equipment administrator his hospital's."""
    no_users, no_hospitals = User.objects.none(), Hospital.objects.none()
    if not user.is_authenticated or not user.is_active:
        return FeedTargets(no_users, no_hospitals)
    role = user.effective_vendor_role
    if role in (VendorRole.ADMIN, VendorRole.MANAGER):
        return FeedTargets(engineers(), Hospital.objects.order_by("name"))
    if role == VendorRole.ENGINEER:
        return FeedTargets(engineers().filter(pk=user.pk), no_hospitals)
    membership = getattr(user, "hospital_membership", None)
    if not role and membership is not None and membership.role == HospitalRole.EQUIPMENT_ADMIN:
        return FeedTargets(no_users, Hospital.objects.filter(pk=membership.hospital_id))
    return FeedTargets(no_users, no_hospitals)


def may_subscribe(user: Any, *, scope: str, target_id: int | None) -> bool:
    if target_id is None:
        return False
    targets = feed_targets(user)
    if scope == FeedScope.ENGINEER:
        return targets.engineers.filter(pk=target_id).exists()
    if scope == FeedScope.HOSPITAL:
        return targets.hospitals.filter(pk=target_id).exists()
    return False


def feeds_of(user: Any) -> QuerySet[CalendarFeed]:
    return CalendarFeed.objects.filter(owner=user).select_related("engineer", "hospital")


def feed_language(owner: Any) -> str:
    """The language of a feed's titles: the owner's preference where users have one (they
    do not yet), else the site's default (zh-hans)."""
    preference = getattr(owner, "language", "") or ""
    return preference if preference in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def feed_time_zone(feed: CalendarFeed) -> str:
    """A hospital's feed speaks its zone; an engineer's the vendor's default zone."""
    if feed.hospital_id is not None:
        return feed.hospital.time_zone  # type: ignore[union-attr]
    return settings.DEFAULT_HOSPITAL_TIME_ZONE


def feed_period(feed: CalendarFeed) -> tuple[date, date]:
    today = local_today(feed_time_zone(feed))
    return today - timedelta(days=FEED_DAYS_BEFORE), today + timedelta(days=FEED_DAYS_AFTER)


def feed_entries(feed: CalendarFeed) -> list[CalendarEntry]:
    """What the feed shows now: what its owner may see, of its engineer or hospital. An
    owner who may no longer subscribe to that calendar (another role, another hospital,
    deactivated) gets an empty feed."""
    if not may_subscribe(feed.owner, scope=feed.scope, target_id=feed.target_id):
        return []
    start, end = feed_period(feed)
    owner = feed.owner
    return collect(
        start=start,
        end=end,
        visible_to=owner,
        engineer_id=feed.engineer_id if feed.scope == FeedScope.ENGINEER else None,
        hospital_id=feed.hospital_id if feed.scope == FeedScope.HOSPITAL else None,
    )
