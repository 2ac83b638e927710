"""Web pages of contracts and maintenance agreements, and the coverage fragment."""

import datetime as dt
import html

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, MainComponentFactory
from contracts.models import Contract, ContractDevice, MaintenanceAgreement
from contracts.tests.factories import ContractFactory, MaintenanceAgreementFactory
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def manager(client):
    user = vendor_user(VendorRole.MANAGER)
    client.force_login(user)
    return user


@pytest.fixture
def hospital():
    return HospitalFactory(name="Qingdao Municipal Hospital")


@pytest.fixture
def department(hospital):
    return DepartmentFactory(hospital=hospital, name="Radiology")


@pytest.fixture
def device(department):
    # Accepted 2026-01-10: with 12 months of warranty the last covered day is 2027-01-10.
    return DeviceFactory(department=department, serial_number="CT-0001")


@pytest.fixture
def engineers():
    return [vendor_user(VendorRole.ENGINEER), vendor_user(VendorRole.ENGINEER)]


@pytest.fixture
def contract(hospital, device):
    return ContractFactory(hospital=hospital, number="QD-2026-0001", devices=[device])


@pytest.fixture
def agreement(hospital, device):
    return MaintenanceAgreementFactory(hospital=hospital, number="MA-2027-0001", devices=[device])


def contract_data(**overrides):
    data = {
        "number": "QD-2026-0100",
        "title": "CT project",
        "signed_on": "2025-12-01",
        "warranty_months": "12",
        "extended_warranty_months": "0",
        "service_manager": "",
        "dedicated_engineers": [],
        "devices": [],
        "notes": "",
    }
    return data | overrides


def agreement_data(**overrides):
    data = {
        "number": "",
        "signed_on": "",
        "starts_on": "2027-01-11",
        "ends_on": "2028-01-10",
        "devices": [],
        "covers_labor": "on",
        "covers_travel": "on",
        "fee": "12000.00",
        "currency": "CNY",
        "notes": "",
    }
    return data | overrides


def create_url(name, hospital):
    return f"{reverse(name)}?hospital={hospital.pk}"


