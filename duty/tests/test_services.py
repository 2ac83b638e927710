"""The roster's writes (R-6.2): refusals with their field, generation, swaps, alerts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from customers.tests.factories import HospitalFactory
from duty import services
from duty.models import GapAlert, Shift, ShiftSwap, SwapState
from notify.models import InboxMessage

from .factories import (
    ServiceRegionFactory,
    at,
    day_night_rotation,
    engineer,
    manager,
    shift,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = ServiceRegionFactory(name="青岛")
    HospitalFactory(region=region)
    return region


@pytest.fixture
def boss():
    return manager(username="boss")


def _create(region, user, start, end, by, role="engineer"):
    return services.shift_create(
        region=region, role=role, user=user, starts_at=at(start), ends_at=at(end), by=by
    )


def test_a_shift_that_ends_before_or_when_it_starts_is_refused_on_ends_at(region, boss):
    zhang = engineer()
    for end in ("2026-03-02 07:00", "2026-03-02 08:00"):
        with pytest.raises(ValidationError) as exc:
            _create(region, zhang, "2026-03-02 08:00", end, boss)
        assert "ends_at" in exc.value.error_dict
    assert not Shift.objects.exists()


def test_the_same_person_in_two_overlapping_shifts_is_refused_in_any_region(region, boss):
    zhang = engineer()
    _create(region, zhang, "2026-03-02 08:00", "2026-03-02 20:00", boss)
    other_region = ServiceRegionFactory()
    with pytest.raises(ValidationError) as exc:
        _create(other_region, zhang, "2026-03-02 19:00", "2026-03-03 07:00", boss)
    assert "user" in exc.value.error_dict
    # Back to back is fine.
    _create(other_region, zhang, "2026-03-02 20:00", "2026-03-03 08:00", boss)
    assert Shift.objects.count() == 2


def test_one_manager_per_region_at_a_time(region, boss):
    _create(region, boss, "2026-03-02 08:00", "2026-03-03 08:00", boss, role="manager")
    with pytest.raises(ValidationError) as exc:
        _create(region, manager(), "2026-03-02 20:00", "2026-03-03 08:00", boss, role="manager")
    assert "role" in exc.value.error_dict
    # Engineers: one or more at once.
    _create(region, engineer(), "2026-03-02 08:00", "2026-03-02 20:00", boss)
    _create(region, engineer(), "2026-03-02 08:00", "2026-03-02 20:00", boss)


def test_only_the_office_plans_and_the_role_must_fit(region, boss):
    zhang = engineer()
    with pytest.raises(PermissionDenied):
        _create(region, zhang, "2026-03-02 08:00", "2026-03-02 20:00", zhang)
    with pytest.raises(ValidationError) as exc:
        _create(region, zhang, "2026-03-02 08:00", "2026-03-02 20:00", boss, role="manager")
    assert "user" in exc.value.error_dict


def test_editing_a_shift_keeps_its_history_and_checks_overlaps(region, boss):
    zhang, li = engineer(), engineer()
    first = _create(region, zhang, "2026-03-02 08:00", "2026-03-02 20:00", boss)
    _create(region, li, "2026-03-02 19:00", "2026-03-03 08:00", boss)
    with pytest.raises(ValidationError) as exc:
        services.shift_update(shift=first, by=boss, user=li)
    assert "user" in exc.value.error_dict
    services.shift_update(shift=first, by=boss, ends_at=at("2026-03-02 21:00"))
    first.refresh_from_db()
    assert first.ends_at == at("2026-03-02 21:00")
    assert first.history.count() == 2


@time_machine.travel("2026-02-16 00:00 +0000", tick=False)
def test_generation_is_idempotent_and_covers_holidays(region):
    rotation = day_night_rotation(
        region,
        engineers=[engineer(), engineer()],
        managers=[manager()],
        starts_on=date(2026, 2, 16),
    )
    first = services.rotation_generate(rotation=rotation, days=60)
    assert first.created == 60 * 3 and first.skipped == []
    again = services.rotation_generate(rotation=rotation, days=60)
    assert again.created == 0
    assert Shift.objects.count() == 180
    # The Spring Festival (2026-02-17) has its three shifts.
    festival = Shift.objects.filter(
        starts_at__gte=at("2026-02-17 00:00"), starts_at__lt=at("2026-02-18 00:00")
    )
    assert festival.count() == 3


@time_machine.travel("2026-02-16 00:00 +0000", tick=False)
def test_a_generated_shift_edited_since_is_not_generated_again(region, boss):
    rotation = day_night_rotation(
        region, engineers=[engineer(), engineer()], managers=[boss], starts_on=date(2026, 2, 16)
    )
    services.rotation_generate(rotation=rotation, days=3)
    first = Shift.objects.order_by("starts_at")[0]
    services.shift_update(shift=first, by=boss, user=engineer())
    assert services.rotation_generate(rotation=rotation, days=3).created == 0


@time_machine.travel("2026-03-01 00:00 +0000", tick=False)
def test_a_swap_is_proposed_accepted_and_approved_then_the_shifts_change_hands(region, boss):
    a, b = engineer(username="a"), engineer(username="b")
    mine = shift(region, "engineer", a, "2026-03-02 08:00", "2026-03-02 20:00")
    theirs = shift(region, "engineer", b, "2026-03-03 08:00", "2026-03-03 20:00")
    swap = services.shift_swap_propose(shift=mine, by=a, to_user=b, other_shift=theirs)
    assert InboxMessage.objects.filter(user=b, kind="duty_swap").count() == 1
    with pytest.raises(PermissionDenied):
        services.shift_swap_accept(swap=swap, by=a)
    with pytest.raises(ValidationError):  # not accepted yet
        services.shift_swap_approve(swap=swap, by=boss)
    services.shift_swap_accept(swap=swap, by=b)
    assert InboxMessage.objects.filter(user=boss, kind="duty_swap").count() == 1
    with pytest.raises(PermissionDenied):
        services.shift_swap_approve(swap=swap, by=b)
    services.shift_swap_approve(swap=swap, by=boss)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.user, theirs.user) == (b, a)
    assert ShiftSwap.objects.get().state == SwapState.APPROVED
    # The history keeps who had the shift.
    assert [h.user_id for h in mine.history.order_by("history_date")] == [a.pk, b.pk]


@time_machine.travel("2026-03-01 00:00 +0000", tick=False)
def test_a_swap_with_oneself_is_refused(region):
    a = engineer()
    mine = shift(region, "engineer", a, "2026-03-02 08:00", "2026-03-02 20:00")
    with pytest.raises(ValidationError) as exc:
        services.shift_swap_propose(shift=mine, by=a, to_user=a)
    assert "to_user" in exc.value.error_dict
    assert not ShiftSwap.objects.exists()


@time_machine.travel("2026-03-01 00:00 +0000", tick=False)
def test_a_swap_producing_an_overlap_is_refused(region):
    a, b = engineer(), engineer()
    mine = shift(region, "engineer", a, "2026-03-02 08:00", "2026-03-02 20:00")
    shift(ServiceRegionFactory(), "engineer", b, "2026-03-02 12:00", "2026-03-02 22:00")
    with pytest.raises(ValidationError) as exc:
        services.shift_swap_propose(shift=mine, by=a, to_user=b)
    assert "user" in exc.value.error_dict


@time_machine.travel("2026-03-01 00:00 +0000", tick=False)
def test_the_daily_check_alerts_the_managers_once_per_gap(region, boss):
    zhang = engineer()
    # Covered 60 days by an engineer; a manager from 08:00 to 20:00 only on 03-02.
    for n in range(0, 62, 6):
        start = at("2026-02-28 08:00") + timedelta(days=n)
        Shift.objects.create(
            region=region,
            role="engineer",
            user=zhang,
            starts_at=start,
            ends_at=start + timedelta(days=6),
        )
    Shift.objects.create(
        region=region,
        role="manager",
        user=boss,
        starts_at=at("2026-02-28 08:00"),
        ends_at=at("2026-03-02 20:00"),
    )
    Shift.objects.create(
        region=region,
        role="manager",
        user=boss,
        starts_at=at("2026-03-03 08:00"),
        ends_at=at("2026-05-10 08:00"),
    )
    alerts = services.duty_gaps_alert()
    assert [(a.role, a.starts_at, a.ends_at) for a in alerts] == [
        ("manager", at("2026-03-02 20:00"), at("2026-03-03 08:00"))
    ]
    assert InboxMessage.objects.filter(user=boss, kind="duty_gap").count() == 1
    # The next run tells nobody again.
    assert services.duty_gaps_alert() == []
    assert InboxMessage.objects.filter(kind="duty_gap").count() == 1
    # The gap changes (half of it is covered): a new gap, told once.
    Shift.objects.create(
        region=region,
        role="manager",
        user=manager(),
        starts_at=at("2026-03-02 20:00"),
        ends_at=at("2026-03-03 02:00"),
    )
    (changed,) = services.duty_gaps_alert()
    assert changed.starts_at == at("2026-03-03 02:00")
    assert GapAlert.objects.count() == 2


@time_machine.travel("2026-02-16 00:00 +0000", tick=False)
def test_generation_skips_a_person_already_busy_and_says_why(region, boss):
    first, second = engineer(username="first"), engineer(username="second")
    rotation = day_night_rotation(
        region, engineers=[first, second], managers=[boss], starts_on=date(2026, 2, 16)
    )
    # ``first`` is on a manual shift elsewhere over the first day shift.
    shift(ServiceRegionFactory(), "engineer", first, "2026-02-16 10:00", "2026-02-16 12:00")
    result = services.rotation_generate(rotation=rotation, days=2)
    assert result.created == 5
    assert len(result.skipped) == 1 and str(first) in result.skipped[0]
    generated = Shift.objects.filter(slot__isnull=False)
    assert all(s.history.count() == 1 for s in generated)  # written with their history
