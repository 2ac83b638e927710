"""Services of contracts and maintenance agreements (R-3.1, R-6.8, R-7.8), and the coverage
selector that feeds them into the pure rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from accounts.models import VendorRole
from accounts.tests.factories import UserFactory, vendor_user
from assets.tests.factories import DeviceFactory, MainComponentFactory
from contracts import services
from contracts.coverage import Basis, Cause, Cover, Line, Pricing
from contracts.models import (
    ChargeRule,
    Contract,
    ContractDevice,
    CoverageSettings,
    MaintenanceAgreement,
)
from contracts.reasons import coverage_reason_text
from contracts.selectors import charge_rules_current, device_coverage
from core.models import NumberSequence
from customers.tests.factories import DepartmentFactory, HospitalFactory

from .factories import ContractFactory, MaintenanceAgreementFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def fields(exc_info) -> set[str]:
    return set(exc_info.value.message_dict)


@pytest.fixture
def hospital():
    return HospitalFactory()


@pytest.fixture
def device(hospital):
    return DeviceFactory(department=DepartmentFactory(hospital=hospital))


# --- contracts --------------------------------------------------------------------------
def test_contract_create_with_devices_and_two_dedicated_engineers(hospital, device):
    """R-3.1, R-6.8: a contract sells devices and names two dedicated engineers."""
    engineers = [vendor_user(VendorRole.ENGINEER), vendor_user(VendorRole.ENGINEER)]
    manager = vendor_user(VendorRole.MANAGER)
    contract = services.contract_create(
        hospital=hospital,
        number="QD-2026-001",
        devices=[device],
        dedicated_engineers=engineers,
        service_manager=manager,
        extended_warranty_months=6,
        unknown_field="ignored",
    )
    assert contract.warranty_months == 12  # the default
    assert contract.extended_warranty_months == 6
    assert set(contract.dedicated_engineers.all()) == set(engineers)
    assert list(contract.devices.all()) == [device]


@pytest.mark.parametrize("months", [0, -1], ids=["zero", "negative"])
def test_warranty_months_not_positive_refused(hospital, device, months):
    """Issue 2 "Bad input": warranty months <= 0."""
    with pytest.raises(ValidationError) as exc_info:
        services.contract_create(
            hospital=hospital, number="C-1", warranty_months=months, devices=[device]
        )
    assert fields(exc_info) == {"warranty_months"}
    assert not Contract.objects.exists()
    assert not ContractDevice.objects.exists()


@pytest.mark.parametrize(
    ("field", "months"),
    [("warranty_months", 361), ("warranty_months", 40_000), ("extended_warranty_months", 361)],
    ids=["warranty-361", "warranty-past-the-column", "extended-361"],
)
def test_absurdly_long_terms_refused(hospital, field, months):
    """A sanity bound (30 years, issue 10 §6) keeps every term inside the calendar and the
    column (a 500 on PostgreSQL's smallint otherwise)."""
    with pytest.raises(ValidationError) as exc_info:
        services.contract_create(hospital=hospital, number="C-1", **{field: months})
    assert fields(exc_info) == {field}
    assert not Contract.objects.exists()
    longest: dict[str, Any] = {field: 360}
    services.contract_create(hospital=hospital, number="C-1", **longest)


def test_negative_extended_warranty_refused(hospital):
    with pytest.raises(ValidationError) as exc_info:
        services.contract_create(hospital=hospital, number="C-1", extended_warranty_months=-1)
    assert fields(exc_info) == {"extended_warranty_months"}


def test_device_of_another_hospital_refused(hospital, device):
    """Issue 2 "Bad input": a device from another hospital in a contract."""
    foreign = DeviceFactory()
    with pytest.raises(ValidationError) as exc_info:
        services.contract_create(hospital=hospital, number="C-1", devices=[device, foreign])
    assert fields(exc_info) == {"devices"}
    assert foreign.serial_number in exc_info.value.message_dict["devices"][0]
    assert not Contract.objects.exists()
    assert not ContractDevice.objects.exists()


def test_device_already_on_another_contract_refused(hospital, device):
    services.contract_create(hospital=hospital, number="C-1", devices=[device])
    with pytest.raises(ValidationError) as exc_info:
        services.contract_create(hospital=hospital, number="C-2", devices=[device])
    assert fields(exc_info) == {"devices"}
    assert list(Contract.objects.values_list("number", flat=True)) == ["C-1"]
    assert ContractDevice.objects.get().contract.number == "C-1"


def test_non_engineer_as_dedicated_engineer_refused(hospital):
    """R-6.8: dedicated engineers are service engineers."""
    with pytest.raises(ValidationError) as exc_info:
        services.contract_create(
            hospital=hospital,
            number="C-1",
            dedicated_engineers=[vendor_user(VendorRole.DISPATCHER)],
        )
    assert fields(exc_info) == {"dedicated_engineers"}
    with pytest.raises(ValidationError):
        services.contract_create(
            hospital=hospital, number="C-1", dedicated_engineers=[UserFactory()]
        )
    assert not Contract.objects.exists()


def test_more_than_two_dedicated_engineers_refused(hospital):
    """R-6.8: two named engineers."""
    engineers = [vendor_user(VendorRole.ENGINEER) for _ in range(3)]
    with pytest.raises(ValidationError) as exc_info:
        services.contract_create(hospital=hospital, number="C-1", dedicated_engineers=engineers)
    assert fields(exc_info) == {"dedicated_engineers"}
    assert not Contract.objects.exists()


def test_service_manager_must_be_office_staff(hospital):
    with pytest.raises(ValidationError) as exc_info:
        services.contract_create(
            hospital=hospital, number="C-1", service_manager=vendor_user(VendorRole.ENGINEER)
        )
    assert fields(exc_info) == {"service_manager"}


def test_duplicate_contract_number_is_a_field_error(hospital):
    services.contract_create(hospital=hospital, number="C-1")
    with pytest.raises(ValidationError) as exc_info:
        services.contract_create(hospital=hospital, number="C-1")
    assert "number" in fields(exc_info)


def test_all_errors_reported_at_once(hospital):
    with pytest.raises(ValidationError) as exc_info:
        services.contract_create(
            hospital=hospital,
            number="C-1",
            warranty_months=0,
            devices=[DeviceFactory()],
            dedicated_engineers=[UserFactory()],
        )
    assert fields(exc_info) == {"warranty_months", "devices", "dedicated_engineers"}


def test_contract_update_moves_devices_and_keeps_others_intact(hospital, device):
    second = DeviceFactory(department=device.department)
    contract = services.contract_create(hospital=hospital, number="C-1", devices=[device])
    services.contract_update(contract=contract, devices=[second], warranty_months=24)
    contract.refresh_from_db()
    assert contract.warranty_months == 24
    assert list(contract.devices.all()) == [second]
    # Its own devices are not "on another contract".
    services.contract_update(contract=contract, devices=[second, device])
    assert contract.devices.count() == 2


def test_contract_update_bad_input_changes_nothing(hospital, device):
    contract = services.contract_create(hospital=hospital, number="C-1", devices=[device])
    with pytest.raises(ValidationError):
        services.contract_update(contract=contract, warranty_months=0, devices=[])
    contract = Contract.objects.get(pk=contract.pk)
    assert contract.warranty_months == 12
    assert list(contract.devices.all()) == [device]


def test_contract_update_without_engineers_keeps_them(hospital):
    engineer = vendor_user(VendorRole.ENGINEER)
    contract = services.contract_create(
        hospital=hospital, number="C-1", dedicated_engineers=[engineer]
    )
    services.contract_update(contract=contract, title="CT project")
    assert list(contract.dedicated_engineers.all()) == [engineer]


# --- maintenance agreements (R-7.8) -----------------------------------------------------
def test_agreement_number_generated_per_year(hospital, device):
    """R-7.8: an agreement without a number gets MA-<year>-0001, then -0002."""
    first = services.maintenance_agreement_create(
        hospital=hospital,
        starts_on=dt.date(2027, 1, 11),
        ends_on=dt.date(2028, 1, 10),
        devices=[device],
    )
    second = services.maintenance_agreement_create(
        hospital=hospital, starts_on=dt.date(2027, 6, 1), ends_on=dt.date(2028, 5, 31)
    )
    third = services.maintenance_agreement_create(
        hospital=hospital, starts_on=dt.date(2028, 1, 1), ends_on=dt.date(2028, 12, 31)
    )
    assert (first.number, second.number, third.number) == (
        "MA-2027-0001",
        "MA-2027-0002",
        "MA-2028-0001",
    )
    assert list(first.devices.all()) == [device]
    assert (first.covers_parts, first.covers_labor, first.covers_travel) == (False, True, True)


def test_agreement_given_number_is_kept(hospital):
    agreement = services.maintenance_agreement_create(
        hospital=hospital,
        number="HOSP-7",
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 12, 31),
    )
    assert agreement.number == "HOSP-7"
    assert not NumberSequence.objects.exists()


