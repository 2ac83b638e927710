"""The demo's duty roster (R-6.2): two service regions (the city with 东海 and 城阳, and
即墨), a weekly day/night rotation in each generating 60 days ahead, one deliberate gap
(a night without a manager in 即墨, shown in red on the roster and told to the managers),
and a pending swap (张伟 offers a shift to 陈磊). Made through the services; a second run
creates nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from customers import services as customers
from customers.models import Hospital, ServiceRegion
from duty.models import Rotation, RotationMember, RotationSlot, Shift, ShiftSwap
from duty.selectors import local_window
from duty.services import duty_gaps_alert, rotation_generate, shift_swap_propose, shift_update

REGIONS = (
    # code, name, hospital keys, engineers in rotation order, manager
    ("qd-city", "青岛市区", ("h1", "h2"), ("engineer1", "engineer2", "engineer3"), "manager"),
    ("qd-jimo", "即墨", ("h3",), ("engineer4", "engineer5", "engineer6"), "manager2"),
)
GAP_REGION = "qd-jimo"
GAP_DAY = 3  # days from today: that night has no manager


def seed_duty(
    *,
    users: Mapping[str, User],
    hospitals: Mapping[str, Hospital],
    created: Counter,
    today: date,
) -> None:
    monday = today - timedelta(days=today.weekday())
    for code, name, hospital_keys, engineers, manager in REGIONS:
        region = ServiceRegion.objects.filter(code=code).first()
        if region is None:
            region = customers.service_region_create(name=name, code=code)
            created["service regions"] += 1
        for key in hospital_keys:
            hospital = hospitals[key]
            if hospital.region_id != region.pk:
                customers.hospital_update(hospital=hospital, region=region)
        rotation = Rotation.objects.filter(region=region).first()
        if rotation is None:
            rotation = _rotation(region, monday, engineers, manager, users)
            created["rotations"] += 1
        # From yesterday, so that last night's shift covers this morning.
        result = rotation_generate(rotation=rotation, days=62, today=today - timedelta(days=1))
        created["duty shifts"] += result.created
    _gap(users, today)
    _swap(users)
    created["roster gap alerts"] += len(duty_gaps_alert())


def _rotation(region, monday, engineers, manager, users) -> Rotation:
    rotation = Rotation.objects.create(
        region=region, name=f"{region.name} 白班/夜班", starts_on=monday, period=7
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
    for position, username in enumerate(engineers):
        RotationMember.objects.create(
            rotation=rotation, role="engineer", user=users[username], position=position
        )
    RotationMember.objects.create(
        rotation=rotation, role="manager", user=users[manager], position=0
    )
    return rotation


def _gap(users, today: date) -> None:
    """The manager's 24-hour shift GAP_DAY days ahead in 即墨 ends at 20:00: a night
    without a manager (once: the shortened shift is not generated again)."""
    region = ServiceRegion.objects.get(code=GAP_REGION)
    start, _end = local_window(region, today + timedelta(days=GAP_DAY), 1)
    shift = (
        Shift.objects.filter(region=region, role="manager", starts_at__gte=start)
        .order_by("starts_at")
        .first()
    )
    if shift is not None and shift.ends_at - shift.starts_at == timedelta(hours=24):
        shift_update(
            shift=shift,
            by=users["manager"],
            ends_at=shift.starts_at + timedelta(hours=12),
            note="演示：本夜无值班经理",
        )


def _swap(users) -> None:
    """张伟 offers one of his shifts of the coming days to 陈磊 (waiting for 陈磊)."""
    zhang, chen = users["engineer1"], users["engineer3"]
    if ShiftSwap.objects.filter(proposed_by=zhang).exists():
        return
    soon = timezone.now() + timedelta(hours=12)
    for shift in Shift.objects.filter(user=zhang, starts_at__gt=soon).order_by("starts_at")[:20]:
        try:
            shift_swap_propose(shift=shift, by=zhang, to_user=chen, note="家里有事，请帮忙顶班")
        except ValidationError:
            continue
        return
