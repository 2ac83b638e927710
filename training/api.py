"""API: training plans, sessions and their attendance (R-2.1, R-2.2).

Training is free (R-2.1): no schema here has a price, fee or charge.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from contracts.models import Contract
from core.api import (
    READ_ERRORS,
    SIGNATURE_DATA_URL_MAX,
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
from core.api import resolve_many as resolve_all
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm
from customers.models import Department

from . import selectors, services
from .exports import PLANS, SESSIONS
from .filters import TrainingPlanFilterSet, TrainingSessionFilterSet
from .models import Attendance, SessionState, TrainingPlan, TrainingTopic

router = Router(tags=["training"])
User = get_user_model()
ATTENDANCE_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}
# The services name model fields; the API names the ids it takes.
API_NAMES = {
    "contract": "contract_id",
    "plan": "plan_id",
    "lecturer": "lecturer_id",
    "topics": "topic_ids",
    "audience_departments": "audience_department_ids",
    "department": "department_id",
}


def _api_names(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({API_NAMES.get(k, k): v for k, v in exc.error_dict.items()})


# --- schemas ----------------------------------------------------------------------------
class TrainingPlanIn(Input):
    contract_id: Id
    title: str = Field(min_length=1, max_length=200)
    notes: str = ""


class TrainingPlanOut(Schema):
    id: int
    contract_id: int
    contract_number: str
    hospital_id: int
    title: str
    notes: str
    session_count: int
    free_of_charge: bool = Field(True, description="Always true: training is free")

    @staticmethod
    def resolve_contract_number(obj: TrainingPlan) -> str:
        return obj.contract.number


@filter_query(TrainingPlanFilterSet)
class TrainingPlanQuery(Input):
    """The filters of GET /training-plans."""


class TrainingTopicOut(Schema):
    id: int
    key: str
    name_zh: str
    name_en: str
    standard: bool


class TrainingMaterialOut(Schema):
    id: int
    title: str
    filename: str
    url: str


class TrainingSessionIn(Input):
    plan_id: Id
    topic_ids: list[Id] = Field([], description="Standard (or saved) topics")
    topic_text: str = Field("", max_length=300, description="A free topic of this session")
    content: str = ""
    lecturer_id: Id = Field(description="A service manager or a service engineer")
    starts_at: Moment
    duration: timedelta = Field(description="ISO 8601, e.g. PT2H; at most 24 hours")
    place: str = Field(min_length=1, max_length=200)
    audience_department_ids: list[Id] = []


class TrainingSessionOut(Schema):
    id: int
    number: str
    plan_id: int
    contract_id: int
    hospital_id: int
    topics: list[TrainingTopicOut]
    topic_text: str
    content: str
    lecturer_id: int
    lecturer_name: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    duration: timedelta
    place: str
    audience_department_ids: list[int]
    state: SessionState
    has_sign_in_sheet: bool
    attendee_count: int
    materials: list[TrainingMaterialOut]
    free_of_charge: bool = Field(True, description="Always true: training is free")


@filter_query(TrainingSessionFilterSet)
class TrainingSessionQuery(Input):
    """The filters of GET /training-sessions."""


class TrainingAttendanceIn(Input):
    name: str = Field(min_length=1, max_length=100)
    department_id: Id | None = Field(None, description="A department of the session's hospital")
    department_text: str = Field("", max_length=100, description="When it is not in the list")
    role: str = Field("", max_length=100)
    signature: str | None = Field(
        None,
        max_length=SIGNATURE_DATA_URL_MAX,
        description="data:image/png;base64,... drawn on screen; may be empty only once the "
        "paper sign-in sheet is uploaded",
    )
    score: int | None = Field(None, ge=0, le=100, description="Assessment score 0-100")


class TrainingAttendancePatch(Input):
    score: int | None = Field(None, ge=0, le=100)


class TrainingAttendanceOut(Schema):
    id: int
    session_id: int
    certificate_no: str
    name: str
    department_id: int | None
    department_name: str
    role: str
    score: int | None
    method: str
    signed_at: AwareDatetime
    has_signature: bool
    content_hash: str
    certificate_url: str


# --- bodies -----------------------------------------------------------------------------
def _session_body(session) -> dict[str, Any]:
    lecturer = session.lecturer
    return {
        "id": session.pk,
        "number": session.number,
        "plan_id": session.plan_id,
        "contract_id": session.plan.contract_id,
        "hospital_id": session.hospital_id,
        "topics": list(session.topics.all()),
        "topic_text": session.topic_text,
        "content": session.content,
        "lecturer_id": lecturer.pk,
        "lecturer_name": lecturer.get_full_name() or lecturer.get_username(),
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "duration": session.duration,
        "place": session.place,
        "audience_department_ids": sorted(d.pk for d in session.audience_departments.all()),
        "state": session.state,
        "has_sign_in_sheet": bool(session.sign_in_sheet),
        "attendee_count": session.attendances.count(),
        "materials": [
            {
                "id": m.pk,
                "title": m.title,
                "filename": m.filename,
                "url": reverse("training:material_file", args=[m.pk]),
            }
            for m in session.materials.all()
        ],
    }


def _attendance_body(attendance: Attendance) -> dict[str, Any]:
    return {
        "id": attendance.pk,
        "session_id": attendance.session_id,
        "certificate_no": attendance.certificate_no,
        "name": attendance.name,
        "department_id": attendance.department_id,
        "department_name": attendance.department_name,
        "role": attendance.role,
        "score": attendance.score,
        "method": attendance.method,
        "signed_at": attendance.signed_at,
        "has_signature": bool(attendance.signature_image),
        "content_hash": attendance.content_hash,
        "certificate_url": reverse("training:attendance_certificate", args=[attendance.pk]),
    }


def _sessions(request):
    return selectors.sessions_for(request.user).prefetch_related(
        "audience_departments", "materials"
    )


# --- plans ------------------------------------------------------------------------------
@router.get(
    "/training-plans",
    response={200: page_of(TrainingPlanOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def plan_list(
    request, filters: Query[TrainingPlanQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    plans = api_filter(filters, selectors.plans_for(request.user), request=request)
    if output.format:
        return PLANS.response(plans, fmt=output.format)
    return page(plans, paging)


@router.post("/training-plans", response={201: TrainingPlanOut, **WRITE_ERRORS})
def plan_create(request, payload: TrainingPlanIn):
    """A training plan for a contract's equipment; its hospital is the contract's."""
    contract = resolve(Contract.objects.for_user(request.user), payload.contract_id, "contract_id")
    require_perm(request, "training.add_trainingplan", contract)
    try:
        plan = services.training_plan_create(
            contract=contract, title=payload.title, notes=payload.notes
        )
    except ValidationError as exc:
        raise _api_names(exc) from exc
    return Status(201, selectors.plans_for(request.user).get(pk=plan.pk))


@router.get("/training-plans/{training_plan_id}", response={200: TrainingPlanOut, **READ_ERRORS})
def plan_read(request, training_plan_id: Id):
    return get_object_or_404(selectors.plans_for(request.user), pk=training_plan_id)


# --- sessions ---------------------------------------------------------------------------
@router.get(
    "/training-sessions",
    response={200: page_of(TrainingSessionOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def session_list(
    request, filters: Query[TrainingSessionQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """Sessions in the caller's scope, by start; ``from``/``to`` are local days in the
    caller's zone."""
    sessions = api_filter(filters, _sessions(request).order_by("starts_at", "pk"), request=request)
    if output.format:
        return SESSIONS.response(sessions, fmt=output.format)
    result = page(sessions, paging)
    result["items"] = [_session_body(s) for s in result["items"]]
    return result


