"""API: maintenance plans and visits (issue 4 §6), an integration contract: keep these names.

A phone that sends a completion twice gets 409 the second time and nothing happens twice
(no second service request); the first answer already holds the done visit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from accounts.models import VendorRole
from assets.models import Device, ProductCategory, ProductModel
from contracts.models import Contract
from core.api import (
    API_FIELD_NAMES,
    READ_ERRORS,
    SIGNATURE_DATA_URL_MAX,
    WRITE_ERRORS,
    Day,
    ErrorOut,
    Id,
    Input,
    LocatedValidationError,
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

from . import selectors, services, visit_records
from .exports import VISITS, plans_response
from .filters import PlanFilterSet, VisitFilterSet
from .models import (
    ChecklistItemType,
    ContractPlanOverride,
    MaintenancePlanTemplate,
    Visit,
    VisitState,
)

router = Router(tags=["planned maintenance"])
User = get_user_model()
STATE_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}
PlanKind = Literal["patrol", "inspection", "overhaul"]
DisplayState = Literal["planned", "due", "overdue", "done", "awaiting_signature", "cancelled"]


# --- schemas -------------------------------------------------------------------------------


class ChecklistItemIn(Input):
    key: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=200)
    type: ChecklistItemType
    unit: str = Field("", max_length=20, description="number: the unit, e.g. µA")
    min: int | float | None = Field(None, description="number: lowest reading in limits")
    max: int | float | None = Field(None, description="number: highest reading in limits")
    safety: bool = Field(
        False,
        description="A safety item (electrical safety, alarms, self-test; pass/fail or "
        "number): failing it puts the device out of use",
    )


class ChecklistItemOut(Schema):
    key: str
    label: str
    type: str
    unit: str = ""
    min: int | float | None = None
    max: int | float | None = None
    safety: bool = False


class PlanIn(Input):
    """A plan template (for a product model, a category or, with neither, every device) or,
    with ``contract_id``, a contract's own numbers for one kind."""

    kind: PlanKind
    contract_id: Id | None = Field(
        None, description="Set: the contract's own numbers for ``kind`` (an override)"
    )
    product_model_id: Id | None = Field(None, description="Template: for this model")
    category: ProductCategory | None = Field(None, description="Template: for this category")
    interval_months: int | None = Field(None, ge=1, le=120, description="Default: the kind's")
    tolerance_days: int | None = Field(None, ge=0, le=366, description="± days; the kind's")
    checklist: list[ChecklistItemIn] | None = Field(None, description="Template: its items")


class PlanOut(Schema):
    id: int
    source: Literal["template", "contract"]
    kind: str
    product_model_id: int | None
    category: str
    contract_id: int | None
    interval_months: int
    tolerance_days: int
    checklist: list[ChecklistItemOut]
    active: bool


@filter_query(PlanFilterSet)
class PlanQuery(Input):
    """The filters of GET /maintenance-plans."""


@filter_query(VisitFilterSet)
class VisitQuery(Input):
    """The filters of GET /visits."""


class VisitSummaryOut(Schema):
    id: int
    key: str
    kind: str
    kinds: list[str]
    device_id: int
    hospital_id: int
    department_id: int
    contract_id: int | None
    due_on: date
    window_start: date
    window_end: date
    state: str
    display_state: DisplayState
    signed: bool
    done_at: datetime | None
    engineer_ids: list[int]


class ObligationOut(Schema):
    kind: str
    due_on: date
    fulfilled_at: datetime | None


class FindingOut(Schema):
    item_key: str
    request_id: int
    request_number: str


class PhotoOut(Schema):
    id: int
    item_key: str
    sha256: str
    uploaded_at: datetime
    uploaded_by_id: int


class VisitOut(VisitSummaryOut):
    reason: str
    created_by_id: int | None
    done_by_id: int | None
    signer_name: str
    signed_at: datetime | None
    checklist: list[ChecklistItemOut]
    results: dict[str, Any]
    obligations: list[ObligationOut]
    findings: list[FindingOut]
    photos: list[PhotoOut]


