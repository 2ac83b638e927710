"""API: service requests and their timeline (an integration contract: keep these names)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status

from accounts.models import VendorRole
from assets.models import Device
from contracts.reasons import coverage_reason_text
from contracts.selectors import device_coverage
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
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm

from . import selectors, services
from .exports import REQUESTS
from .filters import BoardFilterSet
from .models import (
    Channel,
    FaultCause,
    ServiceEvent,
    ServiceRequest,
    ServiceRequestQuerySet,
    Severity,
)
from .timeline import MANUAL_STEPS, EventType, PauseReason

router = Router(tags=["service requests"])
User = get_user_model()
EVENT_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}


class RequestIn(Input):
    device_id: Id
    severity: Severity = Severity.NORMAL
    reported_at: Moment | None = Field(
        None, description="When the vendor was notified; default now; never in the future"
    )
    channel: Channel = Channel.API
    description: str = Field(min_length=1, max_length=5000)
    reporter_name: str = Field("", max_length=100)
    reporter_phone: str = Field("", max_length=60)


class RequestPatch(Input):
    fault_cause: FaultCause


class EventIn(Input):
    type: EventType = Field(
        description="customer_signed is recorded by signing the repair record, not here"
    )
    occurred_at: Moment | None = Field(None, description="Default now; ≤ 5 min ahead")
    late_reason: str = Field(
        "",
        max_length=2000,
        description=(
            "Required when occurred_at is more than 15 minutes ago: why the step is recorded "
            "only now. Such a step meets no promise until a manager confirms it."
        ),
    )
    reason: PauseReason | None = Field(None, description="paused: why the clock stops")
    note: str = Field("", max_length=2000)
    engineer_ids: list[Id] | None = Field(None, description="dispatched: who goes")
    parts: list[str] = Field([], description="dispatched: parts to carry")


class ConfirmLateIn(Input):
    note: str = Field("", max_length=2000)


class RootCauseIn(Input):
    cause: str = Field(min_length=1)
    measures: str = Field(min_length=1)
    explained_to: str = Field(min_length=1, max_length=200)
    explained_at: Moment


class CoverageOut(Schema):
    cover: str
    ends_at: datetime | None
    parts: str
    labor: str
    travel: str
    reason: str


class EventOut(Schema):
    id: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None
    data: dict[str, Any]
    recorded_late: bool = Field(description="dated more than 15 minutes before it was recorded")
    late_reason: str
    confirmed_by: str | None = Field(description="the manager who confirmed a late step")
    confirmed_at: datetime | None


class MilestoneOut(Schema):
    key: str
    name: str
    target_seconds: int
    due_at: datetime | None
    met_at: datetime | None
    paused_seconds: int
    state: str
    at_risk: bool


class RequestOut(Schema):
    id: int
    number: str
    status: str
    severity: str
    channel: str
    reported_at: datetime
    device_id: int
    hospital_id: int
    department_id: int
    description: str
    reporter_name: str
    reporter_phone: str
    fault_cause: str
    engineer_ids: list[int]
    next_due_at: datetime | None
    coverage: CoverageOut
    events: list[EventOut]
    milestones: list[MilestoneOut]
    repair_record_pdf_url: str | None = Field(
        description="The signed repair record's PDF; null until the customer has signed "
        "(before that there is no PDF to fetch)"
    )


class RequestSummaryOut(Schema):
    id: int
    number: str
    status: str
    severity: str
    reported_at: datetime
    device_id: int
    hospital_id: int
    next_due_at: datetime | None
    milestones: list[MilestoneOut]


@filter_query(BoardFilterSet)
class RequestQuery(Input):
    """The filters of GET /service-requests (the dispatch board's)."""


def _milestones(request: ServiceRequest, now) -> list[dict]:
    names = {m.key: m.name for m in request.policy.milestones.all()}
    return [
        {
            "key": m.key,
            "name": names.get(m.key, m.key),
            "target_seconds": m.target_seconds,
            "due_at": m.due_at,
            "met_at": m.met_at,
            "paused_seconds": m.paused_seconds,
            "state": m.state.value,
            "at_risk": m.at_risk,
        }
        for m in selectors.request_clock(request, now=now)
    ]


def _event_body(event: ServiceEvent) -> dict:
    confirmation = getattr(event, "confirmation", None)
    return {
        "id": event.pk,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "actor": event.actor.username if event.actor else None,
        "data": event.data,
        "recorded_late": event.recorded_late,
        "late_reason": event.late_reason,
        "confirmed_by": confirmation.confirmed_by.username if confirmation else None,
        "confirmed_at": confirmation.confirmed_at if confirmation else None,
    }


def _record_pdf_url(request: ServiceRequest) -> str | None:
    """The signed record's PDF; none before the customer signed (no link to a 404)."""
    record = getattr(request, "repair_record", None)
    if record is None or not record.is_frozen:
        return None
    return reverse("records:record_pdf", args=[request.pk])


def request_body(request: ServiceRequest) -> dict:
    """The whole request as the API shows it, its promises as of now."""
    now = timezone.now()
    device = request.device
    answer = device_coverage(device=device, at=request.reported_at, cause=request.fault_cause)
    events = request.events.select_related("actor", "confirmation__confirmed_by").order_by(
        "occurred_at", "pk"
    )
    return {
        "id": request.pk,
        "number": request.number,
        "status": request.status,
        "severity": request.severity,
        "channel": request.channel,
        "reported_at": request.reported_at,
        "device_id": request.device_id,
        "hospital_id": request.hospital_id,
        "department_id": request.department_id,
        "description": request.description,
        "reporter_name": request.reporter_name,
        "reporter_phone": request.reporter_phone,
        "fault_cause": request.fault_cause,
        "engineer_ids": sorted(u.pk for u in request.engineers.all()),
        "next_due_at": request.next_due_at,
        "coverage": {
            "cover": answer.cover.value,
            "ends_at": answer.ends_at,
            "parts": answer.parts.value,
            "labor": answer.labor.value,
            "travel": answer.travel.value,
            "reason": coverage_reason_text(answer, request.hospital.time_zone),
        },
        "events": [_event_body(e) for e in events],
        "milestones": _milestones(request, now),
        "repair_record_pdf_url": _record_pdf_url(request),
    }


def _requests(request):
    return ServiceRequest.objects.for_user(request.user).select_related(
        "device__hospital", "hospital", "policy__calendar"
    )


@router.post("/service-requests", response={201: RequestOut, **WRITE_ERRORS})
def service_request_create(request, payload: RequestIn):
    device = resolve(
        Device.objects.for_user(request.user).select_related("hospital"),
        payload.device_id,
        "device_id",
    )
    require_perm(request, "service.add_servicerequest", device)
    created = services.service_request_open(
        device=device,
        severity=payload.severity,
        channel=payload.channel,
        description=payload.description,
        reported_at=payload.reported_at,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        recorded_by=request.user,
    )
    return Status(201, request_body(_requests(request).get(pk=created.pk)))


@router.get(
    "/service-requests",
    response={200: page_of(RequestSummaryOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def service_request_list(
    request, filters: Query[RequestQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """Paginated, nearest open deadline first."""
    now = timezone.now()
    requests = api_filter(filters, _requests(request), request=request, now=now)
    if output.format:
        return REQUESTS.response(requests, fmt=output.format)
    # The board's order without the joins the HTML board needs: the API shows ids only.
    board = selectors.dispatch_board(requests=cast(ServiceRequestQuerySet, requests))
    board = board.select_related(None)
    board = board.prefetch_related(None).prefetch_related("milestones")
    result = page(board, paging)
    result["items"] = [
        {
            "id": r.pk,
            "number": r.number,
            "status": r.status,
            "severity": r.severity,
            "reported_at": r.reported_at,
            "device_id": r.device_id,
            "hospital_id": r.hospital_id,
            "next_due_at": r.next_due_at,
            "milestones": [
                {
                    "key": m.key,
                    "name": m.name,
                    "target_seconds": m.target_seconds,
                    "due_at": m.due_at,
                    "met_at": m.met_at,
                    "paused_seconds": m.paused_seconds,
                    "state": state,
                    "at_risk": at_risk,
                }
                for m in r.milestones.all()
                for state, at_risk in [selectors.milestone_live_state(m, now=now)]
            ],
        }
        for r in result["items"]
    ]
    return result


@router.get("/service-requests/{request_id}", response={200: RequestOut, **READ_ERRORS})
def service_request_read(request, request_id: Id):
    return request_body(get_object_or_404(_requests(request), pk=request_id))


@router.patch("/service-requests/{request_id}", response={200: RequestOut, **WRITE_ERRORS})
def service_request_patch(request, request_id: Id, payload: RequestPatch):
    """Classify the fault cause (it decides the charges; it may change)."""
    service_request = get_object_or_404(_requests(request), pk=request_id)
    require_perm(request, "service.change_servicerequest", service_request)
    services.service_request_set_fault_cause(request=service_request, cause=payload.fault_cause)
    return request_body(_requests(request).get(pk=request_id))


@router.post("/service-requests/{request_id}/events", response={201: RequestOut, **EVENT_ERRORS})
def service_request_event(
    request,
    request_id: Id,
    payload: EventIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Record one step; 409 when it contradicts the timeline (the same step again with
    nothing in between included), and nothing changes; 403 when the caller does not record
    this step (arrivals, solutions and repairs: an engineer the request is dispatched to).
    The same ``Idempotency-Key`` twice records the step once."""
    service_request = get_object_or_404(_requests(request), pk=request_id)
    require_perm(request, "service.add_serviceevent", service_request)
    if payload.type not in MANUAL_STEPS:
        raise ValidationError(
            {"type": _("The customer's signature is recorded by signing the repair record.")}
        )
    engineers = None
    if payload.engineer_ids is not None:
        engineers = resolve_many(
            User.objects.filter(is_active=True, vendor_role=VendorRole.ENGINEER),
            payload.engineer_ids,
            "engineer_ids",
        )
    services.service_request_record_event(
        request=service_request,
        type=payload.type,
        occurred_at=payload.occurred_at,
        actor=request.user,
        data={"reason": payload.reason, "note": payload.note, "parts": payload.parts},
        engineers=engineers,
        idempotency_key=idempotency_key,
        late_reason=payload.late_reason,
    )
    return Status(201, request_body(_requests(request).get(pk=request_id)))


@router.post(
    "/service-requests/{request_id}/events/{event_id}/confirm",
    response={200: RequestOut, **EVENT_ERRORS},
)
def service_request_event_confirm(request, request_id: Id, event_id: Id, payload: ConfirmLateIn):
    """A manager confirms a step recorded late, so that it may meet its promise (409 for a
    step recorded in time). Confirming twice changes nothing."""
    service_request = get_object_or_404(_requests(request), pk=request_id)
    event = get_object_or_404(service_request.events.all(), pk=event_id)
    require_perm(request, "service.confirm_late_step", service_request)
    services.service_event_confirm_late(event=event, manager=request.user, note=payload.note)
    return request_body(_requests(request).get(pk=request_id))


@router.put("/service-requests/{request_id}/root-cause", response={200: RequestOut, **WRITE_ERRORS})
def service_request_root_cause(request, request_id: Id, payload: RootCauseIn):
    #
    """The root-cause report of an emergency."""
    service_request = get_object_or_404(_requests(request), pk=request_id)
    require_perm(request, "service.add_rootcausereport", service_request)
    services.root_cause_report_save(request=service_request, author=request.user, **payload.dict())
    return request_body(_requests(request).get(pk=request_id))
