"""API of the duty roster (R-6.2): shifts (read by vendor staff, planned by the office),
swaps, the gaps, and "who is on duty now" for a hospital.

The roster is the vendor's business: a hospital's users are refused everything except
``/duty/now`` for their own hospital (another hospital is a 404)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from accounts.models import User
from core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    Id,
    Input,
    LocatedValidationError,
    Moment,
    PageIn,
    page,
    page_of,
    resolve,
)
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.permissions import require_perm
from customers.models import Hospital, ServiceRegion
from customers.scoping import scope_for

from . import selectors, services
from .exports import shifts_response, swaps_response
from .models import Shift, ShiftRole, ShiftSwap

router = Router(tags=["duty"])


class PersonOut(Schema):
    id: int
    name: str
    phone: str


def _person(user: User) -> dict:
    return {"id": user.pk, "name": str(user), "phone": user.phone}


class ShiftOut(Schema):
    id: int
    region_id: int
    role: ShiftRole
    user_id: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    note: str
    generated: bool

    @staticmethod
    def resolve_generated(obj: Shift) -> bool:
        return obj.slot_id is not None


class ShiftQuery(Input):
    region_id: Id | None = None
    user_id: Id | None = None
    starts_before: Moment | None = Field(None, description="Shifts that start before this.")
    ends_after: Moment | None = Field(None, description="Shifts that end after this.")


class ShiftIn(Input):
    region_id: Id
    role: ShiftRole
    user_id: Id
    starts_at: Moment
    ends_at: Moment
    note: str = Field("", max_length=200)


class ShiftPatch(Input):
    user_id: Id | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    note: str | None = Field(None, max_length=200)


class SwapIn(Input):
    to_user_id: Id
    other_shift_id: Id | None = Field(
        None, description="One of the colleague's shifts; none: a hand-over."
    )
    note: str = Field("", max_length=200)


class SwapOut(Schema):
    id: int
    shift_id: int
    other_shift_id: int | None
    proposed_by_id: int
    to_user_id: int
    state: str
    note: str


class GapOut(Schema):
    region_id: int
    role: ShiftRole
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    minutes: int


class OnDutyOut(Schema):
    hospital_id: int
    region_id: int
    region: str
    at: AwareDatetime
    engineers: list[PersonOut]
    manager: PersonOut | None


class OnDutyQuery(Input):
    hospital_id: Id | None = Field(
        None, description="Required for vendor staff; a hospital's user gets their own."
    )


API_NAMES = {"user": "user_id", "to_user": "to_user_id", "other_shift": "other_shift_id",
             "region": "region_id", "shift": "shift_id"}  # fmt: skip


def _located(exc: ValidationError) -> ValidationError:
    """The services name model fields; the API's bodies name ``<field>_id``."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {API_NAMES.get(field, field): errors for field, errors in exc.error_dict.items()}
    )


def _vendor_people():
    return User.objects.filter(is_active=True).exclude(vendor_role="")


