"""API of training (R-2.1, R-2.2): plans, sessions, attendance; 422 with field paths, 404
outside the caller's scope, 409 for a duplicate attendee, and never a price."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from contracts.tests.factories import ContractFactory
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from training.models import Attendance, TrainingPlan, TrainingSession

from .factories import SIGNATURE, make_plan, make_session, sign_in, standard_topics

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def locs(response) -> list[list]:
    return [error["loc"] for error in response.json()["errors"]]


@pytest.fixture
def manager(client):
    user = vendor_user(VendorRole.MANAGER)
    client.force_login(user)
    return user


@pytest.fixture
def plan():
    return make_plan(hospital=HospitalFactory(name="Hospital A"))


def session_body(plan, **overrides):
    body = {
        "plan_id": plan.pk,
        "topic_ids": [t.pk for t in standard_topics()],
        "topic_text": "Alarm handling",
        "lecturer_id": vendor_user(VendorRole.ENGINEER).pk,
        "starts_at": "2026-03-02T09:30:00+08:00",
        "duration": "PT2H",
        "place": "Room 3",
        "audience_department_ids": [DepartmentFactory(hospital=plan.hospital).pk],
    }
    body.update(overrides)
    return body


MONEY_WORDS = ("price", "fee", "charge", "cost", "amount", "currency")


def priced_keys(value, path="") -> list[str]:
    """Keys that would carry money, anywhere in a JSON body (``free_of_charge`` says none)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "free_of_charge" and any(word in key.lower() for word in MONEY_WORDS):
                found.append(f"{path}.{key}")
            found += priced_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            found += priced_keys(item, path)
    return found


def test_no_training_schema_can_carry_a_price(client, manager):
    """R-2.1: training never produces a charge; no request or answer has a money field."""
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    training = {name: schema for name, schema in schemas.items() if name.startswith("Training")}
    assert {"TrainingSessionIn", "TrainingSessionOut", "TrainingPlanIn"} <= set(training)
    assert {"TrainingAttendanceIn", "TrainingAttendanceOut"} <= set(training)
    for name, schema in training.items():
        assert not priced_keys(schema.get("properties", {})), name


# --- plans ------------------------------------------------------------------------------
def test_create_read_and_list_plans(client, manager):
    contract = ContractFactory()
    response = post(client, "/api/v1/training-plans", {"contract_id": contract.pk, "title": "P"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["hospital_id"] == contract.hospital_id
    assert body["contract_number"] == contract.number
    assert body["free_of_charge"] is True and body["session_count"] == 0
    assert client.get(f"/api/v1/training-plans/{body['id']}").json()["title"] == "P"
    listed = client.get(f"/api/v1/training-plans?hospital_id={contract.hospital_id}").json()
    assert [p["id"] for p in listed["items"]] == [body["id"]]


def test_an_engineer_may_not_create_a_plan(client):
    client.force_login(vendor_user(VendorRole.ENGINEER))
    response = post(
        client, "/api/v1/training-plans", {"contract_id": ContractFactory().pk, "title": "P"}
    )
    assert response.status_code == 403
    assert not TrainingPlan.objects.exists()


# --- sessions ---------------------------------------------------------------------------
def test_create_and_read_a_session_which_has_no_price(client, manager, plan):
    response = post(client, "/api/v1/training-sessions", session_body(plan))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("TR-2026-")
    assert body["duration"] == "P0DT02H00M00S"  # ISO 8601
    assert body["ends_at"].startswith("2026-03-02T03:30:00")  # stored in UTC
    assert [t["key"] for t in body["topics"]] == [
        "performance",
        "installation",
        "operation-maintenance",
    ]
    assert body["state"] == "planned" and body["attendee_count"] == 0
    # training is free, so the API offers nothing to charge.
    assert body["free_of_charge"] is True
    assert not priced_keys(body)
    read = client.get(f"/api/v1/training-sessions/{body['id']}").json()
    assert read == body


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"starts_at": "2026-03-02T09:30:00"}, ["body", "starts_at"]),  # naive
        ({"place": ""}, ["body", "place"]),
        ({"duration": "PT0S"}, ["body", "duration"]),
        ({"topic_ids": [], "topic_text": ""}, ["body", "topic_ids"]),
        ({"topic_ids": [999999]}, ["body", "topic_ids"]),
    ],
)
def test_bad_session_input_answers_422_on_the_field(client, manager, plan, overrides, loc):
    response = post(client, "/api/v1/training-sessions", session_body(plan, **overrides))
    assert response.status_code == 422, response.content
    assert loc in locs(response)
    assert not TrainingSession.objects.exists()


