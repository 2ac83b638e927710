"""API: monthly return visits (回访, R-7.1) and their sheet.

``POST /return-visits`` adds a return visit for a department and a month (409 when the
department already has one that month); ``POST /return-visits/{id}/sheet`` records the
sheet; ``POST /return-visits/{id}/sign`` signs it as the vendor's engineer or the
hospital. Months are written ``YYYY-MM``. A bad field answers 422 at its path, e.g.
``["body", "devices", 1, "device_id"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from accounts.models import User, VendorRole
from core.api import (
    READ_ERRORS,
    SIGNATURE_DATA_URL_MAX,
    WRITE_ERRORS,
    Day,
    ErrorOut,
    Id,
    Input,
    LocatedValidationError,
    Month,
    PageIn,
    body_path,
    page,
    page_of,
    resolve,
    resolve_many,
)
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm
from core.signing import SignatureRole
from core.timeutil import local_today
from customers.models import Department

from . import services
from .exports import RETURN_VISITS
from .filters import ReturnVisitFilterSet
from .models import DeviceState, FindingKind, ReturnVisit
from .rules import SIGN_PERMS
from .selectors import display_state, return_visits_for

router = Router(tags=["return visits"])
CONFLICT_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}
T = TypeVar("T")

# Service field names -> what the client sent.
FIELD_NAMES = {"department": "department_id", "device": "device_id", "engineers": "engineer_ids"}


# --- schemas ------------------------------------------------------------------------------
class ReturnVisitIn(Input):
    department_id: Id
    month: Month = Field(description="YYYY-MM: this month or a later one")
    due_on: Day | None = Field(None, description="Within the month; default the usual day")
    engineer_ids: list[Id] | None = Field(
        None, description="Default: the dedicated engineers of the department's contracts"
    )


class ParticipantIn(Input):
    name: str = Field(max_length=100)
    role: str = Field("", max_length=100, description="e.g. 科室主任, 护士长")


class DeviceCheckIn(Input):
    device_id: Id
    state: DeviceState
    note: str = Field("", max_length=500)


class FindingIn(Input):
    device_id: Id
    kind: FindingKind = FindingKind.FAULT
    description: str = Field(min_length=1, max_length=5000)
    raise_request: bool = Field(False, description="Open a service request found on a visit")


class SheetIn(Input):
    visited_on: Day | None = Field(None, description="Default: the hospital's today")
    participants: list[ParticipantIn] = Field(description="At least one")
    devices: list[DeviceCheckIn] = Field(description="Every device of the department")
    training_given: str = Field("", max_length=5000)
    findings: list[FindingIn] = []
    satisfaction: int = Field(ge=1, le=5)
    comments: str = Field("", max_length=5000)


class SignIn(Input):
    role: SignatureRole
    signer_name: str = Field(min_length=1, max_length=100)
    signer_role: str = Field(
        "",
        max_length=100,
        description=(
            "hospital signing on a vendor user's device: the signer's position (required; "
            "the signature says it was given on the engineer's device)"
        ),
    )
    signature: str = Field(
        max_length=SIGNATURE_DATA_URL_MAX,
        description="signature_pad's toDataURL(): data:image/png;base64,…",
    )


class ParticipantOut(Schema):
    name: str
    role: str


class DeviceCheckOut(Schema):
    device_id: int
    serial_number: str
    state: str
    note: str


class FindingOut(Schema):
    id: int
    device_id: int
    kind: str
    description: str
    service_request_id: int | None
    service_request_number: str | None


class SignatureOut(Schema):
    role: str
    signer_name: str
    signer_role: str
    on_vendor_device: bool
    signed_at: datetime
    content_hash: str


class ReturnVisitOut(Schema):
    id: int
    hospital_id: int
    department_id: int
    department_name: str
    month: str
    due_on: date
    window_start: date
    window_end: date
    state: str
    display_state: str
    scheduled: bool
    engineer_ids: list[int]
    visited_on: date | None
    participants: list[ParticipantOut]
    devices: list[DeviceCheckOut]
    training_given: str
    findings: list[FindingOut]
    satisfaction: int | None
    comments: str
    recorded_at: datetime | None
    signatures: list[SignatureOut]
    frozen_at: datetime | None
    content_hash: str
    pdf_url: str | None


@filter_query(ReturnVisitFilterSet)
class ReturnVisitQuery(Input):
    """The filters of GET /return-visits."""


# --- helpers ------------------------------------------------------------------------------
def _month(text: str) -> date:
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def _call(function: Callable[..., T], **kwargs: Any) -> T:
    """Call a service; its ``ValidationError`` answers 422 at the field paths it names
    (``"devices.1.device"`` is ``["body", "devices", 1, "device_id"]``)."""
    try:
        return function(**kwargs)
    except ValidationError as exc:
        raise LocatedValidationError(exc, partial(body_path, names=FIELD_NAMES)) from exc


def _visits(request):
    return ReturnVisit.objects.for_user(request.user).select_related("hospital", "department")


def _with_sheet(visits):
    return visits.prefetch_related(
        "engineers", "participants", "device_checks__device", "findings__request", "signatures"
    )


def visit_body(visit: ReturnVisit, today: Day) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "hospital_id": visit.hospital_id,
        "department_id": visit.department_id,
        "department_name": visit.department.name,
        "month": visit.month.strftime("%Y-%m"),
        "due_on": visit.due_on,
        "window_start": visit.window_start,
        "window_end": visit.window_end,
        "state": visit.state,
        "display_state": display_state(visit, today),
        "scheduled": visit.scheduled,
        "engineer_ids": sorted(u.pk for u in visit.engineers.all()),
        "visited_on": visit.visited_on,
        "participants": [
            {"name": p.name, "role": p.role}
            for p in sorted(visit.participants.all(), key=lambda p: (p.position, p.pk))
        ],
        "devices": [
            {
                "device_id": c.device_id,
                "serial_number": c.device.serial_number,
                "state": c.state,
                "note": c.note,
            }
            for c in sorted(visit.device_checks.all(), key=lambda c: c.pk)
        ],
        "training_given": visit.training_given,
        "findings": [
            {
                "id": f.pk,
                "device_id": f.device_id,
                "kind": f.kind,
                "description": f.description,
                "service_request_id": f.request_id,
                "service_request_number": f.request.number if f.request is not None else None,
            }
            for f in sorted(visit.findings.all(), key=lambda f: (f.position, f.pk))
        ],
        "satisfaction": visit.satisfaction,
        "comments": visit.comments,
        "recorded_at": visit.recorded_at,
        "signatures": [
            {
                "role": s.role,
                "signer_name": s.signer_name,
                "signer_role": s.signer_role,
                "on_vendor_device": s.on_vendor_device,
                "signed_at": s.signed_at,
                "content_hash": s.content_hash,
            }
            for s in sorted(visit.signatures.all(), key=lambda s: (s.signed_at, s.pk))
        ],
        "frozen_at": visit.frozen_at,
        "content_hash": visit.content_hash,
        "pdf_url": reverse("return_visits:return_visit_pdf", args=[visit.pk])
        if visit.is_frozen
        else None,
    }


def _body(request, pk: int) -> dict[str, Any]:
    visit = get_object_or_404(_with_sheet(_visits(request)), pk=pk)
    return visit_body(visit, local_today(visit.hospital.time_zone))


# --- endpoints ----------------------------------------------------------------------------
@router.get(
    "/return-visits",
    response={200: page_of(ReturnVisitOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def return_visit_list(
    request, filters: Query[ReturnVisitQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """Paginated: overdue first, then the other open ones by due date, then the closed ones
    (the latest first)."""
    visits = api_filter(filters, return_visits_for(request.user), request=request)
    if output.format:
        return RETURN_VISITS.response(visits, fmt=output.format)
    result = page(_with_sheet(visits), paging)
    todays: dict[str, date] = {}
    result["items"] = [
        visit_body(v, todays.setdefault(v.hospital.time_zone, local_today(v.hospital.time_zone)))
        for v in result["items"]
    ]
    return result


@router.post("/return-visits", response={201: ReturnVisitOut, **CONFLICT_ERRORS})
def return_visit_create(request, payload: ReturnVisitIn):
    """Add a return visit for a department and a month by hand (409 when it has one)."""
    require_perm(request, "return_visits.add_returnvisit")
    department = resolve(
        Department.objects.for_user(request.user).select_related("hospital"),
        payload.department_id,
        "department_id",
    )
    engineers = None
    if payload.engineer_ids is not None:
        engineers = resolve_many(
            User.objects.filter(is_active=True, vendor_role=VendorRole.ENGINEER),
            payload.engineer_ids,
            "engineer_ids",
        )
    visit = _call(
        services.return_visit_create,
        department=department,
        month=_month(payload.month),
        due_on=payload.due_on,
        engineers=engineers,
        user=request.user,
    )
    return Status(201, _body(request, visit.pk))


@router.get("/return-visits/{return_visit_id}", response={200: ReturnVisitOut, **READ_ERRORS})
def return_visit_read(request, return_visit_id: Id):
    return _body(request, return_visit_id)


@router.post(
    "/return-visits/{return_visit_id}/sheet", response={200: ReturnVisitOut, **CONFLICT_ERRORS}
)
def return_visit_sheet(request, return_visit_id: Id, payload: SheetIn):
    """Record the sheet (设备回访单) while both sides have not signed; a content change
    withdraws a signature given before. 409 once signed by both or cancelled."""
    visit = get_object_or_404(_visits(request), pk=return_visit_id)
    require_perm(request, "return_visits.record_sheet", visit)
    _call(
        services.return_visit_record,
        visit=visit,
        user=request.user,
        visited_on=payload.visited_on,
        participants=[p.dict() for p in payload.participants],
        devices=[
            {"device": d.device_id, "state": d.state.value, "note": d.note} for d in payload.devices
        ],
        training_given=payload.training_given,
        findings=[
            {
                "device": f.device_id,
                "kind": f.kind.value,
                "description": f.description,
                "raise_request": f.raise_request,
            }
            for f in payload.findings
        ],
        satisfaction=payload.satisfaction,
        comments=payload.comments,
    )
    return _body(request, visit.pk)


@router.post(
    "/return-visits/{return_visit_id}/sign", response={201: ReturnVisitOut, **CONFLICT_ERRORS}
)
def return_visit_sign(request, return_visit_id: Id, payload: SignIn):
    """Sign the recorded sheet as the vendor's engineer or the hospital; the second side's
    signature freezes it and archives its PDF. 409 before the sheet is recorded."""
    visit = get_object_or_404(_visits(request), pk=return_visit_id)
    require_perm(request, SIGN_PERMS[payload.role.value], visit)
    _call(
        services.return_visit_sign,
        visit=visit,
        role=payload.role.value,
        signer_name=payload.signer_name,
        signer_role=payload.signer_role,
        signature_data_url=payload.signature,
        user=request.user,
    )
    return Status(201, _body(request, visit.pk))
