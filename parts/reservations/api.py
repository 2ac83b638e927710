"""API: the parts of one service request (issue 5 §1, §5): what is proposed for its symptom
and device, what it holds reserved, what was issued to it. Vendor-internal: a request outside
the caller's scope is 404, then hospital users are refused (403)."""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema

from core.api import READ_ERRORS, ErrorOut, Id
from core.permissions import require_perm
from service.selectors import request_in_scope_or_404

from .. import selectors
from . import services as dispatch

router = Router(tags=["spare parts"])
ERRORS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}


class ProposedOut(Schema):
    part_id: int
    part_number: str
    name: str
    keywords: list[str]
    used_before: int
    in_bag: int
    elsewhere: int
    is_main_component: bool


class ReservedOut(Schema):
    part_id: int
    part_number: str
    name: str
    location_id: int
    location_name: str
    quantity: int
    serial: str


class IssuedOut(Schema):
    part_id: int
    part_number: str
    name: str
    quantity: int
    serial: str


class RequestPartsOut(Schema):
    engineer_id: int | None
    proposed: list[ProposedOut]
    reserved: list[ReservedOut]
    issued: list[IssuedOut]


@router.get("/service-requests/{request_id}/parts", response={200: RequestPartsOut, **ERRORS})
def request_parts(request, request_id: Id):
    """Proposals rank the parts that fit the device's model: symptom keywords found in the
    description first, then those in the first engineer's bag, then those used before on
    this model, then by part number."""
    service_request = request_in_scope_or_404(request.user, request_id)
    require_perm(request, "parts.view_sparepart")
    engineer = dispatch.dispatch_engineer(service_request)
    proposals = selectors.proposed_parts(request=service_request, engineer=engineer)
    return {
        "engineer_id": engineer.pk if engineer else None,
        "proposed": [
            {
                "part_id": p.part.pk,
                "part_number": p.part.part_number,
                "name": p.part.name,
                "keywords": list(p.keywords),
                "used_before": p.used_before,
                "in_bag": p.in_bag,
                "elsewhere": p.elsewhere,
                "is_main_component": p.part.is_main_component,
            }
            for p in proposals
        ],
        "reserved": [
            {
                "part_id": line.part.pk,
                "part_number": line.part.part_number,
                "name": line.part.name,
                "location_id": line.location.pk,
                "location_name": line.location.name,
                "quantity": line.quantity,
                "serial": line.serial_number,
            }
            for line in selectors.reserved_lines(service_request)
        ],
        "issued": [
            {
                "part_id": line.part_id,
                "part_number": line.part_number,
                "name": line.name,
                "quantity": line.quantity,
                "serial": line.serial_number,
            }
            for line in selectors.parts_issued_to(service_request)
        ],
    }