@router.post("/training-sessions", response={201: TrainingSessionOut, **WRITE_ERRORS})
def session_create(request, payload: TrainingSessionIn):
    # R-2.2 (the schedule); R-2.1 (free).
    """Plan a session. There is no price: training is free."""
    plan = resolve(TrainingPlan.objects.for_user(request.user), payload.plan_id, "plan_id")
    require_perm(request, "training.add_trainingsession", plan)
    lecturer = resolve(
        User.objects.filter(is_active=True).exclude(vendor_role=""),
        payload.lecturer_id,
        "lecturer_id",
    )
    topics = resolve_all(TrainingTopic.objects.filter(active=True), payload.topic_ids, "topic_ids")
    departments = resolve_all(
        Department.objects.filter(hospital_id=plan.hospital_id),
        payload.audience_department_ids,
        "audience_department_ids",
    )
    try:
        session = services.training_session_create(
            plan=plan,
            lecturer=lecturer,
            starts_at=payload.starts_at,
            duration=payload.duration,
            place=payload.place,
            topics=topics,
            topic_text=payload.topic_text,
            audience_departments=departments,
            content=payload.content,
        )
    except ValidationError as exc:
        raise _api_names(exc) from exc
    return Status(201, _session_body(_sessions(request).get(pk=session.pk)))


@router.get(
    "/training-sessions/{training_session_id}", response={200: TrainingSessionOut, **READ_ERRORS}
)
def session_read(request, training_session_id: Id):
    return _session_body(get_object_or_404(_sessions(request), pk=training_session_id))


# --- attendance -------------------------------------------------------------------------
@router.get(
    "/training-sessions/{training_session_id}/attendance",
    response={200: list[TrainingAttendanceOut], **READ_ERRORS},
)
def attendance_list(request, training_session_id: Id):
    session = get_object_or_404(_sessions(request), pk=training_session_id)
    return [_attendance_body(a) for a in selectors.attendances_of(session)]


@router.post(
    "/training-sessions/{training_session_id}/attendance",
    response={201: TrainingAttendanceOut, **ATTENDANCE_ERRORS},
)
def attendance_create(request, training_session_id: Id, payload: TrainingAttendanceIn):
    """An attendee signs in: with a signature, or without one once the paper sign-in sheet
    is uploaded. 409: the same name again, a cancelled session, before the session's day."""
    session = get_object_or_404(_sessions(request), pk=training_session_id)
    require_perm(request, "training.add_attendance", session)
    department = resolve(
        Department.objects.filter(hospital_id=session.hospital_id),
        payload.department_id,
        "department_id",
    )
    try:
        attendance = services.attendance_record(
            session=session,
            name=payload.name,
            department=department,
            department_text=payload.department_text,
            role=payload.role,
            signature_data_url=payload.signature,
            score=payload.score,
            recorded_by=request.user,
        )
    except ValidationError as exc:
        raise _api_names(exc) from exc
    return Status(201, _attendance_body(attendance))


@router.patch(
    "/training-sessions/{training_session_id}/attendance/{attendance_id}",
    response={200: TrainingAttendanceOut, **WRITE_ERRORS},
)
def attendance_patch(
    request, training_session_id: Id, attendance_id: Id, payload: TrainingAttendancePatch
):
    """Record (or clear) the short assessment's score after the session."""
    session = get_object_or_404(_sessions(request), pk=training_session_id)
    attendance = get_object_or_404(
        Attendance.objects.filter(session=session).select_related("department"),
        pk=attendance_id,
    )
    require_perm(request, "training.change_attendance", session)
    if "score" in payload.dict(exclude_unset=True):
        attendance = services.attendance_set_score(attendance=attendance, score=payload.score)
    return _attendance_body(attendance)
