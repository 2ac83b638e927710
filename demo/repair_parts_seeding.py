"""Demo parts used in a repair (issue 5 §2): on one open request whose device has a
registered main component, the dispatched engineer uses a consumable from the bag and
replaces the main component with a unit brought from the central warehouse; the removed one
is sent for repair, the fitted one starts its own warranty (R-6.5). All through
``parts.repair.services``, so the ledger, the device's components and the repair record agree.
Idempotent: each step carries a fixed idempotency key, and a request that already used a
demo part is not touched again."""

from __future__ import annotations

from collections import Counter

from assets.models import ComponentFate, MainComponent
from parts.models import SerialUnit, SparePart, StockLevel, StockMovement, UnitState
from parts.repair.services import repair_part_use
from parts.rules import STORE_KINDS
from parts.selectors import bag_of
from parts.services import stock_transfer
from service.models import RepairRecord, ServiceRequest
from service.repair_records.services import repair_record_save

KEY = "demo-repair-{step}"


def _candidate():
    """An open request with an engineer who has a bag, a device with an installed main
    component, a serial part that fits it in stock, and no signed record."""
    requests = (
        ServiceRequest.objects.open()
        .filter(engineers__isnull=False, device__components__removed_on__isnull=True)
        .exclude(repair_record__frozen_at__isnull=False)
        .select_related("device__product_model", "hospital")
        .distinct()
        .order_by("reported_at", "pk")
    )
    for request in requests:
        engineer = request.engineers.order_by("pk").first()
        bag = bag_of(engineer)
        serial_part = SparePart.objects.filter(
            is_main_component=True,
            product_models=request.device.product_model_id,
            units__state=UnitState.IN_STOCK,
        ).first()
        consumable = (
            StockLevel.objects.filter(
                location=bag,
                part__is_main_component=False,
                part__product_models=request.device.product_model_id,
                on_hand__gt=0,
            )
            .select_related("part")
            .first()
        )
        if bag is not None and serial_part is not None and consumable is not None:
            return request, engineer, bag, serial_part, consumable
    return None


def seed_repair_parts(*, created: Counter[str]) -> None:
    if StockMovement.objects.filter(idempotency_key__startswith="demo-repair-").exists():
        return
    found = _candidate()
    if found is None:
        return
    request, engineer, bag, serial_part, consumable = found
    if not RepairRecord.objects.filter(request=request).exists():
        repair_record_save(
            request=request,
            author=engineer,
            symptoms=request.description,
            diagnosis="主板供电模块故障，另有耗材老化。",
            solution="更换主要部件并更换耗材，开机自检通过。",
        )
        created["repair records"] += 1
    repair_part_use(
        request=request,
        part=consumable.part,
        quantity=1,
        user=engineer,
        location=bag,
        idempotency_key=KEY.format(step="consumable"),
    )
    unit = (
        # The engineer takes it from a store into the bag (an engineer moves only their bag).
        SerialUnit.objects.filter(
            part=serial_part, state=UnitState.IN_STOCK, location__kind__in=STORE_KINDS
        )
        .select_related("location")
        .order_by("serial_number")
        .first()
    )
    if unit is not None and unit.location is not None:  # a store, by the filter
        stock_transfer(
            part=serial_part,
            from_location=unit.location,
            to_location=bag,
            quantity=1,
            user=engineer,
            serial=unit.serial_number,
            idempotency_key=KEY.format(step="to-bag"),
        )
        removed = (
            MainComponent.objects.filter(device=request.device, removed_on__isnull=True)
            .order_by("pk")
            .first()
        )
        repair_part_use(
            request=request,
            part=serial_part,
            quantity=1,
            user=engineer,
            location=bag,
            serial=unit.serial_number,
            removed_component=removed,
            removal_fate=ComponentFate.SENT_FOR_REPAIR,
            idempotency_key=KEY.format(step="component"),
        )
        created["main components replaced in a repair"] += 1
    created["parts used in a repair"] += 1