@pytest.mark.parametrize("role", [VendorRole.DISPATCHER, VendorRole.ADMIN])
def test_a_lecturer_who_is_no_engineer_or_manager_answers_422(client, manager, plan, role):
    body = session_body(plan, lecturer_id=vendor_user(role).pk)
    response = post(client, "/api/v1/training-sessions", body)
    assert response.status_code == 422
    assert ["body", "lecturer_id"] in locs(response)


def test_a_hospital_user_is_no_lecturer_and_another_hospitals_department_no_audience(
    client, manager, plan
):
    response = post(
        client,
        "/api/v1/training-sessions",
        session_body(plan, lecturer_id=hospital_user(plan.hospital).pk),
    )
    assert response.status_code == 422 and ["body", "lecturer_id"] in locs(response)
    other = DepartmentFactory(hospital=HospitalFactory())
    response = post(
        client,
        "/api/v1/training-sessions",
        session_body(plan, audience_department_ids=[other.pk]),
    )
    assert response.status_code == 422 and ["body", "audience_department_ids"] in locs(response)
    assert not TrainingSession.objects.exists()


def test_list_filters_and_pages(client, manager, plan):
    other_plan = make_plan()
    now = timezone.now().replace(microsecond=0)
    first = make_session(plan=plan, starts_at=now - timedelta(days=3))
    second = make_session(plan=plan, starts_at=now + timedelta(days=3))
    make_session(plan=other_plan, starts_at=now)
    everything = client.get("/api/v1/training-sessions?limit=2").json()
    assert everything["count"] == 3 and len(everything["items"]) == 2
    by_plan = client.get(f"/api/v1/training-sessions?plan_id={plan.pk}").json()
    assert [s["id"] for s in by_plan["items"]] == [first.pk, second.pk]
    by_hospital = client.get(f"/api/v1/training-sessions?hospital_id={plan.hospital_id}").json()
    assert by_hospital["count"] == 2
    day = timezone.localtime(second.starts_at).date().isoformat()
    window = client.get(f"/api/v1/training-sessions?from={day}&to={day}").json()
    assert [s["id"] for s in window["items"]] == [second.pk]


# --- scope ------------------------------------------------------------------------------
def test_another_hospitals_sessions_are_404_and_never_listed(client, plan):
    session = make_session(plan=plan)
    sign_in(session)
    b_admin = hospital_user(HospitalFactory(name="Hospital B"))
    client.force_login(b_admin)
    for url in (
        f"/api/v1/training-sessions/{session.pk}",
        f"/api/v1/training-sessions/{session.pk}/attendance",
        f"/api/v1/training-plans/{plan.pk}",
    ):
        assert client.get(url).status_code == 404, url
    response = post(
        client,
        f"/api/v1/training-sessions/{session.pk}/attendance",
        {"name": "x", "department_text": "x", "signature": SIGNATURE},
    )
    assert response.status_code == 404
    assert client.get("/api/v1/training-sessions").json()["count"] == 0
    assert client.get("/api/v1/training-plans").json()["count"] == 0
    assert Attendance.objects.count() == 1


def test_hospital_users_read_their_hospitals_sessions(client, plan):
    session = make_session(plan=plan)
    department = DepartmentFactory(hospital=plan.hospital)
    user = hospital_user(plan.hospital, HospitalRole.DEPARTMENT_USER, departments=[department])
    client.force_login(user)
    assert client.get(f"/api/v1/training-sessions/{session.pk}").status_code == 200
    assert client.get("/api/v1/training-sessions").json()["count"] == 1
    # Department users only read: they do not run the sign-in.
    response = post(
        client,
        f"/api/v1/training-sessions/{session.pk}/attendance",
        {"name": "x", "department_id": department.pk, "signature": SIGNATURE},
    )
    assert response.status_code == 403


