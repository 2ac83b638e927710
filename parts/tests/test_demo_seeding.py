"""demo.parts_seeding.seed_parts: builds parts, locations, bags and stock; a second run
creates nothing and the levels still equal the ledger."""

from __future__ import annotations

from collections import Counter

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import MainComponent
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


def test_demo_dispatches_reserve_the_parts_their_symptoms_call_for(
    django_capture_on_commit_callbacks,
):
    """Issue 5 §1: the demo parts carry symptom keywords, so once the seed commits, the open
    dispatched requests hold parts reserved by their dispatch."""
    from demo.seeding import seed_demo

    # Without the year of history: its signed documents' PDFs, rendered by the same
    # deliveries, would take most of the test's time and have nothing to do with parts.
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(with_history=False)
    reserved = StockMovement.objects.filter(kind="reserve", idempotency_key__startswith="dispatch-")
    assert reserved.exists()
    assert all(movement.request is not None and movement.request.is_open for movement in reserved)
    # Issue 5 §2: one repair used a consumable from the bag and replaced a main component.
    component = StockMovement.objects.get(idempotency_key="demo-repair-component")
    consumable = StockMovement.objects.get(idempotency_key="demo-repair-consumable")
    assert component.request_id == consumable.request_id
    assert component.request is not None and component.serial_unit is not None
    record = component.request.repair_record
    assert len(record.parts_replaced) == 2
    fitted = MainComponent.objects.get(
        device=component.request.device, serial_number=component.serial_unit.serial_number
    )
    assert fitted.replaced_on is not None and fitted.replaces is not None
    assert fitted.replaces.removal_fate == "sent_for_repair"
    assert record.parts_replaced[1]["serial_fitted"] == fitted.serial_number
    assert record.parts_replaced[1]["serial_removed"] == fitted.replaces.serial_number
    stored = {
        (lv.part_id, lv.location_id): (lv.on_hand, lv.reserved) for lv in StockLevel.objects.all()
    }
    assert stored == levels_from_ledger()
