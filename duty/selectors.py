"""Reads of the duty roster: who is on duty now for a hospital, a region's shifts, the
roster gaps (fed to the pure ``duty.gaps``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import User
from customers.models import Hospital, ServiceRegion

from .gaps import Gap, region_gaps
from .models import Shift, ShiftRole

HORIZON = timedelta(days=60)
# Gaps are looked for this far back as well, so that an uncovered stretch that began
# yesterday keeps its real start (and its identity) while it lasts.
LOOKBACK = timedelta(days=60)
ROLES = (ShiftRole.ENGINEER.value, ShiftRole.MANAGER.value)


@dataclass(frozen=True)
class OnDuty:
    region: ServiceRegion
    at: datetime
    engineers: list[User] = field(default_factory=list)
    manager: User | None = None
    shifts: list[Shift] = field(default_factory=list)


def on_duty(*, hospital: Hospital, at: datetime | None = None) -> OnDuty:
    """The engineers and the manager on duty at ``at`` (default now) in the hospital's
    service region."""
    at = at or timezone.now()
    shifts = list(
        Shift.objects.filter(region_id=hospital.region_id, starts_at__lte=at, ends_at__gt=at)
        .select_related("user")
        .order_by("role", "starts_at", "pk")
    )
    managers = [s.user for s in shifts if s.role == ShiftRole.MANAGER]
    return OnDuty(
        region=hospital.region,
        at=at,
        engineers=[s.user for s in shifts if s.role == ShiftRole.ENGINEER],
        manager=managers[0] if managers else None,
        shifts=shifts,
    )


def local_window(region: ServiceRegion, first: date, days: int) -> tuple[datetime, datetime]:
    zone = ZoneInfo(region.time_zone)
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(first + timedelta(days=days), time.min, tzinfo=zone)
    return start, end


def region_shifts(*, region: ServiceRegion, start: datetime, end: datetime) -> list[Shift]:
    return list(
        Shift.objects.filter(region=region)
        .overlapping(start, end)
        .select_related("user")
        .order_by("starts_at", "role", "pk")
    )


def gaps_in(*, region_ids: list[int], start: datetime, end: datetime) -> dict[int, list[Gap]]:
    """The gaps of each region in ``[start, end)``, one query for all regions."""
    intervals: dict[int, dict[str, list[tuple[datetime, datetime]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    rows = (
        Shift.objects.filter(region_id__in=region_ids)
        .overlapping(start, end)
        .values_list("region_id", "role", "starts_at", "ends_at")
    )
    for region_id, role, starts_at, ends_at in rows.iterator(chunk_size=5000):
        intervals[region_id][role].append((starts_at, ends_at))
    return {
        region_id: region_gaps(
            region_id=region_id, window=(start, end), shifts=intervals[region_id], roles=ROLES
        )
        for region_id in region_ids
    }


def roster_gaps(
    *, now: datetime | None = None, regions: list[ServiceRegion] | None = None
) -> dict[int, list[Gap]]:
    """Per region (default: every region with a hospital), the gaps between now and 60
    days ahead (each with its real start when it began in the last 60 days)."""
    now = now or timezone.now()
    if regions is None:
        # A region without a hospital serves nobody: its roster may stay empty.
        regions = list(ServiceRegion.objects.filter(hospitals__isnull=False).distinct())
    region_ids = [r.pk for r in regions]
    found = gaps_in(region_ids=region_ids, start=now - LOOKBACK, end=now + HORIZON)
    return {
        region_id: [gap for gap in gaps if gap.ends_at > now] for region_id, gaps in found.items()
    }


def my_shifts(*, user: User, since: datetime | None = None, limit: int = 60) -> list[Shift]:
    since = since or timezone.now()
    return list(
        Shift.objects.filter(user=user, ends_at__gt=since)
        .select_related("region")
        .order_by("starts_at", "pk")[:limit]
    )


def next_shift(*, user: User, now: datetime | None = None) -> Shift | None:
    """The user's shift going on now or the next one (for a role home page)."""
    found = my_shifts(user=user, since=now, limit=1)
    return found[0] if found else None
