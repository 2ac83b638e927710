"""REST API: contracts, maintenance agreements and the coverage of a device (issue 2 §5, §6,
"Bad input")."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, MainComponentFactory
from contracts.models import Contract, ContractDevice, MaintenanceAgreement
from core.tests.apiclient import Api, locs
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user

from .factories import ContractFactory, MaintenanceAgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_api(client):
    return Api(client, vendor_user(VendorRole.MANAGER))


@pytest.fixture
def hospital():
    return HospitalFactory(name="Hospital A")


@pytest.fixture
def devices(hospital):
    department = DepartmentFactory(hospital=hospital)
    return [DeviceFactory(department=department) for _ in range(2)]


def contract_body(hospital, devices, **extra):
    """The body of issue 2 §6, exactly."""
    return {
        "hospital_id": hospital.pk,
        "number": "QD-2026-001",
        "warranty_months": 12,
        "extended_warranty_months": 6,
        "device_ids": [d.pk for d in devices],
    } | extra


def agreement_body(hospital, devices, **extra):
    """The body of issue 2 §6, exactly."""
    return {
        "hospital_id": hospital.pk,
        "starts_on": "2027-01-11",
        "ends_on": "2028-01-10",
        "device_ids": [d.pk for d in devices],
        "covers_parts": False,
        "covers_labor": True,
        "covers_travel": True,
    } | extra


# --- contracts --------------------------------------------------------------------------
def test_post_contract_with_the_issue_body(manager_api, hospital, devices):
    """Issue 2 §6: POST /api/v1/contracts → 201 with the object and its id."""
    response = manager_api.post("/contracts", contract_body(hospital, devices))
    assert response.status_code == 201, response.content
    body = response.json()
    contract = Contract.objects.get(pk=body["id"])
    assert body["device_ids"] == sorted(d.pk for d in devices)
    assert (contract.warranty_months, contract.extended_warranty_months) == (12, 6)
    assert body["dedicated_engineer_ids"] == []


def test_post_contract_with_dedicated_engineers(manager_api, hospital, devices):
    """R-6.8: two named engineers."""
    engineers = [vendor_user(VendorRole.ENGINEER) for _ in range(3)]
    body = contract_body(hospital, devices, dedicated_engineer_ids=[e.pk for e in engineers[:2]])
    response = manager_api.post("/contracts", body)
    assert response.status_code == 201
    assert response.json()["dedicated_engineer_ids"] == sorted(e.pk for e in engineers[:2])
    body = contract_body(
        hospital, [], number="C-2", dedicated_engineer_ids=[e.pk for e in engineers]
    )
    assert locs(manager_api.post("/contracts", body)) == [["body", "dedicated_engineer_ids"]]
    dispatcher = vendor_user(VendorRole.DISPATCHER)
    body = contract_body(hospital, [], number="C-3", dedicated_engineer_ids=[dispatcher.pk])
    assert locs(manager_api.post("/contracts", body)) == [["body", "dedicated_engineer_ids"]]
    assert Contract.objects.count() == 1


@pytest.mark.parametrize(
    ("extra", "loc"),
    [
        ({"warranty_months": 0}, ["body", "warranty_months"]),
        ({"warranty_months": -12}, ["body", "warranty_months"]),
        ({"warranty_months": "twelve"}, ["body", "warranty_months"]),
        ({"extended_warranty_months": -1}, ["body", "extended_warranty_months"]),
        ({"number": ""}, ["body", "number"]),
        ({"hospital_id": 999_999}, ["body", "hospital_id"]),
        ({"device_ids": [999_999]}, ["body", "device_ids"]),
        ({"signed_on": "2026-13-01"}, ["body", "signed_on"]),
        ({"warranty_months": 40_000}, ["body", "warranty_months"]),
    ],
    ids=[
        "warranty-zero",
        "warranty-negative",
        "warranty-not-a-number",
        "extended-negative",
        "empty-number",
        "unknown-hospital",
        "unknown-device",
        "bad-date",
        "warranty-absurd",
    ],
)
def test_post_contract_bad_input(manager_api, hospital, devices, extra, loc):
    """Issue 2 "Bad input": 422 with the field path, nothing saved."""
    response = manager_api.post("/contracts", contract_body(hospital, devices, **extra))
    assert loc in locs(response)
    assert not Contract.objects.exists()
    assert not ContractDevice.objects.exists()


def test_post_contract_device_of_another_hospital(manager_api, hospital, devices):
    """Issue 2 "Bad input": a device from another hospital in a contract."""
    foreign = DeviceFactory()
    response = manager_api.post("/contracts", contract_body(hospital, [*devices, foreign]))
    assert locs(response) == [["body", "device_ids"]]
    assert not Contract.objects.exists()


def test_post_contract_device_already_sold(manager_api, hospital, devices):
    ContractFactory(hospital=hospital, devices=[devices[0]])
    response = manager_api.post("/contracts", contract_body(hospital, devices))
    assert locs(response) == [["body", "device_ids"]]
    assert Contract.objects.count() == 1


def test_post_contract_duplicate_number(manager_api, hospital, devices):
    ContractFactory(hospital=hospital, number="QD-2026-001")
    response = manager_api.post("/contracts", contract_body(hospital, devices))
    assert locs(response) == [["body", "number"]]


def test_contract_read_patch_list(manager_api, hospital, devices):
    contract = ContractFactory(hospital=hospital, number="QD-A-1", devices=devices)
    ContractFactory(number="QD-B-1")
    assert manager_api.get("/contracts").json()["count"] == 2
    assert manager_api.get("/contracts", hospital_id=hospital.pk).json()["count"] == 1
    page = manager_api.get("/contracts", q="b-1", limit=1).json()
    assert [c["number"] for c in page["items"]] == ["QD-B-1"]
    assert manager_api.get(f"/contracts/{contract.pk}").json()["device_ids"] == sorted(
        d.pk for d in devices
    )
    response = manager_api.patch(
        f"/contracts/{contract.pk}", {"warranty_months": 24, "device_ids": [devices[0].pk]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["device_ids"] == [devices[0].pk]
    response = manager_api.patch(f"/contracts/{contract.pk}", {"warranty_months": 0})
    assert locs(response) == [["body", "warranty_months"]]
    contract.refresh_from_db()
    assert contract.warranty_months == 24


def test_hotline_agent_cannot_create_contracts(client, hospital, devices):
    api = Api(client, vendor_user(VendorRole.DISPATCHER))
    response = api.post("/contracts", contract_body(hospital, devices))
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    assert not Contract.objects.exists()
    assert api.get("/contracts").status_code == 200  # reading is fine


# --- maintenance agreements (R-7.8) -----------------------------------------------------
def test_post_agreement_with_the_issue_body(manager_api, hospital, devices):
    """Issue 2 §6: POST /api/v1/maintenance-agreements → 201; the number is generated."""
    response = manager_api.post("/maintenance-agreements", agreement_body(hospital, devices))
    assert response.status_code == 201, response.content
    body = response.json()
    agreement = MaintenanceAgreement.objects.get(pk=body["id"])
    assert body["number"] == agreement.number == "MA-2027-0001"
    assert (body["covers_parts"], body["covers_labor"], body["covers_travel"]) == (
        False,
        True,
        True,
    )
    assert body["device_ids"] == sorted(d.pk for d in devices)


@pytest.mark.parametrize(
    ("extra", "loc"),
    [
        ({"ends_on": "2027-01-10"}, ["body", "ends_on"]),
        ({"starts_on": None}, ["body", "starts_on"]),
        ({"fee": "-5.00"}, ["body", "fee"]),
        ({"covers_parts": "maybe"}, ["body", "covers_parts"]),
    ],
    ids=["ends-before-start", "no-start", "negative-fee", "not-a-bool"],
)
def test_post_agreement_bad_input(manager_api, hospital, devices, extra, loc):
    response = manager_api.post(
        "/maintenance-agreements", agreement_body(hospital, devices, **extra)
    )
    assert loc in locs(response)
    assert not MaintenanceAgreement.objects.exists()


def test_post_agreement_device_of_another_hospital(manager_api, hospital, devices):
    body = agreement_body(hospital, [*devices, DeviceFactory()])
    assert locs(manager_api.post("/maintenance-agreements", body)) == [["body", "device_ids"]]
    assert not MaintenanceAgreement.objects.exists()


def test_agreement_read_patch_list(manager_api, hospital, devices):
    agreement = MaintenanceAgreementFactory(hospital=hospital, devices=[devices[0]])
    MaintenanceAgreementFactory()
    assert manager_api.get("/maintenance-agreements").json()["count"] == 2
    page = manager_api.get("/maintenance-agreements", device_id=devices[0].pk).json()
    assert [a["id"] for a in page["items"]] == [agreement.pk]
    assert manager_api.get("/maintenance-agreements", hospital_id=hospital.pk).json()["count"] == 1
    response = manager_api.patch(
        f"/maintenance-agreements/{agreement.pk}", {"covers_parts": True, "fee": "8000.00"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["covers_parts"] is True
    response = manager_api.patch(
        f"/maintenance-agreements/{agreement.pk}", {"ends_on": "2020-01-01"}
    )
    assert locs(response) == [["body", "ends_on"]]


# --- coverage ---------------------------------------------------------------------------
COVERAGE_KEYS = {"cover", "ends_at", "parts", "labor", "travel", "reason"}


def coverage(api, device, **params):
    return api.get(f"/devices/{device.pk}/coverage", **params)


def test_coverage_in_warranty(manager_api, hospital, devices):
    """Issue 2 §5: {"cover", "ends_at", "parts", "labor", "travel", "reason"}; the factory
    device was accepted on 2026-01-10, so 12 months cover the whole of 2027-01-10."""
    device = devices[0]
    ContractFactory(hospital=hospital, number="QD-1", devices=[device])
    response = coverage(manager_api, device, at="2027-01-10T23:59:59+08:00", cause="quality")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= COVERAGE_KEYS
    assert (body["cover"], body["parts"], body["labor"], body["travel"]) == (
        "warranty",
        "free",
        "free",
        "free",
    )
    assert dt.datetime.fromisoformat(body["ends_at"]) == dt.datetime.fromisoformat(
        "2027-01-11T00:00:00+08:00"
    )
    assert "QD-1" in body["reason"]


def test_coverage_next_second_and_utc_input(manager_api, devices):
    body = coverage(manager_api, devices[0], at="2027-01-10T16:00:00Z", cause="quality").json()
    assert (body["cover"], body["ends_at"]) == ("none", None)
    assert (body["parts"], body["labor"], body["travel"]) == ("cost", "list", "list")
    body = coverage(manager_api, devices[0], at="2027-01-10T15:59:59Z", cause="quality").json()
    assert body["cover"] == "warranty"


def test_coverage_non_quality_in_warranty(manager_api, devices):
    """R-7.7: parts at cost, labor and travel free."""
    body = coverage(manager_api, devices[0], at="2026-06-01T10:00:00+08:00", cause="non_quality")
    assert (body.json()["parts"], body.json()["labor"], body.json()["travel"]) == (
        "cost",
        "free",
        "free",
    )


def test_coverage_under_agreement(manager_api, hospital, devices):
    """R-7.8: after warranty, the agreement's lines (not parts here)."""
    MaintenanceAgreementFactory(hospital=hospital, devices=[devices[0]], covers_travel=False)
    body = coverage(manager_api, devices[0], at="2027-06-01T10:00:00+08:00", cause="quality")
    body = body.json()
    assert (body["cover"], body["parts"], body["labor"], body["travel"]) == (
        "agreement",
        "cost",
        "free",
        "list",
    )