class CompleteIn(Input):
    results: dict[str, Any] = Field(
        default_factory=dict,
        description='Per checklist item key: a value ("pass"/"fail"/true/false, a number, '
        'a text) or {"value", "note"}',
    )
    signer_name: str = Field("", max_length=100, description="The hospital's signer")
    signature: str = Field(
        "",
        max_length=SIGNATURE_DATA_URL_MAX,
        description="data:image/png;base64,… With signer_name: signed at once; with "
        "neither: done, awaiting the hospital's signature",
    )
    raise_requests_for: list[str] = Field(
        [], description="Failed items or out-of-limit readings that open a service request"
    )


class SignIn(Input):
    signer_name: str = Field("", max_length=100)
    signature: str = Field(
        "", max_length=SIGNATURE_DATA_URL_MAX, description="data:image/png;base64,…"
    )


class SpecialIn(Input):
    device_id: Id
    reason: str = Field(min_length=1, max_length=2000, description="What is abnormal")
    due_on: Day | None = Field(None, description="Default: today in the hospital's zone")
    engineer_ids: list[Id] | None = Field(
        None, description="Default: the contract's dedicated engineers"
    )


# --- helpers -------------------------------------------------------------------------------


def _body_loc(renames: dict[str, str] | None = None) -> Callable[[str], list[str | int]]:
    """A service's field, located in the body under the API's name."""
    names = API_FIELD_NAMES | (renames or {})
    return lambda field: (
        ["body"] if field == NON_FIELD_ERRORS else ["body", names.get(field, field)]
    )


