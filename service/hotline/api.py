"""API of the hotline desk (issue 13 §3): the call log, a call turned into a request, added
to an open request or solved by phone, who is calling from a number, complaints per
hospital. A hospital's users read their own hospital's calls; the desk is the vendor's."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from assets.models import Device
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
)
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm
from customers.models import Contact, Department, Hospital

from ..exports import CALLS
from ..filters import CallFilterSet
from ..models import Call, CallKind, ServiceRequest, Severity
from . import selectors, services

router = Router(tags=["hotline"])
ACTION_ERRORS = {**WRITE_ERRORS, 409: ErrorOut}


class CallIn(Input):
    kind: CallKind
    said: str = Field(min_length=1, max_length=5000, description="What the caller said")
    guidance: str = Field("", max_length=5000, description="The remote guidance given")
    started_at: Moment | None = Field(None, description="Default now; never in the future")
    ended_at: Moment | None = None
    caller_name: str = Field("", max_length=100)
    phone: str = Field("", max_length=60)
    hospital_id: Id | None = Field(None, description="Default: the device's or the contact's")
    department_id: Id | None = None
    device_id: Id | None = None
    contact_id: Id | None = None


class ToRequestIn(Input):
    severity: Severity = Severity.NORMAL
    force: bool = Field(
        False,
        description="Open a new request even though the device has an open one (else 409 "
        "`open_request_exists`)",
    )


class AddToRequestIn(Input):
    request_id: Id


class SolvedIn(Input):
    guidance: str = Field("", max_length=5000)


class CallOut(Schema):
    id: int
    kind: str
    outcome: str
    started_at: datetime
    ended_at: datetime | None
    caller_name: str
    phone: str
    hospital_id: int | None
    department_id: int | None
    device_id: int | None
    contact_id: int | None
    said: str
    guidance: str
    request_id: int | None
    request_number: str | None
    recorded_by: str


class ContactOut(Schema):
    id: int
    name: str
    title: str
    phone: str
    hospital_id: int
    hospital: str
    department_id: int | None
    department: str | None


class OpenRequestOut(Schema):
    id: int
    number: str
    status: str
    device_id: int
    department_id: int
    next_due_at: datetime | None


class CallerOut(Schema):
    contacts: list[ContactOut]
    open_requests: list[OpenRequestOut]


class ComplaintsOut(Schema):
    hospital_id: int
    hospital: str
    complaints: int
    open: int


class CallerQuery(Input):
    phone: str = Field("", max_length=60, description="Spaces, dashes, +86 allowed")


class ComplaintsQuery(Input):
    since: Moment | None = Field(None, description="Calls started at or after")
    until: Moment | None = Field(None, description="Calls started before")


@filter_query(CallFilterSet)
class CallQuery(Input):
    """The filters of GET /hotline/calls."""


def _body(call: Call) -> dict:
    return {
        "id": call.pk,
        "kind": call.kind,
        "outcome": call.outcome,
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "caller_name": call.caller_name,
        "phone": call.phone,
        "hospital_id": call.hospital_id,
        "department_id": call.department_id,
        "device_id": call.device_id,
        "contact_id": call.contact_id,
        "said": call.said,
        "guidance": call.guidance,
        "request_id": call.request_id,
        "request_number": call.request.number if call.request else None,
        "recorded_by": call.recorded_by.username,
    }


def _call(request, call_id: int) -> Call:
    return get_object_or_404(selectors.calls_for(request.user), pk=call_id)


@router.get(
    "/hotline/calls", response={200: page_of(CallOut), **READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def call_list(
    request, filters: Query[CallQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """Newest first. A hospital's users get their own hospital's calls."""
    calls = api_filter(filters, selectors.calls_for(request.user), request=request)
    if output.format:
        return CALLS.response(calls, fmt=output.format)
    result = page(calls, paging)
    result["items"] = [_body(c) for c in result["items"]]
    return result


@router.post("/hotline/calls", response={201: CallOut, **WRITE_ERRORS})
def call_create(request, payload: CallIn):
    """Log a call (the vendor's staff). Hospital, department, device and contact must be
    ones the caller sees; a device or contact gives the hospital when none is given."""
    require_perm(request, "service.add_call")
    user = request.user
    call = services.call_log(
        user=user,
        kind=payload.kind,
        said=payload.said,
        guidance=payload.guidance,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        caller_name=payload.caller_name,
        phone=payload.phone,
        hospital=resolve(Hospital.objects.for_user(user), payload.hospital_id, "hospital_id"),
        department=resolve(
            Department.objects.for_user(user), payload.department_id, "department_id"
        ),
        device=resolve(
            Device.objects.for_user(user).select_related("hospital", "department"),
            payload.device_id,
            "device_id",
        ),
        contact=resolve(Contact.objects.for_user(user), payload.contact_id, "contact_id"),
    )
    return Status(201, _body(_call(request, call.pk)))


@router.get("/hotline/calls/{call_id}", response={200: CallOut, **READ_ERRORS})
def call_read(request, call_id: Id):
    return _body(_call(request, call_id))


@router.post("/hotline/calls/{call_id}/to-request", response={200: CallOut, **ACTION_ERRORS})
def call_to_request(request, call_id: Id, payload: ToRequestIn):
    """Open a service request from the call in one step (channel hotline, reported at the
    call's start, the symptom what was said). 409 `open_request_exists` when the device
    already has an open request, unless `force`; sent again, the same request."""
    call = _call(request, call_id)
    require_perm(request, "service.change_call", call)
    services.call_open_request(
        call=call, user=request.user, severity=payload.severity, force=payload.force
    )
    return _body(_call(request, call_id))


@router.post("/hotline/calls/{call_id}/add-to-request", response={200: CallOut, **ACTION_ERRORS})
def call_add_to_request(request, call_id: Id, payload: AddToRequestIn):
    """Note the call on the timeline of an open request (a `call` step) instead of opening
    another one. Sent again, noted once."""
    call = _call(request, call_id)
    require_perm(request, "service.change_call", call)
    target = resolve(
        ServiceRequest.objects.for_user(request.user), payload.request_id, "request_id"
    )
    services.call_add_to_request(call=call, user=request.user, request=target)
    return _body(_call(request, call_id))


@router.post("/hotline/calls/{call_id}/solved-by-phone", response={200: CallOut, **ACTION_ERRORS})
def call_solved_by_phone(request, call_id: Id, payload: SolvedIn):
    """Close the call as solved by phone; with an open request, record its
    `remote_resolved` step (403 unless an engineer of the request or a manager)."""
    call = _call(request, call_id)
    require_perm(request, "service.change_call", call)
    services.call_solve_by_phone(call=call, user=request.user, guidance=payload.guidance)
    return _body(_call(request, call_id))


@router.get("/hotline/caller", response={200: CallerOut, **READ_ERRORS})
def caller_lookup(request, query: Query[CallerQuery]):
    """Who is calling from `phone` (spaces, dashes and +86 allowed): the contacts with that
    number, their hospital and department, and the open requests of that phone or those
    departments. The vendor's staff only."""
    require_perm(request, "service.add_call")
    caller = selectors.caller_lookup(user=request.user, text=query.phone.strip())
    return {
        "contacts": [
            {
                "id": c.pk,
                "name": c.name,
                "title": c.title,
                "phone": c.phone,
                "hospital_id": c.hospital_id,
                "hospital": c.hospital.name,
                "department_id": c.department_id,
                "department": c.department.name if c.department else None,
            }
            for c in caller.contacts
        ],
        "open_requests": [
            {
                "id": r.pk,
                "number": r.number,
                "status": r.status,
                "device_id": r.device_id,
                "department_id": r.department_id,
                "next_due_at": r.next_due_at,
            }
            for r in caller.open_requests
        ],
    }


@router.get("/hotline/complaints", response={200: list[ComplaintsOut], **READ_ERRORS})
def complaints(request, query: Query[ComplaintsQuery]):
    """Complaint calls counted per hospital (the hospitals the caller sees), most first."""
    return selectors.complaints_per_hospital(
        user=request.user, since=query.since, until=query.until
    )