# --- pages render -----------------------------------------------------------------------
def test_pages_render_for_a_vendor_manager(client, manager, hospital, device, contract, agreement):
    urls = [
        reverse("contracts:contract_list"),
        reverse("contracts:contract_create"),
        create_url("contracts:contract_create", hospital),
        reverse("contracts:contract_detail", args=[contract.pk]),
        reverse("contracts:contract_edit", args=[contract.pk]),
        reverse("contracts:agreement_list"),
        reverse("contracts:agreement_create"),
        create_url("contracts:agreement_create", hospital),
        reverse("contracts:agreement_detail", args=[agreement.pk]),
        reverse("contracts:agreement_edit", args=[agreement.pk]),
        reverse("contracts:device_coverage", args=[device.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_contract_list_filters_by_hospital_and_number(client, manager, hospital, contract):
    other = ContractFactory(number="JN-2026-0007")
    response = client.get(reverse("contracts:contract_list"), {"hospital": other.hospital.pk})
    assert list(response.context["page_obj"]) == [other]
    response = client.get(reverse("contracts:contract_list"), {"q": "qd-2026"})
    assert list(response.context["page_obj"]) == [contract]


# --- contracts --------------------------------------------------------------------------
def test_create_contract_through_the_form(client, manager, hospital, device, engineers):
    response = client.post(
        create_url("contracts:contract_create", hospital),
        contract_data(
            service_manager=manager.pk,
            dedicated_engineers=[e.pk for e in engineers],
            devices=[device.pk],
            extended_warranty_months="24",
        ),
    )
    contract = Contract.objects.get(number="QD-2026-0100")
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:contract_detail", args=[contract.pk])
    assert contract.hospital == hospital
    assert contract.service_manager == manager
    assert set(contract.dedicated_engineers.all()) == set(engineers)
    assert list(contract.devices.all()) == [device]
    assert contract.extended_warranty_months == 24


def test_contract_create_preselects_the_hospital_from_the_query(client, manager, hospital, device):
    response = client.get(create_url("contracts:contract_create", hospital))
    assert response.context["hospital"] == hospital
    assert list(response.context["form"].fields["devices"].queryset) == [device]
    # Without a hospital, the first step asks for one.
    response = client.get(reverse("contracts:contract_create"))
    assert "hospital" in response.context["form"].fields
    assert "contracts/choose_hospital.html" in [t.name for t in response.templates]


def test_zero_warranty_months_is_a_field_error(client, manager, hospital):
    response = client.post(
        create_url("contracts:contract_create", hospital), contract_data(warranty_months="0")
    )
    assert response.status_code == 200
    assert "warranty_months" in response.context["form"].errors
    assert not Contract.objects.exists()


def test_device_of_another_hospital_is_a_field_error(client, manager, hospital, device):
    foreign = DeviceFactory()
    response = client.post(
        create_url("contracts:contract_create", hospital),
        contract_data(devices=[device.pk, foreign.pk]),
    )
    assert response.status_code == 200
    assert "devices" in response.context["form"].errors
    assert not Contract.objects.exists()
    assert not ContractDevice.objects.exists()


def test_device_already_on_another_contract_is_not_offered(client, manager, hospital, contract):
    (device,) = contract.devices.all()
    response = client.post(
        create_url("contracts:contract_create", hospital), contract_data(devices=[device.pk])
    )
    assert response.status_code == 200
    assert "devices" in response.context["form"].errors
    assert Contract.objects.count() == 1


def test_three_dedicated_engineers_are_refused_by_the_service(client, manager, hospital):
    engineers = [vendor_user(VendorRole.ENGINEER) for _ in range(3)]
    response = client.post(
        create_url("contracts:contract_create", hospital),
        contract_data(dedicated_engineers=[e.pk for e in engineers]),
    )
    assert response.status_code == 200
    assert "dedicated_engineers" in response.context["form"].errors
    assert not Contract.objects.exists()


def test_only_engineers_and_managers_are_offered(client, manager, hospital, engineers):
    dispatcher = vendor_user(VendorRole.DISPATCHER)
    form = client.get(create_url("contracts:contract_create", hospital)).context["form"]
    assert set(form.fields["dedicated_engineers"].queryset) == set(engineers)
    assert manager in form.fields["service_manager"].queryset
    assert dispatcher not in form.fields["service_manager"].queryset
    response = client.post(
        create_url("contracts:contract_create", hospital),
        contract_data(service_manager=dispatcher.pk, dedicated_engineers=[dispatcher.pk]),
    )
    assert {"service_manager", "dedicated_engineers"} <= set(response.context["form"].errors)
    assert not Contract.objects.exists()


def test_contract_detail_shows_warranty_ends_and_warns_about_engineers(
    client, manager, contract, engineers
):
    response = client.get(reverse("contracts:contract_detail", args=[contract.pk]))
    assert response.context["missing_engineers"] == 2
    (row,) = response.context["rows"]
    assert row["warranty_last_day"] == dt.date(2027, 1, 10)
    page = response.content.decode()
    assert "2027-01-10" in page
    assert "two named engineers" in page and "R-6.8" not in page  # the warning

    contract.dedicated_engineers.set(engineers)
    response = client.get(reverse("contracts:contract_detail", args=[contract.pk]))
    assert response.context["missing_engineers"] == 0
    assert "alert-warning" not in response.content.decode()


def test_edit_contract_changes_devices_and_engineers(
    client, manager, hospital, contract, engineers
):
    second = DeviceFactory(department=DepartmentFactory(hospital=hospital))
    url = reverse("contracts:contract_edit", args=[contract.pk])
    form = client.get(url).context["form"]
    assert form.initial["devices"] == [contract.devices.get().pk]
    response = client.post(
        url,
        contract_data(
            number=contract.number,
            warranty_months="18",
            dedicated_engineers=[e.pk for e in engineers],
            devices=[second.pk],
        ),
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.warranty_months == 18
    assert list(contract.devices.all()) == [second]
    assert set(contract.dedicated_engineers.all()) == set(engineers)


def test_bad_edit_changes_nothing(client, manager, contract):
    url = reverse("contracts:contract_edit", args=[contract.pk])
    response = client.post(url, contract_data(number=contract.number, warranty_months="0"))
    assert response.status_code == 200
    assert "warranty_months" in response.context["form"].errors
    contract.refresh_from_db()
    assert contract.warranty_months == 12
    assert contract.devices.count() == 1


def test_hotline_agent_may_read_but_not_create_contracts(client, hospital, contract):
    client.force_login(vendor_user(VendorRole.DISPATCHER))
    assert client.get(reverse("contracts:contract_list")).status_code == 200
    assert client.get(reverse("contracts:contract_detail", args=[contract.pk])).status_code == 200
    assert client.get(reverse("contracts:contract_create")).status_code == 403
    url = create_url("contracts:contract_create", hospital)
    assert client.get(url).status_code == 403
    assert client.post(url, contract_data()).status_code == 403
    assert client.get(reverse("contracts:contract_edit", args=[contract.pk])).status_code == 403
    assert Contract.objects.count() == 1
    assert (
        reverse("contracts:contract_create")
        not in client.get(reverse("contracts:contract_list")).content.decode()
    )


# --- maintenance agreements -------------------------------------------------------------
def test_create_agreement_numbers_it_and_saves_devices(client, manager, hospital, device):
    response = client.post(
        create_url("contracts:agreement_create", hospital), agreement_data(devices=[device.pk])
    )
    agreement = MaintenanceAgreement.objects.get()
    assert response.status_code == 302
    assert agreement.number == "MA-2027-0001"
    assert list(agreement.devices.all()) == [device]
    assert (agreement.covers_parts, agreement.covers_labor, agreement.covers_travel) == (
        False,
        True,
        True,
    )


def test_agreement_ending_before_it_starts_is_a_field_error(client, manager, hospital):
    response = client.post(
        create_url("contracts:agreement_create", hospital),
        agreement_data(starts_on="2027-01-11", ends_on="2026-12-31"),
    )
    assert response.status_code == 200
    assert "ends_on" in response.context["form"].errors
    assert not MaintenanceAgreement.objects.exists()


def test_agreement_with_a_device_of_another_hospital_saves_nothing(client, manager, hospital):
    foreign = DeviceFactory()
    response = client.post(
        create_url("contracts:agreement_create", hospital), agreement_data(devices=[foreign.pk])
    )
    assert response.status_code == 200
    assert "devices" in response.context["form"].errors
    assert not MaintenanceAgreement.objects.exists()


def test_edit_agreement(client, manager, agreement):
    url = reverse("contracts:agreement_edit", args=[agreement.pk])
    response = client.post(
        url, agreement_data(number=agreement.number, covers_parts="on", devices=[])
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.covers_parts
    assert not agreement.devices.exists()
    response = client.post(url, agreement_data(number=agreement.number, ends_on="2020-01-01"))
    assert "ends_on" in response.context["form"].errors
    agreement.refresh_from_db()
    assert agreement.ends_on == dt.date(2028, 1, 10)


# --- who sees what ----------------------------------------------------------------------
def test_equipment_admin_never_sees_another_hospitals_documents(client, contract, agreement):
    other = HospitalFactory()
    own = ContractFactory(hospital=other)
    client.force_login(hospital_user(other))
    for url in [
        reverse("contracts:contract_detail", args=[contract.pk]),
        reverse("contracts:contract_edit", args=[contract.pk]),
        reverse("contracts:agreement_detail", args=[agreement.pk]),
        reverse("contracts:agreement_edit", args=[agreement.pk]),
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"number": "hijack"}).status_code == 404, url
    assert list(client.get(reverse("contracts:contract_list")).context["page_obj"]) == [own]
    assert list(client.get(reverse("contracts:agreement_list")).context["page_obj"]) == []
    assert client.get(reverse("contracts:contract_detail", args=[own.pk])).status_code == 200
    # Reading their own contract is fine; changing it is the vendor's business.
    assert client.get(reverse("contracts:contract_edit", args=[own.pk])).status_code == 403


def test_department_user_sees_no_contracts(client, hospital, department, contract, agreement):
    client.force_login(
        hospital_user(hospital, role=HospitalRole.DEPARTMENT_USER, departments=[department])
    )
    assert list(client.get(reverse("contracts:contract_list")).context["page_obj"]) == []
    assert list(client.get(reverse("contracts:agreement_list")).context["page_obj"]) == []
    assert client.get(reverse("contracts:contract_detail", args=[contract.pk])).status_code == 404
    assert client.get(reverse("contracts:agreement_detail", args=[agreement.pk])).status_code == 404


# --- the coverage fragment --------------------------------------------------------------
@time_machine.travel(dt.datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_coverage_fragment_for_a_device_in_warranty(client, manager, device, contract):
    response = client.get(reverse("contracts:device_coverage", args=[device.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page  # a fragment for htmx, not a page
    assert response.context["answer"].cover == "warranty"
    assert response.context["last_day"] == dt.date(2027, 1, 10)
    assert html.escape(response.context["reason"]) in page
    assert "QD-2026-0001" in response.context["reason"]  # the contract named in the reason
    assert 'data-cover="warranty"' in page
    assert page.count('data-line-pricing="free"') == 3
    assert reverse("contracts:contract_detail", args=[contract.pk]) in page


def test_coverage_fragment_asks_again_for_a_moment_and_cause(client, manager, device):
    url = reverse("contracts:device_coverage", args=[device.pk])
    response = client.get(url, {"at": "2026-06-01T10:00", "cause": "non_quality"})
    answer = response.context["answer"]
    assert (answer.cover, answer.parts, answer.labor) == ("warranty", "cost", "free")
    response = client.get(url, {"at": "2028-06-01T10:00", "cause": "quality"})
    assert response.context["answer"].cover == "none"
    assert response.context["last_day"] is None


def test_coverage_moment_is_local_time_of_the_hospital(client, manager):
    # The viewer works in Asia/Shanghai; the hospital is in New York. Warranty ends with
    # 2027-01-10 in New York: 00:30 on the 11th there is already out of warranty.
    device = DeviceFactory(department=DepartmentFactory(hospital__time_zone="America/New_York"))
    url = reverse("contracts:device_coverage", args=[device.pk])
    assert client.get(url, {"at": "2027-01-10T23:30"}).context["answer"].cover == "warranty"
    assert client.get(url, {"at": "2027-01-11T00:30"}).context["answer"].cover == "none"


def test_coverage_of_a_replaced_component(client, manager, device):
    component = MainComponentFactory(device=device, replaced_on=dt.date(2026, 12, 1))
    url = reverse("contracts:device_coverage", args=[device.pk])
    form = client.get(url).context["form"]
    assert list(form.fields["component"].queryset) == [component]
    response = client.get(url, {"at": "2027-06-01T10:00", "component": component.pk})
    assert response.context["answer"].cover == "warranty"
    assert response.context["last_day"] == dt.date(2027, 12, 1)
    other = MainComponentFactory()  # of another device
    response = client.get(url, {"component": other.pk})
    assert "component" in response.context["form"].errors


@pytest.mark.parametrize(
    ("query", "field"),
    [({"at": "not a date"}, "at"), ({"cause": "sabotage"}, "cause")],
)
def test_bad_coverage_question_is_a_field_error(client, manager, device, query, field):
    response = client.get(reverse("contracts:device_coverage", args=[device.pk]), query)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["answer"] is None
    assert "invalid-feedback" in response.content.decode()


def test_coverage_fragment_is_scoped(client, hospital, department, device, contract, agreement):
    other = HospitalFactory()
    client.force_login(hospital_user(other))
    url = reverse("contracts:device_coverage", args=[device.pk])
    assert client.get(url).status_code == 404
    # A user of the device's department reads the cover but not the commercial documents.
    client.force_login(
        hospital_user(hospital, role=HospitalRole.DEPARTMENT_USER, departments=[department])
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["contract"] is None
    assert list(response.context["agreements"]) == []
    assert reverse("contracts:contract_detail", args=[contract.pk]) not in response.content.decode()
