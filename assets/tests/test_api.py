"""REST API: product models, devices, main components, emergency procedures (issue 2 §4, §6,
"Bad input")."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import Device, DeviceStatus, EmergencyProcedure, MainComponent, ProductModel
from core.tests.apiclient import Api, locs
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user

from .factories import (
    DeviceFactory,
    EmergencyProcedureFactory,
    MainComponentFactory,
    ProductModelFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
GTIN = "06971234567895"
BAD_GTIN = "06971234567896"
NOW = dt.datetime(2026, 5, 1, 10, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def engineer_api(client):
    return Api(client, vendor_user(VendorRole.ENGINEER))


@pytest.fixture
def department():
    return DepartmentFactory(hospital=HospitalFactory(name="Hospital A"))


@pytest.fixture
def product_model():
    return ProductModelFactory(gtin=GTIN)


def device_body(product_model, department, **extra):
    """The body of issue 2 §6, exactly."""
    return {
        "product_model_id": product_model.pk,
        "serial_number": "SN-0001",
        "hospital_id": department.hospital_id,
        "department_id": department.pk,
        "installed_on": "2026-03-01",
        "accepted_on": "2026-03-05",
    } | extra


# --- product models ---------------------------------------------------------------------
def test_post_product_model_with_manufacturer_and_name(engineer_api):
    """Issue 2 §6: POST /api/v1/product-models {"manufacturer","name"} → 201 with id."""
    response = engineer_api.post("/product-models", {"manufacturer": "Qingdun", "name": "QD-CT"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert ProductModel.objects.get(pk=body["id"]).name == "QD-CT"
    assert body["main_components"] == []


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "X"}, ["body", "manufacturer"]),
        ({"manufacturer": "Q", "name": "X", "gtin": BAD_GTIN}, ["body", "gtin"]),
    ],
    ids=["missing-manufacturer", "bad-gtin"],
)
def test_post_product_model_bad_input(engineer_api, body, loc):
    assert locs(engineer_api.post("/product-models", body)) == [loc]
    assert not ProductModel.objects.exists()


def test_product_model_duplicate_name_is_422(engineer_api):
    ProductModelFactory(manufacturer="Q", name="X")
    response = engineer_api.post("/product-models", {"manufacturer": "Q", "name": "X"})
    assert locs(response) == [["body", "name"]]
    assert ProductModel.objects.count() == 1


def test_product_model_read_patch_list(engineer_api):
    model = ProductModelFactory(manufacturer="Qingdun", name="Monitor 1", category="monitoring")
    ProductModelFactory(manufacturer="Other", name="CT 9", category="imaging")
    assert engineer_api.get("/product-models", q="qingdun").json()["count"] == 1
    assert engineer_api.get("/product-models", category="imaging").json()["count"] == 1
    assert engineer_api.get(f"/product-models/{model.pk}").json()["name"] == "Monitor 1"
    response = engineer_api.patch(f"/product-models/{model.pk}", {"main_components": ["tube"]})
    assert response.status_code == 200
    assert response.json()["main_components"] == ["tube"]


# --- devices ----------------------------------------------------------------------------
def test_post_device_with_the_issue_body(engineer_api, product_model, department):
    """Issue 2 §6: POST /api/v1/devices {product_model_id, serial_number, hospital_id,
    department_id, installed_on, accepted_on} → 201 with the object and its id."""
    response = engineer_api.post("/devices", device_body(product_model, department))
    assert response.status_code == 201, response.content
    body = response.json()
    device = Device.objects.get(pk=body["id"])
    assert (device.serial_number, device.accepted_on) == ("SN-0001", dt.date(2026, 3, 5))
    assert body["public_id"] == str(device.public_id)
    assert body["status"] == DeviceStatus.INSTALLED


def test_post_device_with_scanned_udi_only(engineer_api, product_model, department):
    """Issue 2 §4: the serial comes from AI 21 and the model from the GTIN."""
    body = device_body(product_model, department, udi=f"(01){GTIN}(11)250101(21)SN-UDI")
    del body["product_model_id"], body["serial_number"]
    response = engineer_api.post("/devices", body)
    assert response.status_code == 201, response.content
    assert response.json()["serial_number"] == "SN-UDI"
    assert response.json()["product_model_id"] == product_model.pk
    assert response.json()["udi_di"] == GTIN


@pytest.mark.parametrize(
    ("extra", "loc"),
    [
        ({"udi": f"(01){BAD_GTIN}(21)SN-0001"}, ["body", "udi"]),
        ({"accepted_on": "2026-02-28"}, ["body", "accepted_on"]),
        ({"accepted_on": "2026-05-02"}, ["body", "accepted_on"]),
        ({"installed_on": "2026-05-02", "accepted_on": None}, ["body", "installed_on"]),
        ({"accepted_on": "2026-02-30"}, ["body", "accepted_on"]),
        ({"status": "broken"}, ["body", "status"]),
        ({"product_model_id": 999_999}, ["body", "product_model_id"]),
        ({"serial_number": "x" * 101}, ["body", "serial_number"]),
    ],
    ids=[
        "bad-gtin-check-digit",
        "acceptance-before-installation",
        "acceptance-in-future",
        "installation-in-future",
        "impossible-date",
        "unknown-status",
        "unknown-model",
        "serial-too-long",
    ],
)
def test_post_device_bad_input(engineer_api, product_model, department, extra, loc):
    """Issue 2 "Bad input": 422 with the field path, nothing saved."""
    response = engineer_api.post("/devices", device_body(product_model, department, **extra))
    assert loc in locs(response)
    assert not Device.objects.exists()


def test_post_device_duplicate_serial(engineer_api, product_model, department):
    """Issue 2 "Bad input": a duplicate serial is an error on serial_number; another model
    may use the same serial."""
    assert engineer_api.post("/devices", device_body(product_model, department)).status_code == 201
    response = engineer_api.post("/devices", device_body(product_model, department))
    assert locs(response) == [["body", "serial_number"]]
    other = ProductModelFactory()
    assert engineer_api.post("/devices", device_body(other, department)).status_code == 201
    assert Device.objects.count() == 2


def test_post_device_department_of_another_hospital(engineer_api, product_model, department):
    foreign = DepartmentFactory()
    body = device_body(product_model, department, department_id=foreign.pk)
    assert locs(engineer_api.post("/devices", body)) == [["body", "department_id"]]
    assert not Device.objects.exists()


def test_post_device_without_model_or_udi(engineer_api, product_model, department):
    body = device_body(product_model, department)
    del body["product_model_id"]
    assert locs(engineer_api.post("/devices", body)) == [["body", "product_model_id"]]


def test_device_read_patch_list_filter_and_paginate(engineer_api, department):
    devices = [
        DeviceFactory(department=department, serial_number=f"SN-{n}", asset_tag=f"T{n}")
        for n in range(3)
    ]
    DeviceFactory(status=DeviceStatus.RETIRED)  # another hospital
    page = engineer_api.get("/devices", hospital_id=department.hospital_id, limit=2).json()
    assert page["count"] == 3
    assert [d["id"] for d in page["items"]] == [devices[0].pk, devices[1].pk]
    page = engineer_api.get("/devices", hospital_id=department.hospital_id, offset=2).json()
    assert [d["id"] for d in page["items"]] == [devices[2].pk]
    assert engineer_api.get("/devices", status="retired").json()["count"] == 1
    assert engineer_api.get("/devices", q="T1").json()["items"][0]["id"] == devices[1].pk
    assert locs(engineer_api.get("/devices", status="nope")) == [["query", "status"]]
    assert locs(engineer_api.get("/devices", limit="many")) == [["query", "limit"]]

    target = devices[0]
    assert engineer_api.get(f"/devices/{target.pk}").json()["serial_number"] == "SN-0"
    response = engineer_api.patch(f"/devices/{target.pk}", {"location": "Room 3"})
    assert response.status_code == 200
    assert response.json()["location"] == "Room 3"
    response = engineer_api.patch(f"/devices/{target.pk}", {"accepted_on": "2026-01-01"})
    assert locs(response) == [["body", "accepted_on"]]  # before installation (2026-01-05)
    target.refresh_from_db()
    assert target.accepted_on == dt.date(2026, 1, 10)


def test_device_search_by_scanned_udi(engineer_api, product_model, department):
    body = device_body(product_model, department, udi=f"(01){GTIN}(21)SN-0001")
    device_id = engineer_api.post("/devices", body).json()["id"]
    page = engineer_api.get("/devices", q=f"]d201{GTIN}21SN-0001").json()
    assert [d["id"] for d in page["items"]] == [device_id]


# --- go-live (R-5.1) --------------------------------------------------------------------
def test_go_live_refused_then_accepted_after_receipt(engineer_api, department):
    """R-5.1 through the API: refused with a clear error until the procedure is received."""
    device = DeviceFactory(department=department)
    engineer_api.headers["Accept-Language"] = "en"
    response = engineer_api.post(f"/devices/{device.pk}/go-live", {"live_on": "2026-04-01"})
    assert locs(response) == [["body", "live_on"]]
    assert "emergency procedure" in response.json()["errors"][0]["msg"]
    response = engineer_api.post(
        "/emergency-procedures",
        {
            "department_id": department.pk,
            "device_id": device.pk,
            "title": "应急处理程序方案",
            "text": "Switch to backup.",
        },
    )
    assert response.status_code == 201, response.content
    procedure_id = response.json()["id"]
    assert response.json()["product_model_id"] == device.product_model_id
    response = engineer_api.post(
        f"/emergency-procedures/{procedure_id}/receipt",
        {"received_by": "护士长", "received_at": "2026-04-30T09:00:00+08:00"},
    )
    assert response.status_code == 200, response.content
    response = engineer_api.post(f"/devices/{device.pk}/go-live", {"live_on": "2026-04-01"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == DeviceStatus.IN_SERVICE


def test_emergency_procedure_receipt_in_future_is_422(engineer_api, department):
    procedure = EmergencyProcedureFactory(department=department)
    response = engineer_api.post(
        f"/emergency-procedures/{procedure.pk}/receipt",
        {"received_by": "x", "received_at": "2026-05-02T09:00:00+08:00"},
    )
    assert locs(response) == [["body", "received_at"]]
    procedure.refresh_from_db()
    assert procedure.received_at is None


def test_emergency_procedure_naive_receipt_time_is_422(engineer_api, department):
    procedure = EmergencyProcedureFactory(department=department)
    response = engineer_api.post(
        f"/emergency-procedures/{procedure.pk}/receipt",
        {"received_by": "x", "received_at": "2026-04-02T09:00:00"},
    )
    assert locs(response) == [["body", "received_at"]]


def test_emergency_procedure_without_target_is_422(engineer_api, department):
    response = engineer_api.post(
        "/emergency-procedures", {"department_id": department.pk, "title": "P", "text": "t"}
    )
    assert locs(response) == [["body", "product_model_id"]]
    assert not EmergencyProcedure.objects.exists()


# --- main components (R-6.5) ------------------------------------------------------------
def test_component_add_list_and_replace(engineer_api, department):
    device = DeviceFactory(department=department)
    response = engineer_api.post(
        f"/devices/{device.pk}/components", {"name": "X-ray tube", "serial_number": "T-1"}
    )
    assert response.status_code == 201, response.content
    old_id = response.json()["id"]
    response = engineer_api.post(
        f"/components/{old_id}/replace",
        {"new_serial_number": "T-2", "replaced_on": "2026-04-20", "removal_fate": "returned"},
    )
    assert response.status_code == 201, response.content
    new = response.json()
    assert (new["replaced_on"], new["replaces_id"]) == ("2026-04-20", old_id)
    listed = engineer_api.get(f"/devices/{device.pk}/components").json()
    assert {c["serial_number"]: c["removed_on"] for c in listed} == {
        "T-1": "2026-04-20",
        "T-2": None,
    }
    response = engineer_api.post(
        f"/components/{new['id']}/replace",
        {"new_serial_number": "T-3", "replaced_on": "2026-05-02", "removal_fate": "returned"},
    )
    assert locs(response) == [["body", "replaced_on"]]
    response = engineer_api.post(
        f"/components/{new['id']}/replace",
        {"new_serial_number": "T-1", "replaced_on": "2026-04-30", "removal_fate": "returned"},
    )
    assert locs(response) == [["body", "new_serial_number"]]
    response = engineer_api.post(
        f"/devices/{device.pk}/components", {"name": "X-ray tube", "serial_number": "T-2"}
    )
    assert locs(response) == [["body", "serial_number"]]
    assert MainComponent.objects.count() == 2


def test_patch_null_clears_optional_text_and_refuses_required(engineer_api, department):
    device = DeviceFactory(department=department, asset_tag="T-9", location="Room 1")
    response = engineer_api.patch(
        f"/devices/{device.pk}", {"asset_tag": None, "location": None, "udi": None}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["asset_tag"], response.json()["location"]) == ("", "")
    response = engineer_api.patch(f"/devices/{device.pk}", {"serial_number": None})
    assert locs(response) == [["body", "serial_number"]]
    response = engineer_api.patch(f"/devices/{device.pk}", {"department_id": None})
    assert locs(response) == [["body", "department_id"]]


# --- who may see and do what ------------------------------------------------------------
def test_equipment_admin_gets_404_for_other_hospitals_devices(client, department):
    device_b = DeviceFactory()
    component_b = MainComponentFactory(device=device_b)
    api = Api(client, hospital_user(department.hospital, role=HospitalRole.EQUIPMENT_ADMIN))
    for url in (
        f"/devices/{device_b.pk}",
        f"/devices/{device_b.pk}/components",
        f"/devices/{device_b.pk}/coverage",
    ):
        assert api.get(url).status_code == 404, url
    assert api.patch(f"/devices/{device_b.pk}", {"location": "x"}).status_code == 404
    response = api.post(
        f"/components/{component_b.pk}/replace",
        {"new_serial_number": "X", "replaced_on": "2026-04-01", "removal_fate": "returned"},
    )
    assert response.status_code == 404
    assert api.get("/devices").json()["count"] == 0
    own = DeviceFactory(department=department)
    assert [d["id"] for d in api.get("/devices").json()["items"]] == [own.pk]


def test_hospital_users_cannot_register_devices(client, product_model, department):
    api = Api(client, hospital_user(department.hospital, role=HospitalRole.EQUIPMENT_ADMIN))
    response = api.post("/devices", device_body(product_model, department))
    assert response.status_code == 403
    assert not Device.objects.exists()


def test_department_user_sees_only_their_departments_devices(client, department):
    mine = DeviceFactory(department=department)
    sibling = DeviceFactory(department=DepartmentFactory(hospital=department.hospital))
    api = Api(
        client,
        hospital_user(
            department.hospital, role=HospitalRole.DEPARTMENT_USER, departments=[department]
        ),
    )
    assert [d["id"] for d in api.get("/devices").json()["items"]] == [mine.pk]
    assert api.get(f"/devices/{sibling.pk}").status_code == 404