def _checklist_errors(problems: list[services.ChecklistProblem]) -> LocatedValidationError:
    """Each problem of a template's checklist at its item (and the item's field)."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        key = ".".join(
            str(part) for part in ("checklist", problem.index, problem.field) if part != ""
        )
        errors.setdefault(key, []).append(problem.message)
    return LocatedValidationError(errors)


def _state_conflict(exc: ValidationError) -> bool:
    return set(getattr(exc, "error_dict", {})) == {"state"}


def _conflict(visit: Visit) -> Conflict:
    current = Visit.objects.get(pk=visit.pk)
    if current.state == VisitState.DONE and current.is_signed:
        return Conflict(
            "visit_signed", _("This visit is already done and signed: nothing was changed.")
        )
    if current.state == VisitState.DONE:
        return Conflict(
            "visit_done", _("This visit is already done (awaiting the hospital's signature).")
        )
    if current.state == VisitState.CANCELLED:
        return Conflict("visit_cancelled", _("This visit was cancelled."))
    return Conflict("visit_not_done", _("This visit is not done yet: complete it first."))


def _template_out(template: MaintenancePlanTemplate) -> dict[str, Any]:
    return {
        "id": template.pk,
        "source": "template",
        "kind": template.kind,
        "product_model_id": template.product_model_id,
        "category": template.category,
        "contract_id": None,
        "interval_months": template.interval_months,
        "tolerance_days": template.tolerance_days,
        "checklist": template.checklist,
        "active": template.active,
    }


def _override_out(override: ContractPlanOverride) -> dict[str, Any]:
    return {
        "id": override.pk,
        "source": "contract",
        "kind": override.kind,
        "product_model_id": None,
        "category": "",
        "contract_id": override.contract_id,
        "interval_months": override.interval_months,
        "tolerance_days": override.tolerance_days,
        "checklist": [],
        "active": True,
    }


def _visits(request):
    return selectors.visits_for(request.user)


def _summary(visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "key": visit.key,
        "kind": visit.main_kind,
        "kinds": visit.kinds,
        "device_id": visit.device_id,
        "hospital_id": visit.hospital_id,
        "department_id": visit.department_id,
        "contract_id": visit.contract_id,
        "due_on": visit.due_on,
        "window_start": visit.window_start,
        "window_end": visit.window_end,
        "state": visit.state,
        "display_state": selectors.visit_display_state(visit),
        "signed": visit.is_signed,
        "done_at": visit.done_at,
        "engineer_ids": sorted(user.pk for user in visit.engineers.all()),
    }


def visit_body(visit_id: Id, user) -> dict[str, Any]:
    """The whole visit as the API shows it."""
    visit = get_object_or_404(
        selectors.visits_for(user).prefetch_related("obligations", "findings__request", "photos"),
        pk=visit_id,
    )
    return _summary(visit) | {
        "reason": visit.reason,
        "created_by_id": visit.created_by_id,
        "done_by_id": visit.done_by_id,
        "signer_name": visit.signer_name,
        "signed_at": visit.signed_at,
        "checklist": selectors.checklist_for(visit),
        "results": visit.results,
        "obligations": [
            {"kind": o.kind, "due_on": o.due_on, "fulfilled_at": o.fulfilled_at}
            for o in visit.obligations.all()
        ],
        "findings": [
            {"item_key": f.item_key, "request_id": f.request_id, "request_number": f.request.number}
            for f in visit.findings.all()
        ],
        "photos": [
            {
                "id": p.pk,
                "item_key": p.item_key,
                "sha256": p.sha256,
                "uploaded_at": p.uploaded_at,
                "uploaded_by_id": p.uploaded_by_id,
            }
            for p in visit.photos.all()
        ],
    }


# --- plans ---------------------------------------------------------------------------------


@router.get(
    "/maintenance-plans",
    response={200: page_of(PlanOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def maintenance_plan_list(
    request, filters: Query[PlanQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """The plan templates (every signed-in user: they are the vendor's catalogue) and the
    contracts' own numbers (of the contracts the caller sees). ``product_model_id`` lists
    templates only, ``contract_id`` a contract's numbers only."""
    templates = MaintenancePlanTemplate.objects.order_by("kind", "pk")
    overrides = ContractPlanOverride.objects.filter(
        contract__in=Contract.objects.for_user(request.user)
    ).order_by("contract_id", "kind", "pk")
    templates = api_filter(filters, templates, request=request)
    overrides = api_filter(filters, overrides, request=request)
    if output.format:
        return plans_response(templates, overrides, fmt=output.format)
    plans = [_template_out(t) for t in templates] + [_override_out(o) for o in overrides]
    return page(plans, paging)


@router.post("/maintenance-plans", response={201: PlanOut, **WRITE_ERRORS})
def maintenance_plan_create(request, payload: PlanIn):
    """A template (it replaces the active one of its kind and target, kept inactive), or
    with ``contract_id`` the contract's own numbers for ``kind`` (set or changed). The next
    daily generation applies either to future untouched visits. Vendor admins and managers."""
    require_perm(request, "maintenance.change_plan")
    if payload.contract_id is not None:
        misplaced = [
            name
            for name in ("product_model_id", "category", "checklist")
            if getattr(payload, name) is not None
        ]
        if misplaced:
            message = _("Only a template has this; a contract sets its numbers.")
            raise LocatedValidationError(
                {name: ValidationError(message, code="not_for_contract") for name in misplaced}
            )
        contract = resolve(
            Contract.objects.for_user(request.user), payload.contract_id, "contract_id"
        )
        try:
            override = services.contract_plan_override_set(
                contract=contract,
                kind=payload.kind,
                interval_months=payload.interval_months,
                tolerance_days=payload.tolerance_days,
            )
        except ValidationError as exc:
            raise LocatedValidationError(exc, _body_loc()) from None
        return Status(201, _override_out(override))
    items = [item.dict(exclude_none=True) for item in payload.checklist or []]
    if not items:
        message = _("A template needs at least one checklist item.")
        raise LocatedValidationError({"checklist": ValidationError(message, code="missing")})
    if problems := services.checklist_problems(items):
        raise _checklist_errors(problems)
    product_model = resolve(
        ProductModel.objects.for_user(request.user), payload.product_model_id, "product_model_id"
    )
    try:
        template = services.plan_template_create(
            kind=payload.kind,
            product_model=product_model,
            category=payload.category or "",
            interval_months=payload.interval_months,
            tolerance_days=payload.tolerance_days,
            checklist=items,
        )
    except ValidationError as exc:
        raise LocatedValidationError(exc, _body_loc()) from None
    return Status(201, _template_out(template))


# --- visits --------------------------------------------------------------------------------


@router.get(
    "/visits", response={200: page_of(VisitSummaryOut), **READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def visit_list(
    request, filters: Query[VisitQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """The visits the caller sees, by due date; ``state`` "overdue" is judged on each
    hospital's own today."""
    visits = api_filter(filters, selectors.visits_for(request.user), request=request)
    if output.format:
        return VISITS.response(visits, fmt=output.format)
    result = page(visits, paging)
    result["items"] = [_summary(v) for v in result["items"]]
    return result


@router.post("/visits/special", response={201: VisitOut, **WRITE_ERRORS})
def visit_special_create(request, payload: SpecialIn):
    # a special inspection when something abnormal shows.
    """An ad-hoc special inspection of a device (when something abnormal shows), with
    the device's inspection checklist; vendor technical staff."""
    device = resolve(
        Device.objects.for_user(request.user).select_related("hospital"),
        payload.device_id,
        "device_id",
    )
    require_perm(request, "maintenance.create_special_visit", device)
    engineers = resolve_many(
        User.objects.filter(
            is_active=True,
            vendor_role__in=[VendorRole.ENGINEER, VendorRole.MANAGER, VendorRole.ADMIN],
        ),
        payload.engineer_ids or [],
        "engineer_ids",
    )
    try:
        visit = services.visit_special_create(
            device=device,
            user=request.user,
            reason=payload.reason,
            due_on=payload.due_on,
            engineers=engineers,
        )
    except ValidationError as exc:
        raise LocatedValidationError(exc, _body_loc({"engineers": "engineer_ids"})) from None
    return Status(201, visit_body(visit.pk, request.user))


@router.get("/visits/{visit_id}", response={200: VisitOut, **READ_ERRORS})
def visit_read(request, visit_id: Id):
    return visit_body(visit_id, request.user)


@router.post("/visits/{visit_id}/complete", response={200: VisitOut, **STATE_ERRORS})
def visit_complete(request, visit_id: Id, payload: CompleteIn):
    """Record the results (and, with signer_name and signature, the hospital's signature).
    422 locates a bad result at ["body", "results", item key]; 409 when the visit is no
    longer planned (a second submit): nothing is recorded twice."""
    visit = get_object_or_404(_visits(request), pk=visit_id)
    require_perm(request, "maintenance.complete_visit", visit)
    try:
        visit_records.visit_complete(
            visit=visit,
            user=request.user,
            results=payload.results,
            signer_name=payload.signer_name,
            signature_data_url=payload.signature,
            raise_requests_for=payload.raise_requests_for,
        )
    except ValidationError as exc:
        if _state_conflict(exc):
            raise _conflict(visit) from None
        item_keys = {item["key"] for item in selectors.checklist_for(visit)}
        body = _body_loc()

        def loc_of(field: str) -> list[str | int]:
            return ["body", "results", field] if field in item_keys else body(field)

        raise LocatedValidationError(exc, loc_of) from None
    return visit_body(visit_id, request.user)


@router.post("/visits/{visit_id}/sign", response={200: VisitOut, **STATE_ERRORS})
def visit_sign(request, visit_id: Id, payload: SignIn):
    # the customer confirms each maintenance record by signing it.
    """The hospital's confirmation of a done visit; then it is frozen. 409 when it
    is not done or already signed."""
    visit = get_object_or_404(_visits(request), pk=visit_id)
    require_perm(request, "maintenance.sign_visit", visit)
    try:
        visit_records.visit_sign(
            visit=visit,
            user=request.user,
            signer_name=payload.signer_name,
            signature_data_url=payload.signature,
        )
    except ValidationError as exc:
        if _state_conflict(exc):
            raise _conflict(visit) from None
        raise LocatedValidationError(exc, _body_loc()) from None
    return visit_body(visit_id, request.user)
