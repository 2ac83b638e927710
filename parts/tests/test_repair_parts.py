"""Parts used in a repair through the service (issue 5 §2): the stock issue, the serial swap
of a main component (its own warranty, R-6.5) and the record's line change together; any
refusal changes nothing; the same idempotency key records once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import MainComponent
from assets.services import hospital_today
from assets.tests.factories import DeviceFactory, MainComponentFactory
from contracts.models import CoverageSettings
from contracts.selectors import components_under_own_warranty, device_coverage
from parts import services
from parts.models import SerialUnit, StockLevel, StockMovement, UnitState
from parts.repair.services import (
    RepairPartsConflict,
    repair_part_return,
    repair_part_use,
    returnable_issues,
)
from parts.selectors import levels_from_ledger, parts_issued_to
from parts.services import NotEnoughStock
from service.models import RepairRecord
from service.repair_records import services as records

from .factories import SparePartFactory, StockLocationFactory, bag_of, open_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


@pytest.fixture
def bag(engineer):
    return bag_of(engineer)


@pytest.fixture
def device():
    return DeviceFactory()


@pytest.fixture
def sr(device, engineer):
    return open_request(device, engineers=[engineer])


@pytest.fixture
def record(sr, engineer):
    return records.repair_record_save(request=sr, author=engineer, symptoms="开机报警")


@pytest.fixture
def fuse(device, bag, engineer):
    part = SparePartFactory(
        part_number="F-1", name_zh="保险丝", name_en="Fuse", product_models=[device.product_model]
    )
    services.stock_receive(part=part, location=bag, quantity=5, user=None)
    return part


@pytest.fixture
def board(device, bag, engineer):
    part = SparePartFactory(
        part_number="MB-1",
        name_zh="主板",
        name_en="Main board",
        is_main_component=True,
        product_models=[device.product_model],
    )
    for serial in ("NEW-1", "NEW-2"):
        services.stock_receive(part=part, location=bag, quantity=1, user=None, serial=serial)
    return part


def on_hand(part, location) -> int:
    return StockLevel.objects.get(part=part, location=location).on_hand


def snapshot(sr):
    record = RepairRecord.objects.filter(request=sr).first()
    return (
        list(StockMovement.objects.order_by("pk").values_list("pk", flat=True)),
        list(StockLevel.objects.order_by("pk").values_list("on_hand", "reserved")),
        list(SerialUnit.objects.order_by("pk").values_list("state", "location_id", "device_id")),
        list(MainComponent.objects.order_by("pk").values_list("serial_number", "removed_on")),
        record.parts_replaced if record else None,
    )


def test_consumable_issue_appends_the_line_and_the_ledger(sr, record, fuse, bag, engineer):
    use = repair_part_use(request=sr, part=fuse, quantity=2, user=engineer)
    assert use.line == {
        "name": "F-1 保险丝",
        "quantity": 2,
        "serial_removed": "",
        "serial_fitted": "",
    }
    record.refresh_from_db()
    assert record.parts_replaced == [use.line]
    assert use.movement.kind == "issue" and use.movement.from_location == bag
    assert on_hand(fuse, bag) == 3
    assert [(p.part_number, p.quantity) for p in parts_issued_to(sr)] == [("F-1", 2)]
    assert levels_from_ledger()[(fuse.pk, bag.pk)] == (3, 0)


def test_single_unit_line_has_no_count(sr, record, fuse, engineer):
    use = repair_part_use(request=sr, part=fuse, quantity=1, user=engineer)
    assert use.line["name"] == "F-1 保险丝"


def test_main_component_replacement_moves_serials_and_starts_own_warranty(
    sr, record, board, bag, engineer, device
):
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    use = repair_part_use(
        request=sr,
        part=board,
        quantity=1,
        user=engineer,
        serial="NEW-1",
        removed_component=old,
        removal_fate="sent_for_repair",
    )
    today = hospital_today(sr.hospital)
    old.refresh_from_db()
    assert old.removed_on == today and old.removal_fate == "sent_for_repair"
    new = use.component
    assert new is not None and new.serial_number == "NEW-1" and new.replaces == old
    assert new.replaced_on == today
    unit = SerialUnit.objects.get(serial_number="NEW-1")
    assert unit.state == UnitState.INSTALLED and unit.device == device and unit.location is None
    record.refresh_from_db()
    assert record.parts_replaced == [
        {"name": "MB-1 主板", "quantity": 1, "serial_removed": "OLD-1", "serial_fitted": "NEW-1"}
    ]
    # Own warranty: 12 months from the replacement (the device's 12 months from 2026-01-10
    # end earlier), per the coverage answer.
    answer = device_coverage(device=device, at=timezone.now(), cause="quality", component=new)
    assert any(r.code == "component_warranty" for r in answer.reasons)
    ((component, ends_at),) = components_under_own_warranty(device=device, at=timezone.now())
    assert component == new and answer.ends_at is not None
    last_day = (ends_at.astimezone(answer.ends_at.tzinfo) - timedelta(seconds=1)).date()
    assert last_day == max(
        today + relativedelta(months=12), device.accepted_on + relativedelta(months=12)
    )


def test_a_part_used_earlier_is_dated_then(sr, record, board, engineer, device):
    """Recorded afterwards (the demo's history): the issue and the replacement carry the
    time the part was used, in the hospital's days."""
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    used_at = timezone.now() - timedelta(days=3, hours=2)
    use = repair_part_use(
        request=sr,
        part=board,
        quantity=1,
        user=engineer,
        serial="NEW-1",
        removed_component=old,
        removal_fate="returned",
        occurred_at=used_at,
    )
    day = timezone.localtime(used_at, ZoneInfo(sr.hospital.time_zone)).date()
    assert use.movement.occurred_at == used_at
    assert use.component is not None and use.component.replaced_on == day
    old.refresh_from_db()
    assert old.removed_on == day


def test_own_warranty_is_never_less_than_the_device_remaining(sr, record, board, engineer, device):
    CoverageSettings.objects.update_or_create(pk=1, defaults={"default_warranty_months": 48})
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    use = repair_part_use(
        request=sr,
        part=board,
        quantity=1,
        user=engineer,
        serial="NEW-1",
        removed_component=old,
        removal_fate="scrapped",
    )
    answer = device_coverage(
        device=device, at=timezone.now(), cause="quality", component=use.component
    )
    device_end = device.accepted_on + relativedelta(months=48)
    assert answer.ends_at is not None
    zone = answer.ends_at.tzinfo
    assert (answer.ends_at.astimezone(zone) - timedelta(seconds=1)).date() == device_end


def test_typed_removed_serial_is_registered_first(sr, record, board, engineer, device):
    use = repair_part_use(
        request=sr,
        part=board,
        quantity=1,
        user=engineer,
        serial="NEW-1",
        removed_serial="TYPED-9",
        removal_fate="returned",
    )
    old = MainComponent.objects.get(serial_number="TYPED-9")
    assert old.device == device and old.removal_fate == "returned" and old.removed_on
    assert use.component is not None
    assert use.component.replaces == old and use.component.name == old.name == "主板"
    assert use.line["serial_removed"] == "TYPED-9"


def test_removed_serial_from_our_stock_follows_its_fate(sr, record, board, engineer, device):
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    first = repair_part_use(
        request=sr,
        part=board,
        quantity=1,
        user=engineer,
        serial="NEW-1",
        removed_component=old,
        removal_fate="scrapped",
    )
    repair_part_use(
        request=sr,
        part=board,
        quantity=1,
        user=engineer,
        serial="NEW-2",
        removed_component=first.component,
        removal_fate="returned",
    )
    unit = SerialUnit.objects.get(serial_number="NEW-1")
    assert (unit.state, unit.location, unit.device) == (UnitState.RETURNED, None, None)
    installed = MainComponent.objects.filter(device=device).installed()
    assert [c.serial_number for c in installed] == ["NEW-2"]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"serial": "", "removed_serial": "X", "removal_fate": "scrapped"}, "serial"),
        ({"serial": "NEW-1", "removed_serial": "X", "removal_fate": ""}, "removal_fate"),
        ({"serial": "NEW-1", "removal_fate": "scrapped"}, "removed_component"),
        ({"serial": "NOPE", "removed_serial": "X", "removal_fate": "scrapped"}, "serial"),
    ],
)
def test_bad_main_component_input_changes_nothing(sr, record, board, engineer, kwargs, field):
    before = snapshot(sr)
    with pytest.raises(ValidationError) as caught:
        repair_part_use(request=sr, part=board, quantity=1, user=engineer, **kwargs)
    assert field in caught.value.message_dict
    assert snapshot(sr) == before