def test_coverage_without_acceptance(manager_api, hospital):
    device = DeviceFactory(accepted_on=None, department=DepartmentFactory(hospital=hospital))
    response = coverage(manager_api, device, at="2026-06-01T10:00:00+08:00", cause="quality")
    assert response.status_code == 200
    body = response.json()
    assert (body["cover"], body["warranty_started"], body["ends_at"]) == ("none", False, None)
    assert body["reason"]


def test_coverage_defaults_to_now_and_undetermined(manager_api, devices):
    body = coverage(manager_api, devices[0]).json()
    assert body["cause"] == "undetermined"
    assert body["priced_as"] == "quality"
    assert body["at"]


def test_coverage_of_a_replaced_component(manager_api, devices):
    """R-6.5 through the API: the component's own 12 months from its replacement."""
    component = MainComponentFactory(device=devices[0], replaced_on=dt.date(2026, 11, 10))
    body = coverage(
        manager_api,
        devices[0],
        at="2027-06-01T10:00:00+08:00",
        cause="quality",
        component_id=component.pk,
    ).json()
    assert body["cover"] == "warranty"
    assert dt.datetime.fromisoformat(body["ends_at"]) == dt.datetime.fromisoformat(
        "2027-11-11T00:00:00+08:00"
    )
    other = MainComponentFactory()
    response = coverage(manager_api, devices[0], component_id=other.pk)
    assert locs(response) == [["query", "component_id"]]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"cause": "misuse"}, ["query", "cause"]),
        ({"at": "2027-01-10T23:59:59"}, ["query", "at"]),
        ({"at": "yesterday"}, ["query", "at"]),
    ],
    ids=["unknown-cause", "naive-datetime", "not-a-datetime"],
)
def test_coverage_bad_query(manager_api, devices, params, loc):
    """Issue 2 "Bad input": unknown cause value → 422 with the field path."""
    assert loc in locs(coverage(manager_api, devices[0], **params))


