"""API: parts used in a repair (issue 5 §2).

``GET`` lists what was issued to the request (net of returns); ``POST`` uses a part: the
stock issue, the serial swap of a main component and the repair record's line in one go.
A request outside the caller's scope is 404; too little stock, a closed request, a missing
or signed record 409; bad input 422. The same ``Idempotency-Key`` twice records once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Field, Header, Router, Schema, Status
from ninja.errors import HttpError

from assets.models import ComponentFate, MainComponent
from core.api import READ_ERRORS, WRITE_ERRORS, ErrorOut, Id, Input, resolve
from core.errors import Conflict
from core.permissions import require_perm
from service.selectors import request_in_scope_or_404

from ..models import SparePart, StockLocation
from ..selectors import parts_issued_to
from ..services import NotEnoughStock, StockPowerDenied
from .services import repair_part_use

router = Router(tags=["spare parts"])
PATH = "/service-requests/{request_id}/parts-used"
USE_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}
API_NAMES = {
    "part": "part_id",
    "location": "location_id",
    "removed_component": "removed_component_id",
    "component": "removed_component_id",
}


class IssuedPartOut(Schema):
    part_id: int
    part_number: str
    name: str
    quantity: int
    serial_number: str
    unit_list: Decimal
    currency: str


class PartUseIn(Input):
    part_id: Id
    quantity: int = Field(1, ge=1, le=999)
    location_id: Id | None = None
    serial: str = Field("", max_length=100)
    removed_component_id: Id | None = None
    removed_serial: str = Field("", max_length=100)
    removal_fate: ComponentFate | None = None


class RecordLineOut(Schema):
    name: str
    quantity: int = 1
    serial_removed: str
    serial_fitted: str


class PartUseOut(Schema):
    movement_id: int
    line: RecordLineOut
    component_id: int | None
    replayed: bool


@router.get(PATH, response={200: list[IssuedPartOut], 403: ErrorOut, **READ_ERRORS})
def parts_used_list(request, request_id: Id):
    """The parts issued to the request, net of returns: one line per serial unit for main
    components, one per part otherwise."""
    service_request = request_in_scope_or_404(request.user, request_id)
    require_perm(request, "parts.view_sparepart")
    return parts_issued_to(service_request)


@router.post(PATH, response={201: PartUseOut, **USE_ERRORS})
def parts_used_create(
    request,
    request_id: Id,
    payload: PartUseIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    # a replaced main component's own warranty.
    """Use a part in the repair (default location: the caller's bag). For a main component
    give ``serial`` (fitted), ``removed_component_id`` or ``removed_serial``, and
    ``removal_fate``; its own warranty starts today in the hospital's zone."""
    service_request = request_in_scope_or_404(request.user, request_id)
    require_perm(request, "parts.add_stockmovement", service_request)
    part = resolve(SparePart.objects.for_user(request.user), payload.part_id, "part_id")
    location = resolve(
        StockLocation.objects.for_user(request.user), payload.location_id, "location_id"
    )
    removed = resolve(
        MainComponent.objects.filter(device=service_request.device),
        payload.removed_component_id,
        "removed_component_id",
    )
    try:
        use = repair_part_use(
            request=service_request,
            part=part,
            quantity=payload.quantity,
            user=request.user,
            location=location,
            serial=payload.serial,
            removed_component=removed,
            removed_serial=payload.removed_serial,
            removal_fate=payload.removal_fate.value if payload.removal_fate else "",
            idempotency_key=idempotency_key,
        )
    except StockPowerDenied as exc:
        raise HttpError(403, exc.message) from exc
    except NotEnoughStock as exc:
        raise Conflict("not_enough_stock", exc.text) from exc
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({API_NAMES.get(k, k): v for k, v in exc.error_dict.items()}) from exc
    return Status(
        201,
        {
            "movement_id": use.movement.pk,
            "line": use.line,
            "component_id": use.component.pk if use.component else None,
            "replayed": use.replayed,
        },
    )
