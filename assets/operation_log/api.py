"""API of the operation log: a device's entries (paged, newest first) and recording one.
The photo is taken on the phone page; the API records the rest."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from core.api import READ_ERRORS, WRITE_ERRORS, Id, Input, PageIn, page, page_of
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.permissions import require_perm

from ..models import (
    Device,
    OperationEvent,
    OperationLogEntry,
    OperationLogKind,
    StartupResult,
    UsageUnit,
)
from . import services
from .exports import operation_log_response

router = Router(tags=["installed base"])


class OperationLogIn(Input):
    kind: OperationLogKind = Field(description="startup_check, usage or event")
    result: StartupResult | None = Field(None, description="A start-up check: normal or abnormal")
    usage_value: Decimal | None = Field(
        None, ge=0, le=services.USAGE_MAX, description="Usage: the hours or counts read"
    )
    usage_unit: UsageUnit | None = Field(None, description="Usage: hours or counts")
    event: OperationEvent | None = Field(
        None, description="An event: power_cut, moved, dropped or other"
    )
    note: str = Field("", max_length=services.NOTE_MAX)


class OperationLogOut(Schema):
    id: int
    device_id: int
    kind: str
    result: str
    usage_value: Decimal | None
    usage_unit: str
    event: str
    note: str
    has_photo: bool
    recorded_by_id: int
    recorded_at: datetime

    @staticmethod
    def resolve_has_photo(obj: OperationLogEntry) -> bool:
        return bool(obj.photo)


@router.get(
    "/devices/{device_id}/operation-log",
    response={200: page_of(OperationLogOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def operation_log_list(request, device_id: Id, paging: Query[PageIn], output: Query[ExportQuery]):
    """The device's operation log, newest first."""
    device = get_object_or_404(
        Device.objects.for_user(request.user).select_related("hospital"), pk=device_id
    )
    entries = OperationLogEntry.objects.for_user(request.user).filter(device=device)
    entries = entries.order_by("-recorded_at", "-pk")
    if output.format:
        return operation_log_response(device, entries, fmt=output.format)
    return page(entries, paging)


@router.post("/devices/{device_id}/operation-log", response={201: OperationLogOut, **WRITE_ERRORS})
def operation_log_create(request, device_id: Id, payload: OperationLogIn):
    """Record an entry: the hospital's staff of the device only (403 for the vendor's staff).
    A start-up check needs ``result`` (and a ``note`` when abnormal); usage needs
    ``usage_value`` and ``usage_unit``; an event needs ``event`` (and a ``note`` for other)."""
    device = get_object_or_404(Device.objects.for_user(request.user), pk=device_id)
    require_perm(request, "assets.add_operationlogentry", device)
    data = payload.dict()
    entry = services.operation_log_record(
        device=device,
        recorded_by=request.user,
        kind=data["kind"],
        result=data["result"] or "",
        usage_value=data["usage_value"],
        usage_unit=data["usage_unit"] or "",
        event=data["event"] or "",
        note=data["note"],
    )
    return Status(201, entry)
