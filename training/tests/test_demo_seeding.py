"""The demo's training (``demo.training_seeding.seed_training``): a plan per contract, a held
session with three signed attendees and an upcoming one; a second run creates nothing."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from customers.tests.factories import DepartmentFactory, HospitalFactory
from demo.training_seeding import seed_training
from training.models import Attendance, SessionState, TrainingPlan, TrainingSession
from training.services import attendance_signature_matches

pytestmark = pytest.mark.django_db


def test_seed_training_is_idempotent_and_plausible():
    hospital = HospitalFactory(name="青岛东海中心医院")
    icu = DepartmentFactory(hospital=hospital, name="重症医学科")
    engineer = vendor_user(VendorRole.ENGINEER, username="engineer1")
    users = {"engineer1": engineer, "manager": vendor_user(VendorRole.MANAGER, username="manager")}
    first = ContractFactory(
        hospital=hospital, title="急救设备", devices=[DeviceFactory(department=icu)]
    )
    first.dedicated_engineers.set([engineer])
    ContractFactory(hospital=hospital, title="影像设备")
    created: Counter[str] = Counter()
    today = timezone.localdate()
    seed_training(users=users, hospitals={"h1": hospital}, today=today, created=created)
    assert created == {"training plans": 2, "training sessions": 4, "training attendees": 6}
    plan = TrainingPlan.objects.get(contract=first)
    held, upcoming = plan.sessions.order_by("starts_at")
    assert held.state == SessionState.HELD and held.lecturer == engineer
    assert upcoming.state == SessionState.PLANNED and upcoming.lecturer == users["manager"]
    assert upcoming.starts_at > timezone.now() > held.ends_at
    attendees = list(held.attendances.all())
    assert len(attendees) == 3 and all(a.signature_image for a in attendees)
    assert all(attendance_signature_matches(a) for a in attendees)
    assert {a.department for a in attendees} == {icu}
    assert sorted(a.score for a in attendees if a.score is not None) == [88, 95]

    again: Counter[str] = Counter()
    seed_training(users=users, hospitals={"h1": hospital}, today=today, created=again)
    # A day later too: the plans exist, their sessions are not planned again.
    later = today + timedelta(days=1)
    seed_training(users=users, hospitals={"h1": hospital}, today=later, created=again)
    assert not again
    assert TrainingSession.objects.count() == 4 and Attendance.objects.count() == 6