# --- attendance -------------------------------------------------------------------------
def test_the_equipment_admin_signs_in_staff_and_a_duplicate_answers_409(client, plan):
    session = make_session(plan=plan)
    department = DepartmentFactory(hospital=plan.hospital, name="ICU")
    client.force_login(hospital_user(plan.hospital))
    url = f"/api/v1/training-sessions/{session.pk}/attendance"
    body = {"name": "Wang Fang", "department_id": department.pk, "role": "Nurse",
            "signature": SIGNATURE, "score": 90}  # fmt: skip
    response = post(client, url, body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["department_name"] == "ICU" and created["score"] == 90
    assert created["has_signature"] and created["method"] == "signed"
    assert created["certificate_url"].endswith("certificate.pdf")
    again = post(client, url, {**body, "name": "wang  fang"})
    assert again.status_code == 409
    assert "already signed in" in again.json()["detail"]
    assert again.json()["errors"][0]["type"] == "duplicate_attendee"
    listed = client.get(url).json()
    assert [a["name"] for a in listed] == ["Wang Fang"]


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"score": 101}, ["body", "score"]),
        ({"signature": None}, ["body", "signature"]),
        ({"signature": "data:image/png;base64,AAAA"}, ["body", "signature"]),
        ({"name": ""}, ["body", "name"]),
        ({"department_id": None}, ["body", "department_id"]),
    ],
)
def test_bad_attendance_answers_422(client, manager, plan, overrides, loc):
    session = make_session(plan=plan)
    department = DepartmentFactory(hospital=plan.hospital)
    body = {"name": "Li", "department_id": department.pk, "signature": SIGNATURE, **overrides}
    response = post(client, f"/api/v1/training-sessions/{session.pk}/attendance", body)
    assert response.status_code == 422, response.content
    assert loc in locs(response)
    assert not Attendance.objects.exists()


def test_another_hospitals_department_answers_422(client, manager, plan):
    session = make_session(plan=plan)
    other = DepartmentFactory(hospital=HospitalFactory())
    response = post(
        client,
        f"/api/v1/training-sessions/{session.pk}/attendance",
        {"name": "Li", "department_id": other.pk, "signature": SIGNATURE},
    )
    assert response.status_code == 422
    assert ["body", "department_id"] in locs(response)


def test_without_signature_once_the_sheet_is_uploaded_and_a_score_later(client, manager, plan):
    from django.core.files.base import ContentFile

    from training import services

    session = make_session(plan=plan)
    services.training_sheet_upload(session=session, file=ContentFile(b"x", name="s.jpg"))
    url = f"/api/v1/training-sessions/{session.pk}/attendance"
    response = post(client, url, {"name": "Chen", "department_text": "Visiting"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["method"] == "sheet" and not created["has_signature"]
    patch = client.patch(
        f"{url}/{created['id']}", json.dumps({"score": 75}), content_type="application/json"
    )
    assert patch.status_code == 200 and patch.json()["score"] == 75
    bad = client.patch(
        f"{url}/{created['id']}", json.dumps({"score": 101}), content_type="application/json"
    )
    assert bad.status_code == 422 and ["body", "score"] in locs(bad)


def test_attendance_on_a_cancelled_or_future_session_answers_409(client, manager, plan):
    from training import services

    session = make_session(plan=plan, starts_at=timezone.now() + timedelta(days=5))
    department = DepartmentFactory(hospital=plan.hospital)
    body = {"name": "Li", "department_id": department.pk, "signature": SIGNATURE}
    url = f"/api/v1/training-sessions/{session.pk}/attendance"
    assert post(client, url, body).status_code == 409
    services.training_session_set_state(session=session, state="cancelled")
    response = post(client, url, body)
    assert response.status_code == 409
    assert response.json()["errors"][0]["type"] == "session_cancelled"