def test_agreement_end_before_start_refused_and_number_given_back(hospital):
    with pytest.raises(ValidationError) as exc_info:
        services.maintenance_agreement_create(
            hospital=hospital, starts_on=dt.date(2027, 1, 11), ends_on=dt.date(2027, 1, 10)
        )
    assert fields(exc_info) == {"ends_on"}
    assert not MaintenanceAgreement.objects.exists()
    agreement = services.maintenance_agreement_create(
        hospital=hospital, starts_on=dt.date(2027, 1, 11), ends_on=dt.date(2027, 1, 11)
    )
    assert agreement.number == "MA-2027-0001"  # gap-free: the failed one gave it back


def test_agreement_device_of_another_hospital_refused(hospital, device):
    with pytest.raises(ValidationError) as exc_info:
        services.maintenance_agreement_create(
            hospital=hospital,
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 12, 31),
            devices=[device, DeviceFactory()],
        )
    assert fields(exc_info) == {"devices"}
    assert not MaintenanceAgreement.objects.exists()


def test_agreement_negative_fee_refused(hospital):
    with pytest.raises(ValidationError) as exc_info:
        services.maintenance_agreement_create(
            hospital=hospital,
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 12, 31),
            fee=Decimal("-1"),
        )
    assert fields(exc_info) == {"fee"}


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (dt.date(2027, 1, 11), dt.date(9999, 12, 31)),  # "until further notice", a typo here
        (dt.date(2027, 1, 11), dt.date(2057, 1, 12)),  # a day over 30 years
        (dt.date(1, 1, 1), dt.date(2027, 1, 1)),
    ],
)
def test_an_agreement_runs_at_most_30_years_between_2000_and_2100(
    hospital, device, starts_on, ends_on
):
    """Issue 10 §6: dates have sane ranges and agreements run at most 30 years."""
    with pytest.raises(ValidationError) as exc_info:
        services.maintenance_agreement_create(
            hospital=hospital, starts_on=starts_on, ends_on=ends_on, devices=[device]
        )
    assert fields(exc_info) <= {"starts_on", "ends_on"}
    assert not MaintenanceAgreement.objects.exists()
    services.maintenance_agreement_create(
        hospital=hospital,
        starts_on=dt.date(2027, 1, 11),
        ends_on=dt.date(2057, 1, 11),
        devices=[device],
    )
    answer = device_coverage(device=device, at=at(2050, 1, 1), cause="quality")
    assert answer.cover == Cover.AGREEMENT
    assert "2057-01-11" in coverage_reason_text(answer, "Asia/Shanghai")


