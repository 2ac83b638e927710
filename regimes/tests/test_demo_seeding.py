"""The demo's regimes (``demo.regimes_seeding.seed_regimes``): three documents per hospital,
one with two versions, receipts for some departments; a second run creates nothing."""

import datetime as dt
from collections import Counter

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.tests.factories import ContactFactory, DepartmentFactory, HospitalFactory
from demo.regimes_seeding import seed_regimes
from regimes import selectors
from regimes.models import STANDARD_KINDS, RegimeDocument, RegimeReceipt, RegimeVersion

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def test_seed_regimes_is_complete_and_idempotent():
    hospitals = {}
    for key in ("h1", "h2"):
        hospital = HospitalFactory(name=f"Demo {key}")
        for name in ("急诊科", "放射科", "重症医学科"):
            head = ContactFactory(hospital=hospital, name=f"{name}主任 {key}")
            DepartmentFactory(hospital=hospital, name=name, responsible_contact=head)
        hospitals[key] = hospital
    users = {
        "manager": vendor_user(VendorRole.MANAGER, username="manager"),
        "engineer1": vendor_user(VendorRole.ENGINEER, username="engineer1"),
    }
    created: Counter[str] = Counter()
    seed_regimes(users=users, hospitals=hospitals, today=TODAY, created=created)
    assert created["regime documents"] == 6
    assert created["regime versions"] == 8
    assert created["regime receipts"] > 0

    manager = users["manager"]
    for hospital in hospitals.values():
        regime = selectors.hospital_regime(hospital=hospital, user=manager)
        assert regime.missing_kinds == []
        assert {s.document.kind for s in regime.documents} == set(STANDARD_KINDS)
        two = next(s for s in regime.documents if len(s.versions) == 2)
        states = sorted(s.state for s in two.departments)
        assert states == ["current", "current", "outdated"]  # one still has version 1
        assert any(r.signature for r in two.receipts)
        assert any(v.file for s in regime.documents for v in s.versions)

    again: Counter[str] = Counter()
    counts = (RegimeDocument.objects.count(), RegimeVersion.objects.count())
    seed_regimes(
        users=users, hospitals=hospitals, today=TODAY + dt.timedelta(days=3), created=again
    )
    assert again == Counter()
    assert (RegimeDocument.objects.count(), RegimeVersion.objects.count()) == counts
    assert RegimeReceipt.objects.count() == created["regime receipts"]
