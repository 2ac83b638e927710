"""demo.parts_seeding.seed_parts: builds parts, locations, bags and stock; a second run
creates nothing and the levels still equal the ledger. What the whole demo's dispatches reserve
is checked on the seeded demo (``demo/tests/test_seed_demo.py``)."""

from __future__ import annotations

from collections import Counter

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from demo.parts_seeding import seed_parts
from parts.models import SparePart, StockLevel, StockLocation, StockMovement
from parts.selectors import below_reorder, levels_from_ledger

pytestmark = pytest.mark.django_db


def test_seed_parts_is_idempotent():
    users = {
        "manager": vendor_user(VendorRole.MANAGER, username="manager"),
        "engineer1": vendor_user(VendorRole.ENGINEER, username="engineer1"),
        "engineer2": vendor_user(VendorRole.ENGINEER, username="engineer2"),
    }
    models = [ProductModelFactory(main_components=["主板"]) for _ in range(3)]
    devices = {f"SN{i}": DeviceFactory(product_model=m) for i, m in enumerate(models)}
    created: Counter[str] = Counter()
    seed_parts(users=users, devices=devices, created=created)
    assert created["spare parts"] == SparePart.objects.count() == 3 * 2 + 4
    assert StockLocation.objects.filter(kind="engineer_bag").count() == 2
    for bag in StockLocation.objects.filter(kind="engineer_bag"):
        assert StockLevel.objects.filter(location=bag, on_hand__gt=0).exists()
    assert below_reorder()
    movements = StockMovement.objects.count()
    again: Counter[str] = Counter()
    seed_parts(users=users, devices=devices, created=again)
    assert +again == Counter() and StockMovement.objects.count() == movements
    stored = {
        (lv.part_id, lv.location_id): (lv.on_hand, lv.reserved) for lv in StockLevel.objects.all()
    }
    assert stored == levels_from_ledger()
