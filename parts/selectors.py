"""Reads of the parts app: levels, low stock, what a request used, what to carry."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum

from service.models import ServiceRequest

from .models import (
    MovementKind,
    ReorderPoint,
    SparePart,
    StockLevel,
    StockLocation,
    StockMovement,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ADDS_TO = {MovementKind.RECEIVE, MovementKind.TRANSFER, MovementKind.RETURN}
TAKES_FROM = {MovementKind.TRANSFER, MovementKind.ISSUE, MovementKind.WRITE_OFF}


@dataclass(frozen=True)
class IssuedPart:
    """One part used for a request, net of returns (the charges app prices these)."""

    part_id: int
    part_number: str
    name: str
    quantity: int
    unit_cost: Decimal
    unit_list: Decimal
    currency: str
    serial_number: str


def levels_from_ledger() -> dict[tuple[int, int], tuple[int, int]]:
    """Recompute ``(on_hand, reserved)`` per ``(part_id, location_id)`` from the movements
    alone: ``StockLevel`` must always equal this."""
    sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    rows = StockMovement.objects.values_list(
        "kind", "part_id", "from_location_id", "to_location_id", "quantity"
    )
    for kind, part_id, source, target, quantity in rows.iterator():
        if kind in ADDS_TO or (kind == MovementKind.COUNT_CORRECTION and target):
            sums[(part_id, target)][0] += quantity
        if kind in TAKES_FROM or (kind == MovementKind.COUNT_CORRECTION and source):
            sums[(part_id, source)][0] -= quantity
        if kind == MovementKind.RESERVE:
            sums[(part_id, source)][1] += quantity
        if kind == MovementKind.UNRESERVE:
            sums[(part_id, source)][1] -= quantity
    return {key: (value[0], value[1]) for key, value in sums.items()}


class _LevelFigures(TypedDict):
    minimum: int | None
    is_low: bool


def stock_levels(
    *, part: SparePart | None = None, location: StockLocation | None = None
) -> QuerySet[WithAnnotations[StockLevel, _LevelFigures]]:
    """Levels with ``minimum`` (the reorder point, or None) and ``is_low`` annotated."""
    levels = StockLevel.objects.select_related("part", "location")
    if part is not None:
        levels = levels.filter(part=part)
    if location is not None:
        levels = levels.filter(location=location)
    minimum = ReorderPoint.objects.filter(
        part_id=OuterRef("part_id"), location_id=OuterRef("location_id")
    ).values("minimum")[:1]
    low = ReorderPoint.objects.filter(
        part_id=OuterRef("part_id"),
        location_id=OuterRef("location_id"),
        minimum__gt=OuterRef("on_hand") - OuterRef("reserved"),
    )
    return levels.annotate(minimum=Subquery(minimum), is_low=Exists(low)).order_by(
        "location__kind", "location__name", "part__part_number"
    )


def stock_movements() -> QuerySet[StockMovement]:
    """The ledger with what a list shows of each line, the latest recorded first: by id,
    which follows the recording and walks the primary key's index (the ledger holds
    millions of lines; ``recorded_at`` has no index of its own)."""
    return StockMovement.objects.select_related(
        "part", "from_location", "to_location", "request", "serial_unit", "created_by"
    ).order_by("-pk")


@dataclass(frozen=True)
class LowStock:
    part: SparePart
    location: StockLocation
    on_hand: int
    reserved: int
    minimum: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def below_reorder() -> list[LowStock]:
    """Every reorder point whose free stock (on hand - reserved) is under its minimum; a
    location that never had the part counts as 0."""
    points = ReorderPoint.objects.select_related("part", "location").filter(
        part__active=True, location__active=True
    )
    levels = {
        (lv.part_id, lv.location_id): lv
        for lv in StockLevel.objects.filter(
            Q(part_id__in=points.values("part_id"))
            & Q(location_id__in=points.values("location_id"))
        )
    }
    low = []
    for point in points.order_by("location__name", "part__part_number"):
        level = levels.get((point.part_id, point.location_id))
        on_hand, reserved = (level.on_hand, level.reserved) if level else (0, 0)
        if on_hand - reserved < point.minimum:
            low.append(LowStock(point.part, point.location, on_hand, reserved, point.minimum))
    return low


def reserved_by_open_requests() -> list[dict]:
    """What open requests hold reserved, per request, part and location (net)."""
    rows = (
        StockMovement.objects.filter(
            request__is_open=True, kind__in=[MovementKind.RESERVE, MovementKind.UNRESERVE]
        )
        .values(
            "request_id",
            "request__number",
            "part_id",
            "part__part_number",
            "from_location_id",
            "from_location__name",
        )
        .annotate(
            held=Sum("quantity", filter=Q(kind=MovementKind.RESERVE), default=0)
            - Sum("quantity", filter=Q(kind=MovementKind.UNRESERVE), default=0)
        )
        .filter(held__gt=0)
        .order_by("request__number", "part__part_number")
    )
    return list(rows)


def parts_issued_to(request: ServiceRequest) -> list[IssuedPart]:
    """The parts used for ``request``, net of returns to stock: one line per serial unit
    for serial-tracked parts, one line per part otherwise (interface with charges)."""
    movements = StockMovement.objects.filter(
        request=request, kind__in=[MovementKind.ISSUE, MovementKind.RETURN]
    ).select_related("part", "serial_unit")
    net: dict[tuple[int, str], int] = defaultdict(int)
    parts: dict[int, SparePart] = {}
    for movement in movements.order_by("pk"):
        serial = movement.serial_unit.serial_number if movement.serial_unit else ""
        sign = 1 if movement.kind == MovementKind.ISSUE else -1
        net[(movement.part_id, serial)] += sign * movement.quantity
        parts[movement.part_id] = movement.part
    lines = []
    for (part_id, serial), quantity in sorted(
        net.items(), key=lambda item: (parts[item[0][0]].part_number, item[0][1])
    ):
        if quantity <= 0:
            continue
        part = parts[part_id]
        lines.append(
            IssuedPart(
                part_id=part_id,
                part_number=part.part_number,
                name=part.name,
                quantity=quantity,
                unit_cost=part.cost_price,
                unit_list=part.list_price,
                currency=part.currency,
                serial_number=serial,
            )
        )
    return lines


def bag_of(user) -> StockLocation | None:
    return StockLocation.objects.filter(kind="engineer_bag", engineer=user, active=True).first()


@dataclass(frozen=True)
class ProposedPart:
    part: SparePart
    in_bag: int  # free units in the engineer's bag
    elsewhere: int  # free units in every other location
    keywords: tuple[str, ...] = ()  # the part's symptom keywords found in the description
    used_before: int = 0  # requests on the same product model this part was issued to


# Commas of either script, and the enumeration comma, separate keywords.
KEYWORD_SEPARATORS = re.compile(r"[,，、;；\n]+")


def keywords_of(part: SparePart) -> list[str]:
    return [
        word.strip() for word in KEYWORD_SEPARATORS.split(part.symptom_keywords) if word.strip()
    ]


def matched_keywords(part: SparePart, description: str) -> tuple[str, ...]:
    """The part's keywords that appear in the symptom text, case-insensitively (a plain
    substring test: Chinese has no spaces between words)."""
    text = description.casefold()
    return tuple(word for word in keywords_of(part) if word.casefold() in text)


def used_before_on_model(*, part_ids, product_model_id: int, exclude: int | None) -> dict[int, int]:
    """Per part: how many requests on this product model it was issued to (other requests)."""
    rows = StockMovement.objects.filter(
        kind=MovementKind.ISSUE,
        part_id__in=part_ids,
        request__device__product_model_id=product_model_id,
    )
    if exclude is not None:
        rows = rows.exclude(request_id=exclude)
    counts = rows.values("part_id").annotate(n=Count("request_id", distinct=True))
    return {row["part_id"]: row["n"] for row in counts}


def proposed_parts(*, request: ServiceRequest, engineer=None) -> list[ProposedPart]:
    """Parts that fit the request's device model, the likeliest first (issue 5 §1): those
    whose symptom keywords appear in the request's description, then those in the
    engineer's bag, then those used before on this model, then by part number."""
    bag = bag_of(engineer) if engineer is not None else None
    parts = list(
        SparePart.objects.filter(active=True, product_models=request.device.product_model_id)
        .distinct()
        .order_by("part_number")
    )
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    levels = StockLevel.objects.filter(part__in=parts, location__active=True).values_list(
        "part_id", "location_id", "on_hand", "reserved"
    )
    for part_id, location_id, on_hand, reserved in levels:
        slot = 0 if bag is not None and location_id == bag.pk else 1
        totals[part_id][slot] += on_hand - reserved
    used = used_before_on_model(
        part_ids=[p.pk for p in parts],
        product_model_id=request.device.product_model_id,
        exclude=request.pk,
    )
    proposals = [
        ProposedPart(
            part,
            totals[part.pk][0],
            totals[part.pk][1],
            keywords=matched_keywords(part, request.description),
            used_before=used.get(part.pk, 0),
        )
        for part in parts
    ]
    return sorted(
        proposals,
        key=lambda p: (
            not p.keywords,
            p.in_bag <= 0,
            -p.used_before,
            -p.in_bag,
            p.part.part_number,
        ),
    )


