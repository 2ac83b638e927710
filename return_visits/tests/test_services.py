"""Planning the monthly return visits (R-7.1, issue 4 §2, §7): one per department with a
device in service cover per month, idempotent, with the horizon and month ends; the
overdue alert sent once; adding and cancelling one by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import DeviceStatus
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import MaintenanceAgreementFactory
from core.errors import Conflict
from customers.tests.factories import DepartmentFactory, HospitalFactory
from notify.models import InboxMessage
from return_visits.models import ReturnVisit, ReturnVisitSettings, ReturnVisitState
from return_visits.services import (
    return_visit_cancel,
    return_visit_create,
    return_visit_sweep_overdue,
    return_visits_generate,
)

from .factories import department_with_devices, engineer

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


def months_of(department) -> list[tuple[date, date]]:
    return list(
        ReturnVisit.objects.filter(department=department)
        .order_by("month")
        .values_list("month", "due_on")
    )


def test_one_per_department_per_month_within_the_horizon():
    first_engineer, second_engineer = engineer(), engineer()
    icu, _devices = department_with_devices(engineers=[first_engineer, second_engineer])
    ward, _ = department_with_devices(hospital=icu.hospital, devices=1)
    DepartmentFactory(hospital=icu.hospital)  # no devices: no visit

    result = return_visits_generate(today=TODAY)

    # 10 March + 90 days = 8 June: March (still open) to May; 15 June is beyond.
    expected = [(date(2026, m, 1), date(2026, m, 15)) for m in (3, 4, 5)]
    assert months_of(icu) == expected
    assert months_of(ward) == expected
    assert result.created == 6
    assert ReturnVisit.objects.count() == 6
    visit = ReturnVisit.objects.get(department=icu, month=date(2026, 4, 1))
    assert (visit.window_start, visit.window_end) == (date(2026, 4, 1), date(2026, 4, 30))
    assert visit.hospital == icu.hospital and visit.scheduled
    assert visit.state == ReturnVisitState.PLANNED
    # Assigned to the dedicated engineers of the department's contract; else unassigned.
    assert set(visit.engineers.all()) == {first_engineer, second_engineer}
    assert not ReturnVisit.objects.get(department=ward, month=date(2026, 4, 1)).engineers.exists()


def test_second_run_creates_nothing():
    icu, _ = department_with_devices(engineers=[engineer()])
    first = return_visits_generate(today=TODAY)
    rows = set(ReturnVisit.objects.values_list("pk", "department_id", "month"))
    second = return_visits_generate(today=TODAY)
    assert first.created == 3
    assert second.created == 0
    assert set(ReturnVisit.objects.values_list("pk", "department_id", "month")) == rows
    # On 16 May the horizon reaches 14 August: June and July are new, August is not yet.
    assert return_visits_generate(today=date(2026, 5, 16)).created == 2
    assert ReturnVisit.objects.filter(department=icu).count() == 5


def test_month_ends_and_the_configured_due_day():
    ReturnVisitSettings.objects.create(pk=1, due_day=31, horizon_days=60)
    icu, _ = department_with_devices()
    return_visits_generate(today=date(2028, 1, 31))
    # 31 Jan 2028 + 60 days = 31 March: January, February (29, a leap year), March.
    assert months_of(icu) == [
        (date(2028, 1, 1), date(2028, 1, 31)),
        (date(2028, 2, 1), date(2028, 2, 29)),
        (date(2028, 3, 1), date(2028, 3, 31)),
    ]


def test_horizon_given_explicitly():
    icu, _ = department_with_devices()
    assert return_visits_generate(today=TODAY, horizon_days=0).created == 1
    assert months_of(icu) == [(date(2026, 3, 1), date(2026, 3, 15))]


def test_planning_limited_to_some_departments():
    icu, _ = department_with_devices()
    ward, _ = department_with_devices(hospital=icu.hospital)
    made = return_visits_generate(today=TODAY, horizon_days=0, department_ids=[ward.pk])
    assert made.created == 1
    assert months_of(icu) == []
    assert months_of(ward) == [(date(2026, 3, 1), date(2026, 3, 15))]


def test_which_departments_are_in_service_cover():
    hospital = HospitalFactory()
    # Not accepted nor live yet: not visited.
    waiting = DepartmentFactory(hospital=hospital)
    DeviceFactory(department=waiting, accepted_on=None, live_on=None)
    # Retired devices only: not visited.
    retired = DepartmentFactory(hospital=hospital)
    DeviceFactory(department=retired, status=DeviceStatus.RETIRED)
    # On no contract: the default warranty (12 months from acceptance) counts.
    in_warranty = DepartmentFactory(hospital=hospital)
    DeviceFactory(department=in_warranty, accepted_on=date(2025, 6, 1))
    expired = DepartmentFactory(hospital=hospital)
    old = DeviceFactory(department=expired, accepted_on=date(2024, 1, 1))
    # …unless a maintenance agreement runs that month.
    agreed = DepartmentFactory(hospital=hospital)
    covered = DeviceFactory(department=agreed, accepted_on=date(2024, 1, 1))
    MaintenanceAgreementFactory(
        hospital=hospital, devices=[covered], starts_on=date(2026, 4, 20), ends_on=date(2027, 4, 19)
    )
    # Accepted only in May: visited from May.
    later = DepartmentFactory(hospital=hospital)
    DeviceFactory(department=later, accepted_on=date(2026, 5, 3))

    return_visits_generate(today=TODAY)

    assert months_of(waiting) == months_of(retired) == months_of(expired) == []
    assert [m for m, _ in months_of(in_warranty)] == [
        date(2026, 3, 1),
        date(2026, 4, 1),
        date(2026, 5, 1),
    ]
    # The warranty ended on 1 June 2026: June is not planned yet (beyond the horizon).
    assert [m for m, _ in months_of(agreed)] == [date(2026, 4, 1), date(2026, 5, 1)]
    assert [m for m, _ in months_of(later)] == [date(2026, 5, 1)]
    assert old.pk  # the expired device exists, its department simply gets no visit


def test_each_hospital_plans_in_its_own_zone():
    shanghai, _ = department_with_devices(hospital=HospitalFactory(time_zone="Asia/Shanghai"))
    # 28 Feb 2026 17:00 UTC: already 1 March in Shanghai, still February in Honolulu.
    honolulu, _ = department_with_devices(hospital=HospitalFactory(time_zone="Pacific/Honolulu"))
    with time_machine.travel(datetime(2026, 2, 28, 17, 0, tzinfo=UTC), tick=False):
        return_visits_generate(horizon_days=0)
    assert [m for m, _ in months_of(shanghai)] == [date(2026, 3, 1)]
    assert [m for m, _ in months_of(honolulu)] == [date(2026, 2, 1)]


def test_a_cancelled_visit_is_not_planned_again_but_may_be_added_by_hand():
    icu, _ = department_with_devices()
    return_visits_generate(today=TODAY, horizon_days=0)
    visit = ReturnVisit.objects.get(department=icu)
    manager = vendor_user(VendorRole.MANAGER)
    with pytest.raises(ValidationError) as refused:
        return_visit_cancel(visit=visit, user=manager, reason="  ")
    assert "cancelled_reason" in refused.value.message_dict
    return_visit_cancel(visit=visit, user=manager, reason="科室搬迁")
    visit.refresh_from_db()
    assert (visit.state, visit.cancelled_reason) == ("cancelled", "科室搬迁")
    with pytest.raises(Conflict):
        return_visit_cancel(visit=visit, user=manager, reason="again")

    assert return_visits_generate(today=TODAY, horizon_days=0).created == 0
    with time_machine.travel(datetime(2026, 3, 10, 2, 0, tzinfo=UTC), tick=False):
        again = return_visit_create(department=icu, month=date(2026, 3, 20), user=manager)
    assert (again.month, again.due_on, again.scheduled) == (
        date(2026, 3, 1),
        date(2026, 3, 15),
        False,
    )


def test_adding_one_by_hand_conflicts_with_the_months_visit():
    first, second = engineer(), engineer()
    icu, _ = department_with_devices(engineers=[first])
    manager = vendor_user(VendorRole.MANAGER)
    with time_machine.travel(datetime(2026, 3, 10, 2, 0, tzinfo=UTC), tick=False):
        visit = return_visit_create(department=icu, month=date(2026, 4, 1), user=manager)
        assert list(visit.engineers.all()) == [first]
        assert visit.created_by == manager
        with pytest.raises(Conflict) as taken:
            return_visit_create(department=icu, month=date(2026, 4, 30), user=manager)
        assert taken.value.code == "return_visit_exists"
        with pytest.raises(ValidationError) as refused:
            return_visit_create(
                department=icu,
                month=date(2026, 2, 1),
                user=manager,
                due_on=date(2026, 3, 5),
                engineers=[manager],
            )
        assert set(refused.value.message_dict) == {"month", "due_on", "engineers"}
        chosen = return_visit_create(
            department=icu,
            month=date(2026, 5, 1),
            user=manager,
            due_on=date(2026, 5, 20),
            engineers=[second],
        )
    assert chosen.due_on == date(2026, 5, 20)
    assert list(chosen.engineers.all()) == [second]
    # The daily job finds April and May taken.
    return_visits_generate(today=TODAY)
    assert ReturnVisit.objects.filter(department=icu).count() == 3


def test_overdue_alert_goes_to_the_engineers_and_the_manager_once():
    assigned = engineer()
    manager = vendor_user(VendorRole.MANAGER)
    other_manager = vendor_user(VendorRole.MANAGER)
    icu, _ = department_with_devices(engineers=[assigned], manager=manager)
    return_visits_generate(today=date(2026, 3, 10), horizon_days=0)
    visit = ReturnVisit.objects.get(department=icu)

    # The last day of March in Shanghai: not overdue yet.
    with time_machine.travel(datetime(2026, 3, 31, 15, 0, tzinfo=UTC), tick=False):
        assert return_visit_sweep_overdue() == 0
    # 1 April in Shanghai (16:00 UTC on 31 March): the month is over.
    with time_machine.travel(datetime(2026, 3, 31, 16, 30, tzinfo=UTC), tick=False):
        assert return_visit_sweep_overdue() == 1
        assert return_visit_sweep_overdue() == 0
    with time_machine.travel(datetime(2026, 4, 2, 1, 0, tzinfo=UTC), tick=False):
        assert return_visit_sweep_overdue() == 0

    messages = InboxMessage.objects.filter(kind="return_visit_overdue")
    assert sorted(m.user_id for m in messages) == sorted([assigned.pk, manager.pk])
    assert other_manager.pk not in {m.user_id for m in messages}
    visit.refresh_from_db()
    assert visit.overdue_notified_at is not None
    first = messages.first()
    assert first is not None and f"/return-visits/{visit.pk}/" in first.url


def test_a_done_or_cancelled_visit_is_never_overdue():
    icu, _ = department_with_devices()
    ward, _ = department_with_devices(hospital=icu.hospital)
    return_visits_generate(today=date(2026, 3, 10), horizon_days=0)
    ReturnVisit.objects.filter(department=icu).update(state=ReturnVisitState.DONE)
    ReturnVisit.objects.filter(department=ward).update(state=ReturnVisitState.CANCELLED)
    assert return_visit_sweep_overdue(today=date(2026, 4, 5)) == 0
    assert not InboxMessage.objects.exists()


def test_without_a_contract_manager_every_service_manager_hears_of_it():
    managers = {vendor_user(VendorRole.MANAGER), vendor_user(VendorRole.MANAGER)}
    department = DepartmentFactory()
    DeviceFactory(department=department, accepted_on=date(2026, 1, 10))  # on no contract
    return_visits_generate(today=date(2026, 3, 10), horizon_days=0)
    assert return_visit_sweep_overdue(today=date(2026, 4, 1)) == 1
    assert {m.user for m in InboxMessage.objects.all()} == managers
