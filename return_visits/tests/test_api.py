"""REST API of the return visits (issue 4 §6): list with filters, add one by hand (409 when
the month is taken), record the sheet, sign it from both sides; bad input answers 422 at the
field's path and changes nothing; another hospital's visits are a 404."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from core.tests.apiclient import Api, locs
from customers.models import HospitalRole
from customers.tests.factories import HospitalFactory, hospital_user
from return_visits.models import ReturnVisit, ReturnVisitDeviceCheck
from return_visits.services import return_visits_generate
from service.models import ServiceRequest

from .factories import SIGNATURE, department_with_devices, engineer

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)  # 12 March, 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    a = HospitalFactory(name="Hospital A")
    b = HospitalFactory(name="Hospital B")
    worker = engineer(username="eng-a")
    icu, icu_devices = department_with_devices(hospital=a, name="ICU", engineers=[worker])
    ward, _ = department_with_devices(hospital=a, name="Ward", devices=1)
    b_dept, _ = department_with_devices(hospital=b, name="B ICU")
    return_visits_generate(horizon_days=40)  # March and April
    return {
        "a": a,
        "b": b,
        "engineer": worker,
        "icu": icu,
        "icu_devices": icu_devices,
        "ward": ward,
        "b_dept": b_dept,
        "visit": ReturnVisit.objects.get(department=icu, month=date(2026, 3, 1)),
        "b_visit": ReturnVisit.objects.get(department=b_dept, month=date(2026, 3, 1)),
    }


def sheet_body(department_devices, **overrides):
    body = {
        "participants": [{"name": "王主任", "role": "科室主任"}],
        "devices": [{"device_id": d.pk, "state": "normal"} for d in department_devices],
        "training_given": "日常保养",
        "findings": [],
        "satisfaction": 4,
        "comments": "满意",
    }
    body.update(overrides)
    return body


def sign_body(role, name="签名人"):
    return {"role": role, "signer_name": name, "signature": SIGNATURE}


def test_list_filters_and_pages(client, world):
    api = Api(client, vendor_user(VendorRole.DISPATCHER))
    everything = api.get("/return-visits").json()
    assert everything["count"] == 6
    march = api.get("/return-visits", month="2026-03", hospital_id=world["a"].pk).json()
    assert {(v["department_name"], v["month"]) for v in march["items"]} == {
        ("ICU", "2026-03"),
        ("Ward", "2026-03"),
    }
    item = next(v for v in march["items"] if v["department_name"] == "ICU")
    assert item["due_on"] == "2026-03-15" and item["display_state"] == "planned"
    assert item["engineer_ids"] == [world["engineer"].pk]
    assert item["window_start"] == "2026-03-01" and item["window_end"] == "2026-03-31"
    one = api.get("/return-visits", department_id=world["ward"].pk, limit=1).json()
    assert (one["count"], len(one["items"]), one["limit"]) == (2, 1, 1)
    assert api.get("/return-visits", state="done").json()["count"] == 0
    assert locs(api.get("/return-visits", state="finished")) == [["query", "state"]]
    assert locs(api.get("/return-visits", month="2026-13")) == [["query", "month"]]


def test_create_by_hand_and_409_when_the_month_is_taken(client, world):
    api = Api(client, vendor_user(VendorRole.MANAGER))
    response = api.post(
        "/return-visits",
        {"department_id": world["ward"].pk, "month": "2026-06", "due_on": "2026-06-20"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["month"], body["due_on"], body["scheduled"]) == ("2026-06", "2026-06-20", False)
    again = api.post("/return-visits", {"department_id": world["ward"].pk, "month": "2026-06"})
    assert again.status_code == 409
    assert again.json()["errors"][0]["type"] == "return_visit_exists"
    assert ReturnVisit.objects.filter(department=world["ward"], month="2026-06-01").count() == 1
    # Bad input: each field at its path.
    bad = api.post(
        "/return-visits",
        {"department_id": world["ward"].pk, "month": "2026-01", "due_on": "2026-02-01"},
    )
    assert sorted(locs(bad)) == [["body", "due_on"], ["body", "month"]]
    assert locs(api.post("/return-visits", {"department_id": 999999, "month": "2026-07"})) == [
        ["body", "department_id"]
    ]
    wrong = api.post(
        "/return-visits",
        {"department_id": world["ward"].pk, "month": "2026-07", "engineer_ids": [api.user.pk]},
    )
    assert locs(wrong) == [["body", "engineer_ids"]]


def test_record_and_sign_from_both_sides(client, world, django_capture_on_commit_callbacks):
    visit, devices = world["visit"], world["icu_devices"]
    api = Api(client, world["engineer"])
    finding = {
        "device_id": devices[0].pk,
        "kind": "fault",
        "description": "报警器失灵",
        "raise_request": True,
    }
    response = api.post(f"/return-visits/{visit.pk}/sheet", sheet_body(devices, findings=[finding]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_state"] == "awaiting_signature"
    assert body["participants"] == [{"name": "王主任", "role": "科室主任"}]
    assert {d["device_id"] for d in body["devices"]} == {d.pk for d in devices}
    request = ServiceRequest.objects.get()
    assert body["findings"][0]["service_request_number"] == request.number
    assert request.channel == "visit"

    signed = api.post(f"/return-visits/{visit.pk}/sign", sign_body("engineer", "张伟"))
    assert signed.status_code == 201, signed.content
    assert [s["role"] for s in signed.json()["signatures"]] == ["engineer"]

    nurse = hospital_user(
        world["a"], HospitalRole.DEPARTMENT_USER, departments=[world["icu"]], username="nurse"
    )
    hospital = Api(client, nurse)
    # The hospital signs, it does not write the sheet.
    refused = hospital.post(f"/return-visits/{visit.pk}/sheet", sheet_body(devices))
    assert refused.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        done = hospital.post(f"/return-visits/{visit.pk}/sign", sign_body("hospital", "李娜"))
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["state"] == "done" and body["frozen_at"] and len(body["content_hash"]) == 64
    assert body["pdf_url"] == f"/return-visits/{visit.pk}/sheet.pdf"
    visit.refresh_from_db()
    assert visit.pdf

    # Frozen: 409, and nothing changes.
    again = api.post(f"/return-visits/{visit.pk}/sheet", sheet_body(devices, satisfaction=1))
    assert again.status_code == 409
    assert api.get(f"/return-visits/{visit.pk}").json()["satisfaction"] == 4


def test_bad_sheets_answer_422_at_the_field_path_and_change_nothing(client, world):
    visit, devices = world["visit"], world["icu_devices"]
    api = Api(client, world["engineer"])
    url = f"/return-visits/{visit.pk}/sheet"
    assert locs(api.post(url, sheet_body(devices, satisfaction=0))) == [["body", "satisfaction"]]
    assert locs(api.post(url, sheet_body(devices, satisfaction=6))) == [["body", "satisfaction"]]
    stranger = DeviceFactory()
    rows = [{"device_id": stranger.pk, "state": "normal"}] + [
        {"device_id": d.pk, "state": "normal"} for d in devices
    ]
    assert locs(api.post(url, sheet_body(devices, devices=rows))) == [
        ["body", "devices", 0, "device_id"]
    ]
    rows = [{"device_id": devices[0].pk, "state": "broken"}]
    assert locs(api.post(url, sheet_body(devices, devices=rows))) == [
        ["body", "devices", 0, "state"]
    ]
    assert locs(api.post(url, sheet_body(devices, participants=[]))) == [["body", "participants"]]
    finding = {"device_id": stranger.pk, "description": "x"}
    assert locs(api.post(url, sheet_body(devices, findings=[finding]))) == [
        ["body", "findings", 0, "device_id"]
    ]
    missing = sheet_body(devices, devices=[{"device_id": devices[0].pk, "state": "normal"}])
    assert locs(api.post(url, missing)) == [["body", "devices"]]
    visit.refresh_from_db()
    assert visit.recorded_at is None and not ReturnVisitDeviceCheck.objects.exists()
    # Signing an unrecorded sheet contradicts its state.
    early = api.post(f"/return-visits/{visit.pk}/sign", sign_body("engineer"))
    assert early.status_code == 409
    bad_signature = api.post(
        f"/return-visits/{visit.pk}/sign", {"role": "boss", "signer_name": "x", "signature": "x"}
    )
    assert locs(bad_signature) == [["body", "role"]]


def test_another_hospital_sees_nothing(client, world):
    b_admin = hospital_user(world["b"], username="b-admin")
    api = Api(client, b_admin)
    visit = world["visit"]
    listed = api.get("/return-visits").json()
    assert {v["id"] for v in listed["items"]} == set(
        ReturnVisit.objects.filter(hospital=world["b"]).values_list("pk", flat=True)
    )
    assert api.get(f"/return-visits/{visit.pk}").status_code == 404
    body = sheet_body(world["icu_devices"])
    assert api.post(f"/return-visits/{visit.pk}/sheet", body).status_code == 404
    assert api.post(f"/return-visits/{visit.pk}/sign", sign_body("hospital")).status_code == 404
    # Its own visit: the hospital signs but neither writes nor adds one.
    own = world["b_visit"]
    assert api.get(f"/return-visits/{own.pk}").status_code == 200
    created = api.post("/return-visits", {"department_id": world["b_dept"].pk, "month": "2026-09"})
    assert created.status_code == 403
    # A department user sees only their department.
    ward_user = hospital_user(
        world["a"], HospitalRole.DEPARTMENT_USER, departments=[world["ward"]], username="ward"
    )
    seen = Api(client, ward_user).get("/return-visits").json()
    assert {v["department_name"] for v in seen["items"]} == {"Ward"}