def test_replacement_refused_late_rolls_back_the_issue(sr, record, board, engineer, device):
    other = DeviceFactory()
    foreign = MainComponentFactory(device=other, name="主板", serial_number="OLD-X")
    before = snapshot(sr)
    with pytest.raises(ValidationError) as caught:
        repair_part_use(
            request=sr,
            part=board,
            quantity=1,
            user=engineer,
            serial="NEW-1",
            removed_component=foreign,
            removal_fate="scrapped",
        )
    assert "removed_component" in caught.value.message_dict
    assert snapshot(sr) == before


def test_frozen_record_is_refused_and_nothing_changes(sr, record, fuse, engineer):
    RepairRecord.objects.filter(pk=record.pk).update(frozen_at=timezone.now())
    before = snapshot(sr)
    with pytest.raises(RepairPartsConflict) as caught:
        repair_part_use(request=sr, part=fuse, quantity=1, user=engineer)
    assert caught.value.code == "record_frozen"
    assert snapshot(sr) == before


def test_no_record_is_refused(sr, fuse, engineer):
    before = snapshot(sr)
    with pytest.raises(RepairPartsConflict) as caught:
        repair_part_use(request=sr, part=fuse, quantity=1, user=engineer)
    assert (
        caught.value.code == "no_record" and "Save the repair record first" in caught.value.message
    )
    assert snapshot(sr) == before


