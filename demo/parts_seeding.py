"""The demo's spare parts (issue 5 §1): about twenty parts for the demo's product models,
a central warehouse, a regional store and a bag per engineer, filled through the stock
services, with reorder points (a few of them already under their minimum). Idempotent: a
part is found by its number, a location by its name, and a location that already has
movements gets no more stock."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal

from django.db.models import F

from accounts.models import User, VendorRole
from assets.models import Device, ProductModel
from parts.models import (
    LocationKind,
    ReorderPoint,
    SparePart,
    StockLevel,
    StockLocation,
    StockMovement,
)
from parts.services import (
    part_create,
    stock_location_create,
    stock_receive,
    stock_reserve,
    stock_transfer,
)
from service.models import ServiceRequest

# The keywords are words of the demo's symptoms (demo/catalogue.py SYMPTOMS), so that a
# demo dispatch reserves the likely part (issue 5 §1).
CONSUMABLES = (
    # suffix, Chinese, English, cost, list, symptom keywords
    (
        "PSU",
        "电源板",
        "Power supply board",
        "860.00",
        "1280.00",
        "无显示, 无法启动, 反复重启, 黑屏, 花屏, no power, no display",
    ),
    ("FAN", "散热风扇", "Cooling fan", "95.00", "160.00", "过热, 噪音, 风机, overheat, fan noise"),
)
GENERIC = (
    ("GEN-FUSE-5A", "保险丝 5A", "Fuse 5 A", "2.50", "6.00", "无反应, 不通电, blown fuse"),
    ("GEN-CORD-CN", "电源线（国标）", "Power cord (CN plug)", "18.00", "35.00", "不通电, no power"),
    ("GEN-BATT-LI", "锂电池组", "Li-ion battery pack", "420.00", "690.00",
     "电池, 无法充电, 充电时间过长, battery"),
    ("GEN-SPO2", "血氧探头", "SpO2 sensor", "180.00", "320.00", "血氧, SpO2"),
)  # fmt: skip
CENTRAL, REGIONAL = "青岛中心仓 Qingdao central warehouse", "济南备件库 Jinan regional store"


def _models(devices: Mapping[str, Device]) -> list[ProductModel]:
    ids = sorted({device.product_model_id for device in devices.values()})
    return list(ProductModel.objects.filter(pk__in=ids).order_by("pk"))[:7]


def _part(spec: dict, models: list[ProductModel], created: Counter[str]) -> SparePart:
    part = SparePart.objects.filter(part_number=spec["part_number"]).first()
    if part is None:
        part = part_create(product_models=models, **spec)
        created["spare parts"] += 1
    return part


def _location(name: str, kind: str, created: Counter[str], engineer: User | None = None):
    location = StockLocation.objects.filter(name=name).first()
    if location is None:
        location = stock_location_create(kind=kind, name=name, engineer=engineer)
        created["stock locations"] += 1
    return location


def seed_parts(
    *, users: Mapping[str, User], devices: Mapping[str, Device], created: Counter[str]
) -> None:
    manager = users.get("manager")
    models = _models(devices)
    serial_parts, parts = [], []
    for index, model in enumerate(models, start=1):
        prefix = f"SP{index:02d}"
        components = list(getattr(model, "main_components", None) or [])
        if components:
            serial_parts.append(
                _part(
                    {
                        "part_number": f"{prefix}-MC1",
                        "name_zh": str(components[0]),
                        "name_en": f"{model.name}: main component",
                        "is_main_component": True,
                        "cost_price": Decimal("6800.00"),
                        "list_price": Decimal("9800.00"),
                    },
                    [model],
                    created,
                )
            )
        suffix, zh, en, cost, price, keywords = CONSUMABLES[index % len(CONSUMABLES)]
        parts.append(
            _part(
                {
                    "part_number": f"{prefix}-{suffix}",
                    "name_zh": zh,
                    "name_en": en,
                    "symptom_keywords": keywords,
                    "cost_price": Decimal(cost),
                    "list_price": Decimal(price),
                },
                [model],
                created,
            )
        )
    for number, zh, en, cost, price, keywords in GENERIC:
        parts.append(
            _part(
                {
                    "part_number": number,
                    "name_zh": zh,
                    "name_en": en,
                    "symptom_keywords": keywords,
                    "cost_price": Decimal(cost),
                    "list_price": Decimal(price),
                },
                models,
                created,
            )
        )
    central = _location(CENTRAL, LocationKind.CENTRAL, created)
    regional = _location(REGIONAL, LocationKind.REGIONAL, created)
    engineers = sorted(
        (u for u in users.values() if u.vendor_role == VendorRole.ENGINEER),
        key=lambda u: u.username,
    )
    bags = [
        _location(
            f"{engineer.get_full_name() or engineer.username} 的备件包",
            LocationKind.ENGINEER_BAG,
            created,
            engineer,
        )
        for engineer in engineers
    ]
    if not StockMovement.objects.filter(to_location=central).exists():
        for i, part in enumerate(parts):
            stock_receive(part=part, location=central, quantity=10 + 5 * (i % 3), user=manager)
            created["stock movements"] += 1
        for i, part in enumerate(serial_parts):
            for n in range(2):
                stock_receive(
                    part=part,
                    location=central,
                    quantity=1,
                    user=manager,
                    serial=f"{part.part_number}-{i}{n:03d}",
                )
                created["stock movements"] += 1
    if not StockMovement.objects.filter(to_location=regional).exists():
        for part in parts[::2]:
            stock_transfer(
                part=part, from_location=central, to_location=regional, quantity=4, user=manager
            )
            created["stock movements"] += 1
    for b, bag in enumerate(bags):
        if StockMovement.objects.filter(to_location=bag).exists():
            continue
        for part in parts[b % 3 :: 3][:4]:
            stock_transfer(
                part=part, from_location=central, to_location=bag, quantity=2, user=manager
            )
            created["stock movements"] += 1
    for i, part in enumerate(parts):
        # Every third part has a minimum above what the central warehouse holds: the
        # daily job has something to say from the first morning on.
        minimum = 30 if i % 3 == 0 else 3
        _, made = ReorderPoint.objects.get_or_create(
            part=part, location=central, defaults={"minimum": minimum}
        )
        created["reorder points"] += int(made)


HOLD_KEY = "demo-bag-hold-{bag}"


def seed_bag_holds(*, created: Counter[str]) -> None:
    """In each engineer's bag, one unit of a part held for one of the engineer's open
    requests, so the bag page shows on hand, reserved and available apart (issue 12 §5).
    Idempotent by the movement's key; run after the parts used in a repair."""
    bags = StockLocation.objects.filter(kind=LocationKind.ENGINEER_BAG, engineer__isnull=False)
    for bag in bags.select_related("engineer").order_by("pk"):
        key = HOLD_KEY.format(bag=bag.pk)
        if StockMovement.objects.filter(idempotency_key=key).exists():
            continue
        engineer = bag.engineer
        job = (
            ServiceRequest.objects.open().filter(engineers=engineer).order_by("reported_at", "pk")
        ).first()
        level = (
            StockLevel.objects.filter(
                location=bag, part__is_main_component=False, on_hand__gte=F("reserved") + 2
            )
            .select_related("part")
            .order_by("part__part_number")
            .first()
        )
        if job is None or level is None:
            continue
        stock_reserve(
            part=level.part,
            location=bag,
            quantity=1,
            request=job,
            user=engineer,
            idempotency_key=key,
        )
        created["parts held in a bag"] += 1
