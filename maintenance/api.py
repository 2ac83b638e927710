"""API: maintenance plans and visits (issue 4 §6), an integration contract: keep these names.

A phone that sends a completion twice gets 409 the second time and nothing happens twice
(no second service request); the first answer already holds the done visit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal, NoReturn

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError

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
    PageIn,
    page,
    page_of,
    resolve,
    resolve_many,
)
from core.errors import Conflict
from core.permissions import require_perm

from . import selectors, services, visit_records
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
VisitStateFilter = Literal["planned", "done", "cancelled", "overdue", "awaiting_signature"]
DisplayState = Literal["planned", "due", "overdue", "done", "awaiting_signature", "cancelled"]


# --- schemas -------------------------------------------------------------------------------


class ChecklistItemIn(Input):
    key: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=200)
    type: ChecklistItemType
    unit: str = Field("", max_length=20, description="number: the unit, e.g. µA")
    min: int | float | None = Field(None, description="number: lowest reading in limits")
    max: int | float | None = Field(None, description="number: highest reading in limits")


class ChecklistItemOut(Schema):
    key: str
    label: str
    type: str
    unit: str = ""
    min: int | float | None = None
    max: int | float | None = None


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


class PlanFilter(Input):
    kind: PlanKind | None = None
    product_model_id: Id | None = Field(None, description="Templates of this model only")
    contract_id: Id | None = Field(None, description="This contract's numbers only")


class VisitFilter(Input):
    due_from: Day | None = Field(None, description="Due on or after (the hospital's dates)")
    due_to: Day | None = Field(None, description="Due on or before")
    state: VisitStateFilter | None = Field(
        None, description="planned includes overdue; done includes awaiting_signature"
    )
    hospital_id: Id | None = None
    engineer_id: Id | None = None
    device_id: Id | None = None


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


def _reraise(exc: ValidationError, loc_of: Callable[[str], list[str | int]]) -> NoReturn:
    """A service's field errors as 422 items at the API's own field paths."""
    if not hasattr(exc, "error_dict"):
        raise exc
    raise NinjaValidationError(
        [
            {"loc": loc_of(field), "msg": " ".join(error.messages), "type": error.code or "invalid"}
            for field, errors in exc.error_dict.items()
            for error in errors
        ]
    ) from None


def _body_loc(renames: dict[str, str] | None = None) -> Callable[[str], list[str | int]]:
    names = API_FIELD_NAMES | (renames or {})
    return lambda field: ["body", names.get(field, field)]


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


@router.get("/maintenance-plans", response={200: page_of(PlanOut), **READ_ERRORS})
def maintenance_plan_list(request, filters: Query[PlanFilter], paging: Query[PageIn]):
    """The plan templates (every signed-in user: they are the vendor's catalogue) and the
    contracts' own numbers (of the contracts the caller sees). ``product_model_id`` lists
    templates only, ``contract_id`` a contract's numbers only."""
    templates = MaintenancePlanTemplate.objects.order_by("kind", "pk")
    overrides = ContractPlanOverride.objects.filter(
        contract__in=Contract.objects.for_user(request.user)
    ).order_by("contract_id", "kind", "pk")
    if filters.kind:
        templates = templates.filter(kind=filters.kind)
        overrides = overrides.filter(kind=filters.kind)
    if filters.product_model_id is not None:
        templates = templates.filter(product_model_id=filters.product_model_id)
        overrides = overrides.none()
    if filters.contract_id is not None:
        templates = templates.none()
        overrides = overrides.filter(contract_id=filters.contract_id)
    plans = [_template_out(t) for t in templates] + [_override_out(o) for o in overrides]
    limit, offset = max(1, min(paging.limit, 500)), max(0, paging.offset)
    return {
        "count": len(plans),
        "limit": limit,
        "offset": offset,
        "items": plans[offset : offset + limit],
    }


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
            raise NinjaValidationError(
                [
                    {
                        "loc": ["body", name],
                        "msg": _("Only a template has this; a contract sets its numbers."),
                        "type": "not_for_contract",
                    }
                    for name in misplaced
                ]
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
            _reraise(exc, _body_loc())
        return Status(201, _override_out(override))
    items = [item.dict(exclude_none=True) for item in payload.checklist or []]
    problems = services.checklist_problems(items)
    if not items or problems:
        raise NinjaValidationError(
            [
                {
                    "loc": ["body", "checklist", p.index, *([p.field] if p.field else [])],
                    "msg": p.message,
                    "type": "invalid",
                }
                for p in problems
            ]
            or [
                {
                    "loc": ["body", "checklist"],
                    "msg": _("A template needs at least one checklist item."),
                    "type": "missing",
                }
            ]
        )
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
        _reraise(exc, _body_loc())
    return Status(201, _template_out(template))


# --- visits --------------------------------------------------------------------------------


@router.get("/visits", response={200: page_of(VisitSummaryOut), **READ_ERRORS})
def visit_list(request, filters: Query[VisitFilter], paging: Query[PageIn]):
    """The visits the caller sees, by due date; ``state`` "overdue" is judged on each
    hospital's own today."""
    if filters.due_from and filters.due_to and filters.due_from > filters.due_to:
        raise ValidationError({"due_from": _("The start is after the end.")})
    visits = selectors.visits_for(
        request.user,
        due_from=filters.due_from,
        due_to=filters.due_to,
        state=filters.state,
        engineer=filters.engineer_id,
        hospital=filters.hospital_id,
        device=filters.device_id,
    )
    result = page(visits, limit=paging.limit, offset=paging.offset)
    result["items"] = [_summary(v) for v in result["items"]]
    return result


@router.post("/visits/special", response={201: VisitOut, **WRITE_ERRORS})
def visit_special_create(request, payload: SpecialIn):
    """An ad-hoc special inspection of a device (R-4.1: when something abnormal shows), with
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
        _reraise(exc, _body_loc({"engineers": "engineer_ids"}))
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
        _reraise(
            exc,
            lambda field: ["body", "results", field] if field in item_keys else ["body", field],
        )
    return visit_body(visit_id, request.user)


@router.post("/visits/{visit_id}/sign", response={200: VisitOut, **STATE_ERRORS})
def visit_sign(request, visit_id: Id, payload: SignIn):
    """The hospital's confirmation of a done visit (R-2.4); then it is frozen. 409 when it
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
        _reraise(exc, _body_loc())
    return visit_body(visit_id, request.user)
