"""Test helpers of the duty roster: regions, people and shifts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import factory

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.models import ServiceRegion
from duty.models import Rotation, RotationMember, RotationSlot, Shift


class ServiceRegionFactory(factory.django.DjangoModelFactory[ServiceRegion]):
    class Meta:
        model = ServiceRegion

    name = factory.Sequence(lambda n: f"Region {n}")
    code = factory.Sequence(lambda n: f"region-{n}")
    time_zone = "Asia/Shanghai"


def at(text: str) -> datetime:
    """'2026-02-17 08:00' in Shanghai as aware UTC."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def shift(region, role, user, start: str, end: str, **kwargs) -> Shift:
    return Shift.objects.create(
        region=region, role=role, user=user, starts_at=at(start), ends_at=at(end), **kwargs
    )


def day_night_rotation(region, *, engineers, managers, starts_on, period=7) -> Rotation:
    """Engineers: day 08:00-20:00 and night 20:00-08:00 (next person at night); managers:
    24 h from 08:00."""
    rotation = Rotation.objects.create(
        region=region, name=f"{region.name} 24/7", starts_on=starts_on, period=period
    )
    RotationSlot.objects.create(
        rotation=rotation, role="engineer", start_time=time(8), duration=timedelta(hours=12)
    )
    RotationSlot.objects.create(
        rotation=rotation,
        role="engineer",
        start_time=time(20),
        duration=timedelta(hours=12),
        offset=1,
    )
    RotationSlot.objects.create(
        rotation=rotation, role="manager", start_time=time(8), duration=timedelta(hours=24)
    )
    for role, people in (("engineer", engineers), ("manager", managers)):
        for position, user in enumerate(people):
            RotationMember.objects.create(
                rotation=rotation, role=role, user=user, position=position
            )
    return rotation


def engineer(**kwargs):
    return vendor_user(VendorRole.ENGINEER, **kwargs)


def manager(**kwargs):
    return vendor_user(VendorRole.MANAGER, **kwargs)