def test_agreement_update(hospital, device):
    agreement = MaintenanceAgreementFactory(hospital=hospital)
    services.maintenance_agreement_update(
        agreement=agreement, covers_parts=True, devices=[device], fee=Decimal("12000.00")
    )
    agreement.refresh_from_db()
    assert agreement.covers_parts is True
    assert agreement.fee == Decimal("12000.00")
    assert list(agreement.devices.all()) == [device]
    with pytest.raises(ValidationError):
        services.maintenance_agreement_update(agreement=agreement, ends_on=dt.date(2020, 1, 1))
    agreement.refresh_from_db()
    assert agreement.ends_on == dt.date(2028, 1, 10)


# --- the coverage selector: the database fed into the pure rule -------------------------
def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def test_device_coverage_uses_contract_terms(hospital, device):
    """R-3.1, R-3.2: the contract's warranty and extended warranty, per device from its
    acceptance date (factory: accepted 2026-01-10)."""
    ContractFactory(
        hospital=hospital,
        number="C-1",
        devices=[device],
        warranty_months=24,
        extended_warranty_months=12,
    )
    answer = device_coverage(device=device, at=at(2027, 6, 1), cause="quality")
    assert answer.cover == Cover.WARRANTY
    assert answer.ends_at == at(2028, 1, 11)
    answer = device_coverage(device=device, at=at(2028, 1, 11), cause="quality")
    assert answer.cover == Cover.EXTENDED_WARRANTY
    assert answer.ends_at == at(2029, 1, 11)


def test_device_without_contract_uses_default_warranty_setting(device):
    CoverageSettings.objects.filter(pk=1).update(default_warranty_months=6)
    answer = device_coverage(device=device, at=at(2026, 7, 10, 23, 59, 59), cause="quality")
    assert answer.cover == Cover.WARRANTY
    assert answer.ends_at == at(2026, 7, 11)
    answer = device_coverage(device=device, at=at(2026, 7, 11), cause="quality")
    assert answer.cover == Cover.NONE


