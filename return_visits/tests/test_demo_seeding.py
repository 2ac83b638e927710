"""The demo's return visits: planned through the services, last month's signed for two
departments with their PDFs, and a second run creates nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.tests.factories import HospitalFactory
from demo.return_visits_seeding import seed_return_visits
from return_visits.models import ReturnVisit

from .factories import department_with_devices, engineer

pytestmark = pytest.mark.django_db


def test_seeding_is_idempotent_and_leaves_signed_sheets(django_capture_on_commit_callbacks):
    hospital = HospitalFactory(name="青岛市市立医院")
    worker = engineer(username="engineer1", first_name="伟", last_name="张")
    for name in ("重症医学科", "呼吸内科", "心内科"):
        department_with_devices(hospital=hospital, name=name, engineers=[worker])
    users = {"engineer1": worker, "manager": vendor_user(VendorRole.MANAGER)}
    created: Counter[str] = Counter()
    today = date(2026, 11, 27)

    with django_capture_on_commit_callbacks(execute=True):
        seed_return_visits(users=users, hospitals={"h1": hospital}, today=today, created=created)

    # October (last month), November, then every month due by 25 February (90 days).
    months = {m.isoformat()[:7] for m in ReturnVisit.objects.values_list("month", flat=True)}
    assert months == {"2026-10", "2026-11", "2026-12", "2027-01", "2027-02"}
    assert created["return visits"] == 15
    assert created["signed return-visit sheets"] == 2
    done = ReturnVisit.objects.filter(state="done").order_by("department__name")
    assert [v.department.name for v in done] == ["呼吸内科", "心内科"]
    for visit in done:
        assert visit.month == date(2026, 10, 1) and visit.pdf
        assert visit.signatures.count() == 2 and visit.satisfaction in {4, 5}

    again: Counter[str] = Counter()
    seed_return_visits(users=users, hospitals={"h1": hospital}, today=today, created=again)
    assert sum(again.values()) == 0
    assert ReturnVisit.objects.count() == 15
