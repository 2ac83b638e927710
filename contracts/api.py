"""API: contracts, maintenance agreements, and the coverage of a device."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from accounts.models import VendorRole
from assets.models import Device, MainComponent
from core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    Day,
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
from customers.models import Hospital

from . import services
from .coverage import Cause, Cover, Pricing
from .exports import AGREEMENTS, CONTRACTS, with_device_count
from .filters import AgreementFilterSet, ContractFilterSet
from .models import Contract, MaintenanceAgreement
from .reasons import coverage_reason_text
from .selectors import device_coverage

router = Router(tags=["contracts and coverage"])
User = get_user_model()


class ContractIn(Input):
    hospital_id: Id
    number: str = Field(min_length=1, max_length=60)
    title: str = ""
    signed_on: Day | None = None
    warranty_months: int = Field(12, description="Counted per device from its acceptance date")
    extended_warranty_months: int = 0
    service_manager_id: Id | None = None
    dedicated_engineer_ids: list[Id] = []
    device_ids: list[Id] = []
    notify_hospital_on_breach: bool = False
    notes: str = ""


class ContractPatch(Input):
    number: str | None = Field(None, min_length=1, max_length=60)
    title: str | None = None
    signed_on: Day | None = None
    warranty_months: int | None = None
    extended_warranty_months: int | None = None
    service_manager_id: Id | None = None
    dedicated_engineer_ids: list[Id] | None = None
    device_ids: list[Id] | None = None
    notify_hospital_on_breach: bool | None = None
    notes: str | None = None


class ContractOut(Schema):
    id: int
    hospital_id: int
    number: str
    title: str
    signed_on: date | None
    warranty_months: int
    extended_warranty_months: int
    service_manager_id: int | None
    dedicated_engineer_ids: list[int]
    device_ids: list[int]
    notify_hospital_on_breach: bool
    notes: str

    @staticmethod
    def resolve_dedicated_engineer_ids(obj: Contract) -> list[int]:
        return sorted(u.pk for u in obj.dedicated_engineers.all())

    @staticmethod
    def resolve_device_ids(obj: Contract) -> list[int]:
        return sorted(line.device_id for line in obj.lines.all())


@filter_query(ContractFilterSet)
class ContractQuery(Input):
    """The filters of GET /contracts."""


class AgreementIn(Input):
    hospital_id: Id
    number: str = Field("", max_length=60)
    signed_on: Day | None = None
    starts_on: Day
    ends_on: Day
    device_ids: list[Id] = []
    covers_parts: bool = False
    covers_labor: bool = True
    covers_travel: bool = True
    fee: Decimal = Field(Decimal("0.00"), max_digits=12, decimal_places=2)
    currency: str = "CNY"
    notes: str = ""


class AgreementPatch(Input):
    number: str | None = Field(None, min_length=1, max_length=60)
    signed_on: Day | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    device_ids: list[Id] | None = None
    covers_parts: bool | None = None
    covers_labor: bool | None = None
    covers_travel: bool | None = None
    fee: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    currency: str | None = None
    notes: str | None = None


class AgreementOut(Schema):
    id: int
    hospital_id: int
    number: str
    signed_on: date | None
    starts_on: date
    ends_on: date
    device_ids: list[int]
    covers_parts: bool
    covers_labor: bool
    covers_travel: bool
    fee: Decimal
    currency: str
    notes: str

    @staticmethod
    def resolve_device_ids(obj: MaintenanceAgreement) -> list[int]:
        return sorted(d.pk for d in obj.devices.all())


@filter_query(AgreementFilterSet)
class AgreementQuery(Input):
    """The filters of GET /maintenance-agreements."""


class CoverageQuery(Input):
    at: Moment | None = Field(None, description="ISO 8601 with offset; default now")
    cause: Cause = Cause.UNDETERMINED
    component_id: Id | None = Field(None, description="A replaced main component")


class CoverageOut(Schema):
    cover: Cover
    ends_at: AwareDatetime | None = Field(description="First instant no longer covered")
    parts: Pricing
    labor: Pricing
    travel: Pricing
    reason: str
    basis: str
    cause: Cause
    priced_as: Cause
    starts_at: AwareDatetime | None
    warranty_started: bool
    at: AwareDatetime


def _people(request, data: dict) -> dict:
    staff = User.objects.filter(is_active=True)
    if "service_manager_id" in data:
        data["service_manager"] = resolve(
            staff.exclude(vendor_role="", is_superuser=False),
            data.pop("service_manager_id"),
            "service_manager_id",
        )
    if "dedicated_engineer_ids" in data:
        ids = data.pop("dedicated_engineer_ids")
        data["dedicated_engineers"] = (
            None
            if ids is None
            else resolve_many(
                staff.filter(vendor_role=VendorRole.ENGINEER), ids, "dedicated_engineer_ids"
            )
        )
    return data


def _devices(request, data: dict) -> dict:
    if "device_ids" in data:
        ids = data.pop("device_ids")
        data["devices"] = (
            None
            if ids is None
            else resolve_many(Device.objects.for_user(request.user), ids, "device_ids")
        )
    return data


# --- contracts --------------------------------------------------------------------------
def _contracts(request):
    return Contract.objects.for_user(request.user).prefetch_related("dedicated_engineers", "lines")


@router.get(
    "/contracts", response={200: page_of(ContractOut), **READ_ERRORS}, openapi_extra=EXPORT_OPENAPI
)
def contract_list(
    request, filters: Query[ContractQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    contracts = api_filter(filters, _contracts(request), request=request)
    if output.format:
        return CONTRACTS.response(with_device_count(contracts), fmt=output.format)
    return page(contracts, paging)


@router.post("/contracts", response={201: ContractOut, **WRITE_ERRORS})
def contract_create(request, payload: ContractIn):
    hospital = resolve(Hospital.objects.for_user(request.user), payload.hospital_id, "hospital_id")
    require_perm(request, "contracts.add_contract", hospital)
    data = _devices(request, _people(request, payload.dict(exclude={"hospital_id"})))
    contract = services.contract_create(hospital=hospital, **data)
    return Status(201, _contracts(request).get(pk=contract.pk))


@router.get("/contracts/{contract_id}", response={200: ContractOut, **READ_ERRORS})
def contract_read(request, contract_id: Id):
    return get_object_or_404(_contracts(request), pk=contract_id)


@router.patch("/contracts/{contract_id}", response={200: ContractOut, **WRITE_ERRORS})
def contract_patch(request, contract_id: Id, payload: ContractPatch):
    contract = get_object_or_404(_contracts(request), pk=contract_id)
    require_perm(request, "contracts.change_contract", contract)
    data = _devices(request, _people(request, payload.dict(exclude_unset=True)))
    services.contract_update(contract=contract, **data)
    return _contracts(request).get(pk=contract.pk)


# --- maintenance agreements (R-7.8) -----------------------------------------------------
def _agreements(request):
    return MaintenanceAgreement.objects.for_user(request.user).prefetch_related("devices")


@router.get(
    "/maintenance-agreements",
    response={200: page_of(AgreementOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def agreement_list(
    request, filters: Query[AgreementQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    agreements = api_filter(filters, _agreements(request), request=request)
    if output.format:
        return AGREEMENTS.response(agreements, fmt=output.format)
    return page(agreements, paging)


@router.post("/maintenance-agreements", response={201: AgreementOut, **WRITE_ERRORS})
def agreement_create(request, payload: AgreementIn):
    hospital = resolve(Hospital.objects.for_user(request.user), payload.hospital_id, "hospital_id")
    require_perm(request, "contracts.add_maintenanceagreement", hospital)
    data = _devices(request, payload.dict(exclude={"hospital_id"}))
    agreement = services.maintenance_agreement_create(hospital=hospital, **data)
    return Status(201, _agreements(request).get(pk=agreement.pk))


@router.get("/maintenance-agreements/{agreement_id}", response={200: AgreementOut, **READ_ERRORS})
def agreement_read(request, agreement_id: Id):
    return get_object_or_404(_agreements(request), pk=agreement_id)


@router.patch(
    "/maintenance-agreements/{agreement_id}", response={200: AgreementOut, **WRITE_ERRORS}
)
def agreement_patch(request, agreement_id: Id, payload: AgreementPatch):
    agreement = get_object_or_404(_agreements(request), pk=agreement_id)
    require_perm(request, "contracts.change_maintenanceagreement", agreement)
    data = _devices(request, payload.dict(exclude_unset=True))
    services.maintenance_agreement_update(agreement=agreement, **data)
    return _agreements(request).get(pk=agreement.pk)


# --- coverage ---------------------------------------------------------------------------
@router.get("/devices/{device_id}/coverage", response={200: CoverageOut, **READ_ERRORS})
def device_coverage_read(request, device_id: Id, query: Query[CoverageQuery]):
    # R-3.1-R-3.4, R-6.5, R-7.7, R-7.8.
    """Which cover the device has at ``at`` and how a repair would be charged for
    ``cause``."""
    device = get_object_or_404(
        Device.objects.for_user(request.user).select_related("hospital"), pk=device_id
    )
    component = None
    if query.component_id is not None:
        component = resolve(
            MainComponent.objects.filter(device=device), query.component_id, "component_id"
        )
    at = query.at or timezone.now()
    answer = device_coverage(device=device, at=at, cause=query.cause, component=component)
    return {
        "cover": answer.cover,
        "ends_at": answer.ends_at,
        "parts": answer.parts,
        "labor": answer.labor,
        "travel": answer.travel,
        "reason": coverage_reason_text(answer, device.hospital.time_zone),
        "basis": answer.basis,
        "cause": answer.cause,
        "priced_as": answer.priced_as,
        "starts_at": answer.starts_at,
        "warranty_started": answer.warranty_started,
        "at": at,
    }