def test_device_coverage_follows_agreement_after_warranty(hospital, device):
    """R-7.8: the device's agreement after warranty (factory: 2027-01-11 to 2028-01-10)."""
    MaintenanceAgreementFactory(hospital=hospital, devices=[device], covers_parts=False)
    last_second = device_coverage(device=device, at=at(2027, 1, 10, 23, 59, 59), cause="quality")
    assert last_second.cover == Cover.WARRANTY
    answer = device_coverage(device=device, at=at(2027, 1, 11), cause="quality")
    assert answer.cover == Cover.AGREEMENT
    assert (answer.parts, answer.labor, answer.travel) == (
        Pricing.COST,
        Pricing.FREE,
        Pricing.FREE,
    )


def test_agreement_of_other_devices_does_not_apply(hospital, device):
    MaintenanceAgreementFactory(hospital=hospital, devices=[DeviceFactory()])
    answer = device_coverage(device=device, at=at(2027, 6, 1), cause="quality")
    assert answer.cover == Cover.NONE


def test_device_coverage_not_accepted(hospital):
    device = DeviceFactory(accepted_on=None, department=DepartmentFactory(hospital=hospital))
    answer = device_coverage(device=device, at=at(2026, 6, 1), cause="non_quality")
    assert answer.cover == Cover.NONE
    assert answer.warranty_started is False
    text = coverage_reason_text(answer, "Asia/Shanghai")
    assert text  # worded, not a bare code


def test_device_coverage_uses_configured_charge_rules(device):
    ChargeRule.objects.filter(basis="warranty", cause="non_quality", line="parts").update(
        pricing="free"
    )
    CoverageSettings.objects.filter(pk=1).update(undetermined_as="non_quality")
    rules = charge_rules_current()
    assert rules.price(Basis.WARRANTY, Cause.NON_QUALITY, Line.PARTS) == Pricing.FREE
    answer = device_coverage(device=device, at=at(2026, 6, 1), cause="undetermined")
    assert answer.priced_as == Cause.NON_QUALITY
    assert (answer.parts, answer.labor, answer.travel) == (Pricing.FREE,) * 3


def test_default_charge_rules_loaded_by_migration():
    """Issue 2 §5: the defaults live in data; every combination has a row."""
    assert ChargeRule.objects.count() == 5 * 2 * 3
    rules = charge_rules_current()
    assert rules.price(Basis.NONE, Cause.QUALITY, Line.LABOR) == Pricing.LIST
    assert rules.price(Basis.WARRANTY, Cause.NON_QUALITY, Line.PARTS) == Pricing.COST


def test_replaced_component_coverage(hospital, device):
    """R-6.5: a component replaced two months before the device's warranty ends stays
    covered 12 months from its replacement (device accepted 2026-01-10)."""
    component = MainComponentFactory(device=device, replaced_on=dt.date(2026, 11, 10))
    answer = device_coverage(device=device, at=at(2027, 6, 1), cause="quality", component=component)
    assert answer.cover == Cover.WARRANTY
    assert answer.ends_at == at(2027, 11, 11)
    assert answer.reasons[0].code == "component_warranty"
    device_answer = device_coverage(device=device, at=at(2027, 6, 1), cause="quality")
    assert device_answer.cover == Cover.NONE


def test_component_never_replaced_has_the_device_cover(device):
    component = MainComponentFactory(device=device)
    answer = device_coverage(device=device, at=at(2027, 6, 1), cause="quality", component=component)
    assert answer.cover == Cover.NONE


def test_device_coverage_in_the_hospital_zone():
    device = DeviceFactory(
        department=DepartmentFactory(hospital=HospitalFactory(time_zone="America/New_York"))
    )
    utc = dt.UTC
    # Accepted 2026-01-10, 12 months: covered through 2027-01-10 New York time.
    answer = device_coverage(
        device=device, at=dt.datetime(2027, 1, 11, 4, 59, 59, tzinfo=utc), cause="quality"
    )
    assert answer.cover == Cover.WARRANTY
    assert answer.ends_at == dt.datetime(2027, 1, 11, 5, tzinfo=utc)
    answer = device_coverage(
        device=device, at=dt.datetime(2027, 1, 11, 5, tzinfo=utc), cause="quality"
    )
    assert answer.cover == Cover.NONE
