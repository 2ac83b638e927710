"""Writes about contracts (projects), dedicated engineers and maintenance agreements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User, VendorRole
from assets.models import Device
from core.bounds import day_error
from core.modeling import validated_save
from core.numbering import next_number
from customers.models import Hospital

from .models import Contract, ContractDevice, MaintenanceAgreement

CONTRACT_FIELDS = (
    "number",
    "title",
    "signed_on",
    "warranty_months",
    "extended_warranty_months",
    "service_manager",
    "notify_hospital_on_breach",
    "notes",
)
AGREEMENT_FIELDS = (
    "number",
    "signed_on",
    "starts_on",
    "ends_on",
    "covers_parts",
    "covers_labor",
    "covers_travel",
    "fee",
    "currency",
    "notes",
)
DEDICATED_ENGINEERS = 2
# A sanity bound, not a policy: no warranty and no agreement runs longer than 30 years.
MAX_TERM_YEARS = 30
MAX_TERM_MONTHS = MAX_TERM_YEARS * 12


def _check_devices(hospital: Hospital, devices: list[Device], errors: dict) -> None:
    foreign = [d for d in devices if d.hospital_id != hospital.pk]
    if foreign:
        errors["devices"] = _("These devices belong to another hospital: %(serials)s.") % {
            "serials": ", ".join(d.serial_number for d in foreign)
        }


def _check_people(service_manager: User | None, engineers: list[User], errors: dict) -> None:
    if service_manager is not None and service_manager.effective_vendor_role not in (
        VendorRole.MANAGER,
        VendorRole.ADMIN,
    ):
        errors["service_manager"] = _("The service manager must be a vendor service manager.")
    not_engineers = [u for u in engineers if u.effective_vendor_role != VendorRole.ENGINEER]
    if not_engineers:
        errors["dedicated_engineers"] = _("Only service engineers can be dedicated engineers.")
    elif len(engineers) > DEDICATED_ENGINEERS:
        errors["dedicated_engineers"] = _(
            "A contract has at most %(count)d dedicated engineers."
        ) % {"count": DEDICATED_ENGINEERS}


def _check_terms(contract: Contract, errors: dict) -> None:
    too_long = _("A term cannot be longer than %(months)d months.") % {"months": MAX_TERM_MONTHS}
    if contract.warranty_months is None or contract.warranty_months < 1:
        errors["warranty_months"] = _("The warranty must be at least one month.")
    elif contract.warranty_months > MAX_TERM_MONTHS:
        errors["warranty_months"] = too_long
    if contract.extended_warranty_months is None or contract.extended_warranty_months < 0:
        errors["extended_warranty_months"] = _("The extended warranty cannot be negative.")
    elif contract.extended_warranty_months > MAX_TERM_MONTHS:
        errors["extended_warranty_months"] = too_long


def _set_contract_devices(contract: Contract, devices: list[Device], errors: dict) -> None:
    taken = ContractDevice.objects.filter(device__in=devices).select_related("device", "contract")
    if contract.pk is not None:
        taken = taken.exclude(contract_id=contract.pk)
    if taken:
        errors["devices"] = _("Already on another contract: %(lines)s.") % {
            "lines": ", ".join(f"{line.device.serial_number} ({line.contract})" for line in taken)
        }


def _save_contract(
    contract: Contract,
    *,
    devices: Iterable[Device] | None,
    dedicated_engineers: Iterable[User] | None,
) -> Contract:
    errors: dict[str, Any] = {}
    _check_terms(contract, errors)
    device_list = list(devices) if devices is not None else None
    engineer_list = list(dedicated_engineers) if dedicated_engineers is not None else None
    if device_list is not None:
        _check_devices(contract.hospital, device_list, errors)
    if engineer_list is not None:
        _check_people(contract.service_manager, engineer_list, errors)
    else:
        current = list(contract.dedicated_engineers.all()) if contract.pk else []
        _check_people(contract.service_manager, current, errors)
    if device_list is not None and "devices" not in errors:
        _set_contract_devices(contract, device_list, errors)
    if errors:
        raise ValidationError(errors)
    validated_save(contract)
    if device_list is not None:
        ContractDevice.objects.filter(contract=contract).exclude(device__in=device_list).delete()
        existing = set(
            ContractDevice.objects.filter(contract=contract).values_list("device_id", flat=True)
        )
        ContractDevice.objects.bulk_create(
            [
                ContractDevice(contract=contract, device=d)
                for d in device_list
                if d.pk not in existing
            ]
        )
    if engineer_list is not None:
        contract.dedicated_engineers.set(engineer_list)
    return contract


@transaction.atomic
def contract_create(
    *,
    hospital: Hospital,
    devices: Iterable[Device] = (),
    dedicated_engineers: Iterable[User] = (),
    **data: Any,
) -> Contract:
    contract = Contract(
        hospital=hospital, **{k: v for k, v in data.items() if k in CONTRACT_FIELDS}
    )
    return _save_contract(contract, devices=devices, dedicated_engineers=dedicated_engineers)


@transaction.atomic
def contract_update(
    *,
    contract: Contract,
    devices: Iterable[Device] | None = None,
    dedicated_engineers: Iterable[User] | None = None,
    **data: Any,
) -> Contract:
    for field in CONTRACT_FIELDS:
        if field in data:
            setattr(contract, field, data[field])
    return _save_contract(contract, devices=devices, dedicated_engineers=dedicated_engineers)


def _save_agreement(agreement: MaintenanceAgreement, devices: list[Device] | None):
    errors: dict[str, Any] = {}
    for field in ("starts_on", "ends_on"):
        if (day := getattr(agreement, field)) and (problem := day_error(day)):
            errors[field] = problem
    if errors:
        raise ValidationError(errors)
    if agreement.starts_on and agreement.ends_on and agreement.ends_on < agreement.starts_on:
        errors["ends_on"] = _("The agreement cannot end before it starts.")
    elif (
        agreement.starts_on
        and agreement.ends_on
        and agreement.ends_on > agreement.starts_on + relativedelta(years=MAX_TERM_YEARS)
    ):
        errors["ends_on"] = _("An agreement runs at most %(years)d years.") % {
            "years": MAX_TERM_YEARS
        }
    if agreement.fee is not None and agreement.fee < 0:
        errors["fee"] = _("The fee cannot be negative.")
    if devices is not None:
        _check_devices(agreement.hospital, devices, errors)
    if errors:
        raise ValidationError(errors)
    validated_save(agreement)
    if devices is not None:
        agreement.devices.set(devices)
    return agreement


@transaction.atomic
def maintenance_agreement_create(
    *, hospital: Hospital, devices: Iterable[Device] = (), **data: Any
) -> MaintenanceAgreement:
    agreement = MaintenanceAgreement(
        hospital=hospital, **{k: v for k, v in data.items() if k in AGREEMENT_FIELDS}
    )
    if not agreement.number and agreement.starts_on:
        agreement.number = next_number(key="MA", year=agreement.starts_on.year, width=4)
    return _save_agreement(agreement, list(devices))


@transaction.atomic
def maintenance_agreement_update(
    *,
    agreement: MaintenanceAgreement,
    devices: Iterable[Device] | None = None,
    **data: Any,
) -> MaintenanceAgreement:
    for field in AGREEMENT_FIELDS:
        if field in data:
            setattr(agreement, field, data[field])
    return _save_agreement(agreement, list(devices) if devices is not None else None)
