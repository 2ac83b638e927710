"""Reads about contracts and the coverage of a device at a moment."""

from __future__ import annotations

from datetime import datetime

from accounts.models import User, VendorRole
from assets.models import Device, MainComponent

from .coverage import (
    AgreementTerms,
    Basis,
    Cause,
    ChargeRules,
    ComponentTerms,
    CoverageAnswer,
    Line,
    Pricing,
    WarrantyTerms,
    coverage_at,
)
from .models import (
    ChargeRule,
    Contract,
    ContractDevice,
    CoverageSettings,
    MaintenanceAgreement,
)


def charge_rules_current() -> ChargeRules:
    """The pricing rules as configured (defaults loaded by migration, edited in admin)."""
    settings_row = CoverageSettings.objects.filter(pk=1).first()
    prices = {
        (Basis(r.basis), Cause(r.cause), Line(r.line)): Pricing(r.pricing)
        for r in ChargeRule.objects.all()
    }
    if settings_row is None:
        return ChargeRules(prices=prices) if prices else ChargeRules()
    return ChargeRules(
        prices=prices,
        undetermined_as=Cause(settings_row.undetermined_as),
        component_warranty_months=settings_row.component_warranty_months,
    )


def warranty_terms_for(device: Device) -> WarrantyTerms:
    line = ContractDevice.objects.select_related("contract").filter(device=device).first()
    if line is None:
        settings_row = CoverageSettings.objects.filter(pk=1).first()
        months = settings_row.default_warranty_months if settings_row else 12
        return WarrantyTerms(accepted_on=device.accepted_on, warranty_months=months)
    contract = line.contract
    return WarrantyTerms(
        accepted_on=device.accepted_on,
        warranty_months=contract.warranty_months,
        extended_months=contract.extended_warranty_months,
        contract_number=contract.number,
    )


def agreement_terms_for(device: Device) -> list[AgreementTerms]:
    return [
        AgreementTerms(
            number=a.number,
            starts_on=a.starts_on,
            ends_on=a.ends_on,
            covers_parts=a.covers_parts,
            covers_labor=a.covers_labor,
            covers_travel=a.covers_travel,
        )
        for a in MaintenanceAgreement.objects.filter(devices=device)
    ]


def device_coverage(
    *,
    device: Device,
    at: datetime,
    cause: Cause | str,
    component: MainComponent | None = None,
) -> CoverageAnswer:
    """What cover ``device`` (or its replaced ``component``) has at ``at`` for ``cause``."""
    component_terms = None
    if component is not None and component.replaced_on is not None:
        component_terms = ComponentTerms(
            name=component.name,
            serial_number=component.serial_number,
            replaced_on=component.replaced_on,
        )
    return coverage_at(
        at=at,
        cause=Cause(cause),
        time_zone=device.hospital.time_zone,
        warranty=warranty_terms_for(device),
        agreements=agreement_terms_for(device),
        component=component_terms,
        rules=charge_rules_current(),
    )


def components_under_own_warranty(
    *, device: Device, at: datetime
) -> list[tuple[MainComponent, datetime]]:
    """The device's installed replacement components still under their own warranty at
    ``at`` (R-6.5), each with the first instant no longer covered: asked of the coverage
    rule, so the term (and "never less than the device's") lives in one place."""
    under = []
    replaced = MainComponent.objects.filter(device=device, replaced_on__isnull=False)
    for component in replaced.installed().order_by("name", "pk"):
        answer = device_coverage(device=device, at=at, cause=Cause.QUALITY, component=component)
        if answer.ends_at is not None and any(
            r.code == "component_warranty" for r in answer.reasons
        ):
            under.append((component, answer.ends_at))
    return under


class ServiceManagers:
    """Who answers for a contract: its service manager, else every active service manager
    (read once per instance, so a sweep over many requests asks once)."""

    def __init__(self) -> None:
        self._all: list[User] | None = None

    def of(self, contract: Contract | None) -> list[User]:
        manager = contract.service_manager if contract is not None else None
        if manager is not None and manager.is_active:
            return [manager]
        if self._all is None:
            self._all = list(
                User.objects.filter(is_active=True, vendor_role=VendorRole.MANAGER).order_by("pk")
            )
        return self._all