@dataclass(frozen=True)
class ReservedLine:
    """What a request holds at one location: one line per unit for serial-tracked parts."""

    part: SparePart
    location: StockLocation
    quantity: int
    serial_number: str


def reserved_lines(request: ServiceRequest) -> list[ReservedLine]:
    """Everything ``request`` still holds reserved, net of releases (from the ledger)."""
    rows = list(
        StockMovement.objects.filter(
            request=request, kind__in=[MovementKind.RESERVE, MovementKind.UNRESERVE]
        )
        .values("part_id", "from_location_id", "serial_unit__serial_number")
        .annotate(
            held=Sum("quantity", filter=Q(kind=MovementKind.RESERVE), default=0)
            - Sum("quantity", filter=Q(kind=MovementKind.UNRESERVE), default=0)
        )
        .filter(held__gt=0)
        .order_by()
    )
    parts = SparePart.objects.in_bulk({row["part_id"] for row in rows})
    locations = StockLocation.objects.in_bulk({row["from_location_id"] for row in rows})
    lines = [
        ReservedLine(
            part=parts[row["part_id"]],
            location=locations[row["from_location_id"]],
            quantity=row["held"],
            serial_number=row["serial_unit__serial_number"] or "",
        )
        for row in rows
    ]
    return sorted(lines, key=lambda x: (x.part.part_number, x.location.name, x.serial_number))


def open_requests_of(engineer) -> QuerySet[ServiceRequest]:
    return (
        ServiceRequest.objects.open()
        .filter(engineers=engineer)
        .select_related("device__product_model", "hospital")
        .order_by("reported_at")
    )
