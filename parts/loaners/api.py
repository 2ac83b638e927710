"""API of the loaner units (issue 5 §3, §5; R-7.3), mounted under the parts router.

Vendor-internal like the rest of parts: hospital users get 403 on the list and create and
404 on a unit (outside their scope). An install of a unit that is not available answers
409 ``loaner_unavailable``; a request the caller cannot see is 422 on ``request_id``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

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
)
from core.errors import Conflict
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm
from service.models import ServiceRequest

from ..exports import LOANERS
from ..filters import LoanerFilterSet
from ..models import Loan, LoanerUnit, StockLocation
from . import services as loans

router = Router(tags=["loaner units"])
LIST_ERRORS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}
LOAN_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}
API_NAMES = {
    "product_model": "product_model_id",
    "location": "location_id",
    "request": "request_id",
}


def _api_names(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({API_NAMES.get(k, k): v for k, v in exc.error_dict.items()})


class LoanOut(Schema):
    id: int
    loaner_id: int
    request_id: int
    request_number: str
    hospital_id: int
    hospital_name: str
    department_id: int
    installed_at: datetime
    installed_by_id: int
    returned_at: datetime | None
    returned_by_id: int | None
    returned_to_id: int | None
    notes: str


class LoanerOut(Schema):
    id: int
    product_model_id: int
    serial_number: str
    asset_tag: str
    state: str
    location_id: int | None
    notes: str
    current_loan: LoanOut | None


class LoanerIn(Input):
    product_model_id: Id
    serial_number: str = Field(min_length=1, max_length=100)
    asset_tag: str = Field("", max_length=60)
    location_id: Id
    notes: str = ""


@filter_query(LoanerFilterSet)
class LoanerQuery(Input):
    """The filters of GET /loaners."""


class LoanerNoteIn(Input):
    note: str = Field("", max_length=500)


class BackInServiceIn(LoanerNoteIn):
    location_id: Id


class InstallIn(Input):
    request_id: Id
    installed_at: Moment | None = Field(None, description="Default now")
    late_reason: str = Field(
        "", max_length=2000, description="Required when installed_at is more than 15 min ago"
    )
    notes: str = ""


class ReturnIn(Input):
    location_id: Id | None = Field(None, description="Default: where the unit was taken from")
    returned_at: Moment | None = Field(None, description="Default now")
    notes: str = ""


def _loan_body(loan: Loan) -> dict:
    return {
        "id": loan.pk,
        "loaner_id": loan.loaner_id,
        "request_id": loan.request_id,
        "request_number": loan.request.number,
        "hospital_id": loan.hospital_id,
        "hospital_name": loan.hospital.name,
        "department_id": loan.department_id,
        "installed_at": loan.installed_at,
        "installed_by_id": loan.installed_by_id,
        "returned_at": loan.returned_at,
        "returned_by_id": loan.returned_by_id,
        "returned_to_id": loan.returned_to_id,
        "notes": loan.notes,
    }


def _loaner_body(unit: LoanerUnit) -> dict:
    loan = loans.current_loan(unit)
    return {
        "id": unit.pk,
        "product_model_id": unit.product_model_id,
        "serial_number": unit.serial_number,
        "asset_tag": unit.asset_tag,
        "state": unit.state,
        "location_id": unit.location_id,
        "notes": unit.notes,
        "current_loan": _loan_body(loan) if loan else None,
    }


def _fresh(unit: LoanerUnit) -> dict:
    return _loaner_body(loans.loaners_with_loan(LoanerUnit.objects.filter(pk=unit.pk)).get())


@router.get(
    "/loaners", response={200: page_of(LoanerOut), **LIST_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def loaner_list(
    request, filters: Query[LoanerQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """Every loaner unit with its state and, when on loan, where and since when."""
    require_perm(request, "parts.view_loanerunit")
    units = loans.loaners_with_loan(LoanerUnit.objects.for_user(request.user))
    units = api_filter(filters, units, request=request)
    if output.format:
        return LOANERS.response(units, fmt=output.format)
    result = page(units, paging)
    result["items"] = [_loaner_body(unit) for unit in result["items"]]
    return result


@router.post("/loaners", response={201: LoanerOut, **WRITE_ERRORS})
def loaner_create(request, payload: LoanerIn):
    """Register a vendor-owned unit (office staff)."""
    require_perm(request, "parts.add_loanerunit")
    product_model = resolve(
        ProductModel.objects.all(), payload.product_model_id, "product_model_id"
    )
    location = resolve(
        StockLocation.objects.for_user(request.user), payload.location_id, "location_id"
    )
    try:
        unit = loans.loaner_create(
            product_model=product_model,
            serial_number=payload.serial_number,
            asset_tag=payload.asset_tag,
            location=location,
            notes=payload.notes,
        )
    except ValidationError as exc:
        raise _api_names(exc) from exc
    return Status(201, _fresh(unit))


@router.post("/loaners/{loaner_id}/install", response={201: LoanerOut, **LOAN_ERRORS})
def loaner_install(request, loaner_id: Id, payload: InstallIn):
    """Install the unit at the request's hospital: records the request's
    ``loaner_installed`` step (it meets the ``restored`` milestone) and opens a loan."""
    unit = get_object_or_404(LoanerUnit.objects.for_user(request.user), pk=loaner_id)
    require_perm(request, "parts.add_loan", unit)
    service_request = resolve(
        ServiceRequest.objects.for_user(request.user), payload.request_id, "request_id"
    )
    try:
        loans.loaner_install(
            loaner=unit,
            request=service_request,
            user=request.user,
            installed_at=payload.installed_at,
            notes=payload.notes,
            late_reason=payload.late_reason,
        )
    except loans.LoanerUnavailable as exc:
        raise Conflict("loaner_unavailable", exc.text) from exc
    except ValidationError as exc:
        raise _api_names(exc) from exc
    return Status(201, _fresh(unit))


@router.post("/loaners/{loaner_id}/return", response={200: LoanerOut, **LOAN_ERRORS})
def loaner_return(request, loaner_id: Id, payload: ReturnIn):
    """The unit is back: close its open loan; 409 ``not_on_loan`` when it has none."""
    unit = get_object_or_404(LoanerUnit.objects.for_user(request.user), pk=loaner_id)
    require_perm(request, "parts.add_loan", unit)
    location = resolve(
        StockLocation.objects.for_user(request.user), payload.location_id, "location_id"
    )
    loan = loans.current_loan(unit)
    if loan is None:
        raise Conflict("not_on_loan", _("This loaner is not on loan."))
    try:
        loans.loaner_return(
            loan=loan,
            user=request.user,
            location=location,
            returned_at=payload.returned_at,
            notes=payload.notes,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "loan" in exc.error_dict:
            raise Conflict("not_on_loan", " ".join(exc.messages)) from exc
        raise _api_names(exc) from exc
    return _fresh(unit)


# --- state changes: a unit on loan or in the wrong state is a 409 -----------------
def _changed(request, loaner_id: Id, perm: str, change) -> dict:
    unit = get_object_or_404(LoanerUnit.objects.for_user(request.user), pk=loaner_id)
    require_perm(request, perm, unit)
    try:
        change(unit)
    except ValidationError as exc:
        raise _api_names(exc) from exc
    return _fresh(unit)


@router.post("/loaners/{loaner_id}/send-to-repair", response={200: LoanerOut, **LOAN_ERRORS})
def loaner_send_to_repair(request, loaner_id: Id, payload: LoanerNoteIn):
    """An available unit goes to the workshop; 409 ``on_loan`` (take it back first) or
    ``wrong_state``."""
    return _changed(
        request,
        loaner_id,
        "parts.change_loanerunit",
        lambda unit: loans.loaner_send_to_repair(loaner=unit, user=request.user, note=payload.note),
    )


@router.post("/loaners/{loaner_id}/back-in-service", response={200: LoanerOut, **LOAN_ERRORS})
def loaner_back_in_service(request, loaner_id: Id, payload: BackInServiceIn):
    """A unit in repair is available again at ``location_id`` (an active stock location);
    409 ``wrong_state`` when it is not in repair."""
    return _changed(
        request,
        loaner_id,
        "parts.change_loanerunit",
        lambda unit: loans.loaner_back_in_service(
            loaner=unit,
            location=resolve(
                StockLocation.objects.for_user(request.user), payload.location_id, "location_id"
            ),
            user=request.user,
            note=payload.note,
        ),
    )


@router.post("/loaners/{loaner_id}/retire", response={200: LoanerOut, **LOAN_ERRORS})
def loaner_retire(request, loaner_id: Id, payload: LoanerNoteIn):
    """The unit leaves the pool for good (office staff); 409 ``on_loan`` or
    ``wrong_state`` (already retired)."""
    return _changed(
        request,
        loaner_id,
        "parts.retire_loanerunit",
        lambda unit: loans.loaner_retire(loaner=unit, user=request.user, note=payload.note),
    )