# --- hospital A never sees hospital B ---------------------------------------------------
def test_equipment_admin_sees_only_own_contracts(client, hospital, devices):
    own = ContractFactory(hospital=hospital)
    contract_b = ContractFactory()
    agreement_b = MaintenanceAgreementFactory()
    device_b = DeviceFactory()
    api = Api(client, hospital_user(hospital, role=HospitalRole.EQUIPMENT_ADMIN))
    assert [c["id"] for c in api.get("/contracts").json()["items"]] == [own.pk]
    assert api.get(f"/contracts/{contract_b.pk}").status_code == 404
    assert api.get(f"/maintenance-agreements/{agreement_b.pk}").status_code == 404
    assert api.get(f"/devices/{device_b.pk}/coverage").status_code == 404
    assert api.patch(f"/contracts/{contract_b.pk}", {"title": "x"}).status_code == 404
    assert coverage(api, devices[0], cause="quality").status_code == 200
    # Hospital users read contracts; they do not write them.
    assert api.patch(f"/contracts/{own.pk}", {"title": "x"}).status_code == 403
    body = contract_body(hospital, devices)
    assert api.post("/contracts", body).status_code == 403
    body["hospital_id"] = contract_b.hospital_id  # another hospital: as if it did not exist
    assert locs(api.post("/contracts", body)) == [["body", "hospital_id"]]