@router.get(
    "/duty/shifts", response={200: page_of(ShiftOut), **READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def shift_list(
    request, filters: Query[ShiftQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """Shifts by start; vendor staff only."""
    require_perm(request, "duty.view_shift")
    shifts = Shift.objects.for_user(request.user).order_by("starts_at", "pk")
    if filters.region_id:
        shifts = shifts.filter(region_id=filters.region_id)
    if filters.user_id:
        shifts = shifts.filter(user_id=filters.user_id)
    if filters.starts_before:
        shifts = shifts.filter(starts_at__lt=filters.starts_before)
    if filters.ends_after:
        shifts = shifts.filter(ends_at__gt=filters.ends_after)
    if output.format:
        return shifts_response(shifts, fmt=output.format)
    return page(shifts, paging)


@router.post("/duty/shifts", response={201: ShiftOut, **WRITE_ERRORS})
def shift_create(request, payload: ShiftIn):
    require_perm(request, "duty.add_shift")
    region = resolve(ServiceRegion.objects.all(), payload.region_id, "region_id")
    user = resolve(_vendor_people(), payload.user_id, "user_id")
    try:
        shift = services.shift_create(
            region=region,
            role=payload.role,
            user=user,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            note=payload.note,
            by=request.user,
        )
    except ValidationError as exc:
        raise _located(exc) from exc
    return Status(201, shift)


@router.patch("/duty/shifts/{shift_id}", response={200: ShiftOut, **WRITE_ERRORS})
def shift_patch(request, shift_id: Id, payload: ShiftPatch):
    shift = get_object_or_404(Shift.objects.for_user(request.user), pk=shift_id)
    require_perm(request, "duty.change_shift", shift)
    data = payload.dict(exclude_unset=True)
    if "note" in data and data["note"] is None:
        data["note"] = ""
    for field in ("starts_at", "ends_at"):
        if field in data and data[field] is None:
            raise ValidationError({field: _("This field is required.")})
    if "user_id" in data:
        data["user"] = resolve(_vendor_people(), data.pop("user_id"), "user_id")
        if data["user"] is None:
            raise ValidationError({"user_id": _("This field is required.")})
    try:
        return services.shift_update(shift=shift, by=request.user, **data)
    except ValidationError as exc:
        raise _located(exc) from exc


@router.post("/duty/shifts/{shift_id}/swaps", response={201: SwapOut, **WRITE_ERRORS})
def swap_propose(request, shift_id: Id, payload: SwapIn):
    """Offer one's shift to a colleague (in exchange for one of theirs, or a hand-over)."""
    shift = get_object_or_404(Shift.objects.for_user(request.user), pk=shift_id)
    require_perm(request, "duty.propose_swap", shift)
    to_user = resolve(_vendor_people(), payload.to_user_id, "to_user_id")
    other = resolve(Shift.objects.all(), payload.other_shift_id, "other_shift_id")
    try:
        swap = services.shift_swap_propose(
            shift=shift, by=request.user, to_user=to_user, other_shift=other, note=payload.note
        )
    except ValidationError as exc:
        raise _located(exc) from exc
    return Status(201, swap)


@router.get(
    "/duty/swaps", response={200: page_of(SwapOut), **READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def swap_list(request, paging: Query[PageIn], output: Query[ExportQuery]):
    require_perm(request, "duty.view_shift")
    swaps = ShiftSwap.objects.for_user(request.user).order_by("-created_at", "-pk")
    if output.format:
        return swaps_response(swaps, fmt=output.format)
    return page(swaps, paging)


def _swap(request, swap_id: int) -> ShiftSwap:
    return get_object_or_404(ShiftSwap.objects.for_user(request.user), pk=swap_id)


@router.post("/duty/swaps/{swap_id}/accept", response={200: SwapOut, **WRITE_ERRORS})
def swap_accept(request, swap_id: Id):
    return services.shift_swap_accept(swap=_swap(request, swap_id), by=request.user)


@router.post("/duty/swaps/{swap_id}/decline", response={200: SwapOut, **WRITE_ERRORS})
def swap_decline(request, swap_id: Id):
    """The colleague declines, the proposer withdraws, a manager refuses."""
    return services.shift_swap_decline(swap=_swap(request, swap_id), by=request.user)


@router.post("/duty/swaps/{swap_id}/approve", response={200: SwapOut, **WRITE_ERRORS})
def swap_approve(request, swap_id: Id):
    swap = _swap(request, swap_id)
    require_perm(request, "duty.approve_swap", swap)
    try:
        return services.shift_swap_approve(swap=swap, by=request.user)
    except ValidationError as exc:
        raise _located(exc) from exc


@router.get("/duty/gaps", response={200: list[GapOut], **READ_ERRORS})
def gap_list(request, region_id: Id | None = None):
    """The roster gaps of the next 60 days, per region and role (merged intervals)."""
    require_perm(request, "duty.view_shift")
    regions = None
    if region_id is not None:
        regions = list(ServiceRegion.objects.filter(pk=region_id))
    now = timezone.now()
    found = selectors.roster_gaps(now=now, regions=regions)
    return [
        {
            "region_id": gap.region_id,
            "role": gap.role,
            "starts_at": max(gap.starts_at, now),
            "ends_at": gap.ends_at,
            "minutes": int((gap.ends_at - max(gap.starts_at, now)).total_seconds() // 60),
        }
        for gaps in found.values()
        for gap in gaps
    ]


@router.get("/duty/now", response={200: OnDutyOut, **READ_ERRORS})
def on_duty_now(request, filters: Query[OnDutyQuery]):
    """Who is on duty now for a hospital: the engineers and the manager of its region."""
    hospital_id = filters.hospital_id
    if hospital_id is None:
        own = scope_for(request.user).visible_hospital_ids
        if scope_for(request.user).all_hospitals or len(own) != 1:
            raise LocatedValidationError(
                {"hospital_id": _("This field is required.")}, lambda field: ["query", field]
            )
        (hospital_id,) = own
    hospital = get_object_or_404(
        Hospital.objects.for_user(request.user).select_related("region"), pk=hospital_id
    )
    found = selectors.on_duty(hospital=hospital)
    return {
        "hospital_id": hospital.pk,
        "region_id": found.region.pk,
        "region": found.region.name,
        "at": found.at,
        "engineers": [_person(u) for u in found.engineers],
        "manager": _person(found.manager) if found.manager else None,
    }
