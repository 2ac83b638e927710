"""Return visits on the calendar (issue 4 §5): all-day entries on the due date, stable uids,
scoped to the viewer, filtered by engineer and hospital."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.agenda import CalendarEntry
from customers.tests.factories import HospitalFactory, hospital_user
from return_visits.agenda import entries
from return_visits.models import ReturnVisit
from return_visits.services import return_visits_generate

from .factories import department_with_devices, engineer

pytestmark = pytest.mark.django_db


def test_entries_are_all_day_on_the_due_date():
    worker = engineer()
    a, b = HospitalFactory(name="A"), HospitalFactory(name="B")
    icu, _ = department_with_devices(hospital=a, name="ICU", engineers=[worker])
    department_with_devices(hospital=b, name="B ward")
    return_visits_generate(today=date(2026, 3, 10), horizon_days=40)
    manager = vendor_user(VendorRole.MANAGER)

    found = entries(start=date(2026, 3, 1), end=date(2026, 3, 31), visible_to=manager)
    assert len(found) == 2
    entry = next(e for e in found if e.hospital_id == a.pk)
    visit = ReturnVisit.objects.get(department=icu, month=date(2026, 3, 1))
    assert isinstance(entry, CalendarEntry)
    assert entry.uid == f"return-visit-{visit.pk}@medservice"
    assert entry.kind == "return_visit" and entry.all_day
    assert entry.starts == date(2026, 3, 15) and entry.ends is None
    assert entry.url == f"/return-visits/{visit.pk}/"
    assert entry.engineer_ids == (worker.pk,)
    assert "ICU" in entry.title and entry.hospital_name == "A"
    assert entry.state in {"planned", "overdue"}

    both_months = entries(start=date(2026, 3, 1), end=date(2026, 4, 30), visible_to=manager)
    assert len(both_months) == 4
    mine = entries(
        start=date(2026, 3, 1), end=date(2026, 4, 30), visible_to=manager, engineer_id=worker.pk
    )
    assert {e.hospital_id for e in mine} == {a.pk} and len(mine) == 2
    of_b = entries(
        start=date(2026, 3, 1), end=date(2026, 4, 30), visible_to=manager, hospital_id=b.pk
    )
    assert {e.hospital_id for e in of_b} == {b.pk}
    # A hospital's user sees its own only; the 15th outside the range shows nothing.
    b_user = hospital_user(b)
    assert {
        e.hospital_id
        for e in entries(start=date(2026, 3, 1), end=date(2026, 4, 30), visible_to=b_user)
    } == {b.pk}
    assert entries(start=date(2026, 3, 16), end=date(2026, 4, 14), visible_to=manager) == []
