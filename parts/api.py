"""API: the parts catalogue, stock locations, levels and movements (issue 5 §5).

Vendor-internal: hospital users get 403 on every operation (docs/decisions.md). A
movement the caller's role may not make (an engineer's write-off, another engineer's bag)
answers 403 saying why; one that asks for more than is free 409 ``not_enough_stock``; bad
input, more than ``MAX_MOVEMENT_QUANTITY`` units included, 422 with field paths; the same
``Idempotency-Key`` twice from the same user records the movement once."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.errors import HttpError

from accounts.models import VendorRole
from assets.models import ProductModel
from core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    Id,
    Input,
    Moment,
    PageIn,
    page,
    page_of,
    resolve,
    resolve_many,
)
from core.errors import Conflict
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm
from service.models import ServiceRequest

from . import selectors, services
from .exports import MOVEMENTS, PARTS, STOCK, locations_response
from .filters import MovementFilterSet, PartFilterSet, StockFilterSet
from .models import (
    MAX_MOVEMENT_QUANTITY,
    LocationKind,
    MovementKind,
    SparePart,
    StockLevel,
    StockLocation,
    StockMovement,
)

router = Router(tags=["spare parts"])
User = get_user_model()
VENDOR_READ_ERRORS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}
MOVEMENT_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}
# Services name fields as models do; the API speaks ``<name>_id``.
API_NAMES = {
    "location": "location_id",
    "from_location": "from_location_id",
    "to_location": "to_location_id",
    "request": "request_id",
    "part": "part_id",
    "engineer": "engineer_id",
    "product_models": "product_model_ids",
}


def _api_names(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({API_NAMES.get(k, k): v for k, v in exc.error_dict.items()})


class PartIn(Input):
    part_number: str = Field(min_length=1, max_length=60)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    product_model_ids: list[Id] = []
    symptom_keywords: str = Field(
        "", max_length=300, description="Comma-separated words of a fault report, e.g. 黑屏"
    )
    is_main_component: bool = False
    unit: str = Field("pcs", min_length=1, max_length=20)
    cost_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    list_price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("CNY", min_length=3, max_length=3)
    active: bool = True


class PartOut(Schema):
    id: int
    part_number: str
    name_zh: str
    name_en: str
    product_model_ids: list[int]
    symptom_keywords: str
    is_main_component: bool
    unit: str
    cost_price: Decimal
    list_price: Decimal
    currency: str
    active: bool


@filter_query(PartFilterSet)
class PartQuery(Input):
    """The filters of GET /parts."""


class LocationIn(Input):
    kind: LocationKind
    name: str = Field(min_length=1, max_length=120)
    engineer_id: Id | None = None
    active: bool = True


class LocationOut(Schema):
    id: int
    kind: str
    name: str
    engineer_id: int | None
    active: bool


class StockOut(Schema):
    part_id: int
    part_number: str
    location_id: int
    location_name: str
    on_hand: int
    reserved: int
    available: int
    minimum: int | None
    is_low: bool


@filter_query(StockFilterSet)
class StockQuery(Input):
    """The filters of GET /stock."""


@filter_query(MovementFilterSet)
class MovementQuery(Input):
    """The filters of GET /stock-movements."""


class MovementIn(Input):
    kind: MovementKind
    part_id: Id
    quantity: int | None = Field(
        None,
        ge=1,
        le=MAX_MOVEMENT_QUANTITY,
        description=f"All kinds but count_correction; 1 to {MAX_MOVEMENT_QUANTITY}",
    )
    counted: int | None = Field(
        None,
        ge=0,
        description="count_correction: units counted (at most "
        f"{MAX_MOVEMENT_QUANTITY} more or fewer than the books)",
    )
    location_id: Id | None = Field(None, description="Every kind but transfer")
    from_location_id: Id | None = Field(None, description="transfer")
    to_location_id: Id | None = Field(None, description="transfer")
    request_id: Id | None = Field(None, description="reserve, unreserve, issue, return")
    serial: str = Field("", max_length=100, description="Serial-tracked parts: the unit")
    occurred_at: Moment | None = Field(None, description="Default now")
    note: str = Field("", max_length=500)


class MovementOut(Schema):
    id: int
    kind: str
    part_id: int
    quantity: int
    from_location_id: int | None
    to_location_id: int | None
    request_id: int | None
    serial: str
    occurred_at: datetime
    recorded_at: datetime
    note: str


class MovementResultOut(Schema):
    movement: MovementOut | None = Field(description="None: the count matched the books")
    levels: list[StockOut]


def _part_body(part: SparePart) -> dict:
    return {
        **{f: getattr(part, f) for f in PartOut.model_fields if f not in {"product_model_ids"}},
        "product_model_ids": sorted(pm.pk for pm in part.product_models.all()),
    }


def _level_body(level: StockLevel) -> dict:
    return {
        "part_id": level.part_id,
        "part_number": level.part.part_number,
        "location_id": level.location_id,
        "location_name": level.location.name,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "available": level.available,
        "minimum": getattr(level, "minimum", None),
        "is_low": bool(getattr(level, "is_low", False)),
    }


def _movement_body(movement: StockMovement) -> dict:
    return {
        "id": movement.pk,
        "kind": movement.kind,
        "part_id": movement.part_id,
        "quantity": movement.quantity,
        "from_location_id": movement.from_location_id,
        "to_location_id": movement.to_location_id,
        "request_id": movement.request_id,
        "serial": movement.serial_unit.serial_number if movement.serial_unit else "",
        "occurred_at": movement.occurred_at,
        "recorded_at": movement.recorded_at,
        "note": movement.note,
    }


# --- catalogue ----------------------------------------------------------------------------
@router.get(
    "/parts", response={200: page_of(PartOut), **VENDOR_READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def part_list(
    request, filters: Query[PartQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    require_perm(request, "parts.view_sparepart")
    scoped = SparePart.objects.for_user(request.user).prefetch_related("product_models")
    parts = api_filter(filters, scoped, request=request)
    if output.format:
        return PARTS.response(parts, fmt=output.format)
    result = page(parts, paging)
    result["items"] = [_part_body(p) for p in result["items"]]
    return result


@router.post("/parts", response={201: PartOut, **WRITE_ERRORS})
def part_create(request, payload: PartIn):
    require_perm(request, "parts.add_sparepart")
    models = resolve_many(
        ProductModel.objects.all(), payload.product_model_ids, "product_model_ids"
    )
    fields = payload.dict(exclude={"product_model_ids"})
    try:
        part = services.part_create(product_models=models, **fields)
    except ValidationError as exc:
        raise _api_names(exc) from exc
    return Status(201, _part_body(part))


# --- locations ----------------------------------------------------------------------------
@router.get(
    "/stock-locations",
    response={200: page_of(LocationOut), **VENDOR_READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def location_list(request, paging: Query[PageIn], output: Query[ExportQuery]):
    require_perm(request, "parts.view_stocklevel")
    locations = StockLocation.objects.for_user(request.user)
    if output.format:
        return locations_response(locations, fmt=output.format)
    return page(locations, paging)


@router.post("/stock-locations", response={201: LocationOut, **WRITE_ERRORS})
def location_create(request, payload: LocationIn):
    require_perm(request, "parts.add_stocklocation")
    engineer = resolve(
        User.objects.filter(is_active=True, vendor_role=VendorRole.ENGINEER),
        payload.engineer_id,
        "engineer_id",
    )
    try:
        location = services.stock_location_create(
            kind=payload.kind, name=payload.name, engineer=engineer, active=payload.active
        )
    except ValidationError as exc:
        raise _api_names(exc) from exc
    return Status(201, location)


# --- stock --------------------------------------------------------------------------------
@router.get(
    "/stock", response={200: page_of(StockOut), **VENDOR_READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def stock_list(
    request, filters: Query[StockQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """Levels per part and location; ``is_low`` when free stock is under the reorder point."""
    require_perm(request, "parts.view_stocklevel")
    levels = api_filter(filters, selectors.stock_levels(), request=request)
    if output.format:
        return STOCK.response(levels, fmt=output.format)
    result = page(levels, paging)
    result["items"] = [_level_body(level) for level in result["items"]]
    return result


@router.get(
    "/stock-movements",
    response={200: page_of(MovementOut), **VENDOR_READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def movement_list(
    request, filters: Query[MovementQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """The stock ledger, the latest movement first."""
    require_perm(request, "parts.view_stocklevel")
    movements = api_filter(filters, selectors.stock_movements(), request=request)
    if output.format:
        return MOVEMENTS.response(movements, fmt=output.format)
    result = page(movements, paging)
    result["items"] = [_movement_body(movement) for movement in result["items"]]
    return result


@router.post("/stock-movements", response={201: MovementResultOut, **MOVEMENT_ERRORS})
def movement_create(
    request,
    payload: MovementIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """One movement; its ``kind`` says which fields it needs: ``transfer`` from/to
    locations, ``count_correction`` ``counted``, the rest ``location_id``; reserve,
    unreserve, issue and return a ``request_id``. The office records every kind; an
    engineer moves only their own bag (to and from a store, issue and return for their
    requests); receive, write_off and count_correction are the office's."""
    require_perm(request, "parts.add_stockmovement")
    locations = StockLocation.objects.for_user(request.user)
    part = resolve(SparePart.objects.for_user(request.user), payload.part_id, "part_id")
    places = {
        name: resolve(locations, getattr(payload, f"{name}_id"), f"{name}_id")
        for name in ("location", "from_location", "to_location")
    }
    service_request = resolve(
        ServiceRequest.objects.for_user(request.user), payload.request_id, "request_id"
    )
    try:
        movement = services.stock_movement_record(
            kind=payload.kind,
            part=part,
            user=request.user,
            quantity=payload.quantity,
            counted=payload.counted,
            request=service_request,
            serial=payload.serial,
            occurred_at=payload.occurred_at,
            note=payload.note,
            idempotency_key=idempotency_key,
            **places,
        )
    except services.StockPowerDenied as exc:
        raise HttpError(403, exc.message) from exc
    except services.NotEnoughStock as exc:
        raise Conflict("not_enough_stock", exc.text) from exc
    except ValidationError as exc:
        raise _api_names(exc) from exc
    touched = [place.pk for place in places.values() if place is not None]
    levels = selectors.stock_levels().filter(part=part, location_id__in=touched)
    return Status(
        201,
        {
            "movement": _movement_body(movement) if movement else None,
            "levels": [_level_body(level) for level in levels],
        },
    )


# Loaner units have their own module; they share this router's mount point.
from .loaners import api as loan_api  # noqa: E402
from .repair import api as repair_api  # noqa: E402
from .reservations import api as request_api  # noqa: E402

router.add_router("", loan_api.router)
router.add_router("", repair_api.router)
router.add_router("", request_api.router)