def test_closed_request_is_refused(sr, record, fuse, engineer):
    type(sr).objects.filter(pk=sr.pk).update(is_open=False)
    with pytest.raises(RepairPartsConflict) as caught:
        repair_part_use(request=sr, part=fuse, quantity=1, user=engineer)
    assert caught.value.code == "request_closed"


def test_not_enough_stock_changes_nothing(sr, record, fuse, engineer):
    before = snapshot(sr)
    with pytest.raises(NotEnoughStock):
        repair_part_use(request=sr, part=fuse, quantity=6, user=engineer)
    assert snapshot(sr) == before


def test_no_bag_and_no_location_is_refused(sr, record, fuse):
    manager = vendor_user(VendorRole.MANAGER, username="nobag")
    with pytest.raises(ValidationError) as caught:
        repair_part_use(request=sr, part=fuse, quantity=1, user=manager)
    assert "location" in caught.value.message_dict


def test_other_location_is_used_when_given(sr, record, fuse, engineer):
    """The office may issue from a store; an engineer issues from their own bag only (they
    take the part into the bag first)."""
    store = StockLocationFactory(name="Central")
    services.stock_receive(part=fuse, location=store, quantity=3, user=None)
    with pytest.raises(services.StockPowerDenied):
        repair_part_use(request=sr, part=fuse, quantity=3, user=engineer, location=store)
    manager = vendor_user(VendorRole.MANAGER, username="office")
    use = repair_part_use(request=sr, part=fuse, quantity=3, user=manager, location=store)
    assert use.movement.from_location == store and on_hand(fuse, store) == 0


def test_replay_of_the_same_key_changes_nothing(sr, record, board, engineer, device):
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    args = {
        "request": sr,
        "part": board,
        "quantity": 1,
        "user": engineer,
        "serial": "NEW-1",
        "removed_component": old,
        "removal_fate": "scrapped",
        "idempotency_key": "tap-1",
    }
    first = repair_part_use(**args)
    before = snapshot(sr)
    again = repair_part_use(**args)
    assert again.replayed and again.movement == first.movement
    assert again.line == first.line and again.component == first.component
    assert snapshot(sr) == before


def test_return_removes_the_line_and_restores_stock(sr, record, fuse, bag, engineer):
    use = repair_part_use(request=sr, part=fuse, quantity=2, user=engineer)
    assert returnable_issues(sr) == [use.movement]
    returned = repair_part_return(request=sr, movement=use.movement, user=engineer)
    assert returned.kind == "return" and returned.to_location == bag
    record.refresh_from_db()
    assert record.parts_replaced == []
    assert on_hand(fuse, bag) == 5 and parts_issued_to(sr) == []
    assert returnable_issues(sr) == []
    # Again: the same return, nothing more.
    before = snapshot(sr)
    assert repair_part_return(request=sr, movement=use.movement, user=engineer) == returned
    assert snapshot(sr) == before


def test_main_component_is_not_returned(sr, record, board, engineer, device):
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    use = repair_part_use(
        request=sr,
        part=board,
        quantity=1,
        user=engineer,
        serial="NEW-1",
        removed_component=old,
        removal_fate="scrapped",
    )
    before = snapshot(sr)
    with pytest.raises(ValidationError) as caught:
        repair_part_return(request=sr, movement=use.movement, user=engineer)
    assert "record a new replacement" in str(caught.value)
    assert snapshot(sr) == before


def test_return_after_signature_is_refused(sr, record, fuse, engineer):
    use = repair_part_use(request=sr, part=fuse, quantity=1, user=engineer)
    RepairRecord.objects.filter(pk=record.pk).update(frozen_at=timezone.now())
    before = snapshot(sr)
    with pytest.raises(RepairPartsConflict):
        repair_part_return(request=sr, movement=use.movement, user=engineer)
    assert snapshot(sr) == before


def test_a_later_repair_of_the_replaced_component_is_warranty_work(engineer, bag, board):
    """charges reads ``serial_removed`` from the record: the component fitted through the
    panel keeps its own warranty on a device out of warranty (R-6.5)."""
    from charges.services import statement_inputs

    device = DeviceFactory(accepted_on=timezone.localdate() - relativedelta(years=3))
    board.product_models.add(device.product_model)
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    first = open_request(device, engineers=[engineer])
    records.repair_record_save(request=first, author=engineer, symptoms="黑屏")
    repair_part_use(
        request=first,
        part=board,
        quantity=1,
        user=engineer,
        serial="NEW-1",
        removed_component=old,
        removal_fate="scrapped",
    )
    later = open_request(device, engineers=[engineer])
    records.repair_record_save(
        request=later,
        author=engineer,
        symptoms="黑屏",
        fault_cause="quality",
        parts_replaced=[{"name": "主板", "serial_removed": "NEW-1", "serial_fitted": "X-2"}],
    )
    answer, _lines, _currency = statement_inputs(later)
    assert answer.cover == "warranty"
    assert any(r.code == "component_warranty" for r in answer.reasons)
    plain, _l, _c = statement_inputs(first)
    assert plain.cover == "none"
