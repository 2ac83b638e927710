"""REST API of planned maintenance (issue 4 §6): plans, visits, completion and signature,
special inspections. Bad input answers 422 at its field path and changes nothing; a phone
that submits twice gets 409; another hospital's visit is 404. Time is frozen at ``T0``
(10:00 on 10 March 2026 in Qingdao)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from core.tests.apiclient import Api, locs
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, hospital_user
from maintenance.models import ContractPlanOverride, MaintenancePlanTemplate, Visit, VisitState
from maintenance.services import contract_plan_override_set
from maintenance.tests.factories import VisitFactory, signature_data_url
from maintenance.visit_records import visit_complete
from service.models import ServiceRequest

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
PASSING = {"appearance": "pass", "self_test": "pass"}
INSPECTION = {"appearance": "pass", "self_test": "pass", "leakage_current": "150"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


@pytest.fixture
def device(engineer):
    device = DeviceFactory()
    contract = ContractFactory(hospital=device.hospital, devices=[device], number="C-1")
    contract.dedicated_engineers.set([engineer])
    return device


@pytest.fixture
def visit(device, engineer):
    visit = VisitFactory(device=device, contract=device.contract_line.contract)  # 3-17 March
    visit.engineers.set([engineer])
    return visit


@pytest.fixture
def inspection(device):
    return VisitFactory(
        device=device,
        main_kind="inspection",
        kinds=["inspection", "patrol"],
        due_on=dt.date(2026, 3, 12),
        tolerance=14,
        obligations=[("inspection", dt.date(2026, 3, 12)), ("patrol", dt.date(2026, 3, 12))],
    )


@pytest.fixture
def engineer_api(client, engineer):
    return Api(client, engineer)


@pytest.fixture
def manager_api(client):
    return Api(client, vendor_user(VendorRole.MANAGER, username="mgr"))


@pytest.fixture
def nurse(visit):
    return hospital_user(
        visit.hospital,
        HospitalRole.DEPARTMENT_USER,
        departments=[visit.department],
        username="nurse",
    )


@pytest.fixture
def stranger():
    """The equipment administrator of another hospital."""
    return hospital_user(DepartmentFactory().hospital, username="stranger")


# --- plans ---------------------------------------------------------------------------------


def test_plans_list_templates_and_the_contracts_own_numbers(client, device, stranger):
    contract = device.contract_line.contract
    override = contract_plan_override_set(contract=contract, kind="patrol", interval_months=2)
    api = Api(client, vendor_user(VendorRole.MANAGER, username="mgr"))
    body = api.get("/maintenance-plans").json()
    assert body["count"] == 4
    assert [(p["source"], p["kind"]) for p in body["items"]] == [
        ("template", "inspection"),
        ("template", "overhaul"),
        ("template", "patrol"),
        ("contract", "patrol"),
    ]
    assert body["items"][3] | {"checklist": []} == {
        "id": override.pk,
        "source": "contract",
        "kind": "patrol",
        "product_model_id": None,
        "category": "",
        "contract_id": contract.pk,
        "interval_months": 2,
        "tolerance_days": 7,
        "checklist": [],
        "active": True,
    }
    leakage = next(i for i in body["items"][0]["checklist"] if i["key"] == "leakage_current")
    assert (leakage["max"], leakage["unit"]) == (100, "µA")
    assert [p["source"] for p in api.get("/maintenance-plans", kind="patrol").json()["items"]] == [
        "template",
        "contract",
    ]
    only = api.get("/maintenance-plans", contract_id=contract.pk).json()
    assert [p["id"] for p in only["items"]] == [override.pk]
    assert api.get("/maintenance-plans", product_model_id=device.product_model_id).json() == {
        "count": 0,
        "limit": 50,
        "offset": 0,
        "items": [],
    }
    paged = api.get("/maintenance-plans", limit=2, offset=2).json()
    assert (paged["count"], len(paged["items"])) == (4, 2)
    # Another hospital reads the templates, not this hospital's contract.
    theirs = Api(client, stranger).get("/maintenance-plans").json()
    assert [p["source"] for p in theirs["items"]] == ["template"] * 3


def test_manager_creates_a_template_that_replaces_the_active_one(manager_api, device):
    body = {
        "kind": "patrol",
        "product_model_id": device.product_model_id,
        "interval_months": 1,
        "tolerance_days": 5,
        "checklist": [
            {"key": "appearance", "label": "外观", "type": "pass_fail"},
            {"key": "leakage", "label": "漏电流", "type": "number", "unit": "µA", "max": 100},
            {"key": "panel", "label": "面板照片", "type": "photo"},
        ],
    }
    response = manager_api.post("/maintenance-plans", body)
    assert response.status_code == 201, response.content
    first = response.json()
    assert (first["source"], first["product_model_id"], first["tolerance_days"]) == (
        "template",
        device.product_model_id,
        5,
    )
    assert first["checklist"][1] == {
        "key": "leakage",
        "label": "漏电流",
        "type": "number",
        "unit": "µA",
        "min": None,
        "max": 100,
        "safety": False,
    }
    second = manager_api.post("/maintenance-plans", body | {"tolerance_days": 3}).json()
    assert MaintenancePlanTemplate.objects.get(pk=first["id"]).active is False
    assert MaintenancePlanTemplate.objects.get(pk=second["id"]).active is True


def test_manager_sets_a_contracts_own_numbers(manager_api, device):
    contract = device.contract_line.contract
    body = {"kind": "inspection", "contract_id": contract.pk, "interval_months": 4}
    first = manager_api.post("/maintenance-plans", body)
    assert first.status_code == 201
    assert (first.json()["source"], first.json()["interval_months"]) == ("contract", 4)
    again = manager_api.post("/maintenance-plans", body | {"interval_months": 6}).json()
    assert again["id"] == first.json()["id"]
    assert ContractPlanOverride.objects.get().interval_months == 6


GOOD_ITEM = {"key": "a", "label": "A", "type": "pass_fail"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"checklist": [GOOD_ITEM, GOOD_ITEM]}, [["body", "checklist", 1, "key"]]),
        (
            {"checklist": [{"key": "n", "label": "N", "type": "number", "min": 5, "max": 1}]},
            [["body", "checklist", 0, "min"]],
        ),
        ({"checklist": [{"key": "x", "label": "X", "type": "colour"}]}, "checklist.0.type"),
        ({"checklist": [{"key": "", "label": "X", "type": "text"}]}, "checklist.0.key"),
        ({"checklist": []}, [["body", "checklist"]]),
        ({}, [["body", "checklist"]]),
        ({"checklist": [GOOD_ITEM], "product_model_id": 999999}, [["body", "product_model_id"]]),
        (
            {"checklist": [GOOD_ITEM], "product_model_id": "model", "category": "imaging"},
            [["body", "category"]],
        ),
        ({"checklist": [GOOD_ITEM], "interval_months": 0}, "interval_months"),
        ({"checklist": [GOOD_ITEM], "kind": "special"}, "kind"),
        ({"contract_id": 999999}, [["body", "contract_id"]]),
        ({"contract_id": "contract", "checklist": [GOOD_ITEM]}, [["body", "checklist"]]),
    ],
)
def test_bad_plans_answer_422_at_the_field_and_create_nothing(manager_api, device, body, expected):
    refs = {"model": device.product_model_id, "contract": device.contract_line.contract.pk}
    body = {"kind": "patrol"} | {
        k: refs.get(v, v) if isinstance(v, str) else v for k, v in body.items()
    }
    before = (MaintenancePlanTemplate.objects.count(), ContractPlanOverride.objects.count())
    paths = locs(manager_api.post("/maintenance-plans", body))
    if isinstance(expected, str):
        assert any(".".join(map(str, loc[1:])).startswith(expected) for loc in paths), paths
    else:
        assert paths == expected
    assert (MaintenancePlanTemplate.objects.count(), ContractPlanOverride.objects.count()) == before


@pytest.mark.parametrize("who", ["engineer", "hospital"])
def test_only_admins_and_managers_change_plans(client, device, who):
    user = (
        vendor_user(VendorRole.ENGINEER, username="e")
        if who == "engineer"
        else hospital_user(device.hospital, username="h")
    )
    body = {"kind": "patrol", "contract_id": device.contract_line.contract.pk}
    assert Api(client, user).post("/maintenance-plans", body).status_code == 403
    assert not ContractPlanOverride.objects.exists()


# --- reading visits ------------------------------------------------------------------------


def test_visit_list_filters_and_pages(engineer_api, visit, inspection, engineer):
    VisitFactory(due_on=dt.date(2026, 2, 1))  # overdue elsewhere
    body = engineer_api.get("/visits", due_from="2026-03-01", due_to="2026-03-31").json()
    assert [v["id"] for v in body["items"]] == [visit.pk, inspection.pk]
    first = body["items"][0]
    assert first == {
        "id": visit.pk,
        "key": visit.key,
        "kind": "patrol",
        "kinds": ["patrol"],
        "device_id": visit.device_id,
        "hospital_id": visit.hospital_id,
        "department_id": visit.department_id,
        "contract_id": visit.contract_id,
        "due_on": "2026-03-10",
        "window_start": "2026-03-03",
        "window_end": "2026-03-17",
        "state": "planned",
        "display_state": "due",
        "signed": False,
        "done_at": None,
        "engineer_ids": [engineer.pk],
    }
    assert [
        v["id"] for v in engineer_api.get("/visits", engineer_id=engineer.pk).json()["items"]
    ] == [visit.pk]
    overdue = engineer_api.get("/visits", state="overdue").json()
    assert [v["display_state"] for v in overdue["items"]] == ["overdue"]
    assert engineer_api.get("/visits", device_id=visit.device_id, limit=1).json()["count"] == 2
    assert engineer_api.get("/visits", hospital_id=visit.hospital_id).json()["count"] == 2


def test_visit_list_refuses_an_inverted_period_and_unknown_states(engineer_api):
    assert locs(engineer_api.get("/visits", due_from="2026-03-31", due_to="2026-03-01")) == [
        ["query", "due_from"]
    ]
    assert locs(engineer_api.get("/visits", state="lost")) == [["query", "state"]]


def test_visit_detail(engineer_api, inspection, engineer):
    visit_complete(
        visit=inspection,
        user=engineer,
        results=INSPECTION,
        raise_requests_for=["leakage_current"],
    )
    body = engineer_api.get(f"/visits/{inspection.pk}").json()
    request = ServiceRequest.objects.get()
    assert [item["key"] for item in body["checklist"]] == [
        "appearance",
        "self_test",
        "leakage_current",
    ]
    assert body["results"]["leakage_current"] == {"value": 150, "ok": False, "note": ""}
    assert body["obligations"] == [
        {"kind": "inspection", "due_on": "2026-03-12", "fulfilled_at": "2026-03-10T02:00:00Z"},
        {"kind": "patrol", "due_on": "2026-03-12", "fulfilled_at": "2026-03-10T02:00:00Z"},
    ]
    assert body["findings"] == [
        {"item_key": "leakage_current", "request_id": request.pk, "request_number": request.number}
    ]
    assert (body["state"], body["display_state"], body["signed"]) == (
        "done",
        "awaiting_signature",
        False,
    )
    assert (body["done_by_id"], body["photos"], body["reason"]) == (engineer.pk, [], "")


def test_another_hospitals_visit_is_not_found(client, visit, stranger):
    api = Api(client, stranger)
    assert api.get(f"/visits/{visit.pk}").status_code == 404
    assert api.get("/visits").json()["count"] == 0
    signed = {"signer_name": "x", "signature": signature_data_url()}
    assert api.post(f"/visits/{visit.pk}/sign", signed).status_code == 404
    assert api.post(f"/visits/{visit.pk}/complete", {"results": PASSING}).status_code == 404
    assert Visit.objects.get(pk=visit.pk).state == VisitState.PLANNED


# --- completing ----------------------------------------------------------------------------


def test_engineer_completes_and_a_second_submit_is_a_conflict(engineer_api, inspection):
    body = {"results": INSPECTION, "raise_requests_for": ["leakage_current"]}
    first = engineer_api.post(f"/visits/{inspection.pk}/complete", body)
    assert first.status_code == 200, first.content
    assert (first.json()["state"], first.json()["signed"]) == ("done", False)
    assert len(first.json()["findings"]) == 1
    again = engineer_api.post(f"/visits/{inspection.pk}/complete", body)
    assert again.status_code == 409
    assert "already done" in again.json()["detail"]
    assert ServiceRequest.objects.count() == 1  # not raised twice
    assert Visit.objects.get(pk=inspection.pk).done_at == T0


def test_completed_and_signed_at_once(engineer_api, visit):
    body = {"results": PASSING, "signer_name": "王主任", "signature": signature_data_url()}
    response = engineer_api.post(f"/visits/{visit.pk}/complete", body)
    assert response.status_code == 200
    assert (response.json()["signed"], response.json()["display_state"]) == (True, "done")
    assert response.json()["signer_name"] == "王主任"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"results": {"appearance": "pass"}}, [["body", "results", "self_test"]]),
        (
            {"results": {"appearance": "maybe", "self_test": "pass"}},
            [["body", "results", "appearance"]],
        ),
        ({"results": PASSING | {"colour": "red"}}, [["body", "results"]]),
        ({"results": PASSING, "signer_name": "王主任"}, [["body", "signature"]]),
        ({"results": PASSING, "signature": signature_data_url()}, [["body", "signer_name"]]),
        (
            {"results": PASSING, "raise_requests_for": ["appearance"]},
            [["body", "raise_requests_for"]],
        ),
        ({"results": "pass"}, [["body", "results"]]),
    ],
)
def test_bad_completion_answers_422_at_the_field(engineer_api, visit, body, expected):
    assert sorted(locs(engineer_api.post(f"/visits/{visit.pk}/complete", body))) == expected
    stored = Visit.objects.get(pk=visit.pk)
    assert (stored.state, stored.results) == (VisitState.PLANNED, {})


def test_hospital_users_do_not_complete(client, visit, nurse):
    response = Api(client, nurse).post(f"/visits/{visit.pk}/complete", {"results": PASSING})
    assert response.status_code == 403
    assert Visit.objects.get(pk=visit.pk).state == VisitState.PLANNED


# --- signing -------------------------------------------------------------------------------


def test_department_user_signs_later(client, visit, engineer, nurse):
    api = Api(client, nurse)
    signature = {"signer_name": "李护士长", "signature": signature_data_url()}
    not_done = api.post(f"/visits/{visit.pk}/sign", signature)
    assert not_done.status_code == 409
    visit_complete(visit=visit, user=engineer, results=PASSING)
    assert api.get(f"/visits/{visit.pk}").json()["display_state"] == "awaiting_signature"
    assert locs(api.post(f"/visits/{visit.pk}/sign", {"signer_name": "李护士长"})) == [
        ["body", "signature"]
    ]
    response = api.post(f"/visits/{visit.pk}/sign", signature)
    assert response.status_code == 200
    body = response.json()
    assert (body["signed"], body["display_state"], body["signer_name"]) == (
        True,
        "done",
        "李护士长",
    )
    again = api.post(f"/visits/{visit.pk}/sign", signature | {"signer_name": "someone"})
    assert again.status_code == 409
    assert Visit.objects.get(pk=visit.pk).signer_name == "李护士长"


def test_a_user_of_another_department_cannot_sign(client, visit, engineer):
    visit_complete(visit=visit, user=engineer, results=PASSING)
    other = hospital_user(
        visit.hospital,
        HospitalRole.DEPARTMENT_USER,
        departments=[DepartmentFactory(hospital=visit.hospital)],
        username="ward",
    )
    signature = {"signer_name": "x", "signature": signature_data_url()}
    assert Api(client, other).post(f"/visits/{visit.pk}/sign", signature).status_code == 404
    dispatcher = vendor_user(VendorRole.DISPATCHER, username="d")
    assert Api(client, dispatcher).post(f"/visits/{visit.pk}/sign", signature).status_code == 403
    assert not Visit.objects.get(pk=visit.pk).is_signed


# --- special inspections -------------------------------------------------------------------


def test_engineer_creates_a_special_inspection(engineer_api, device, engineer):
    response = engineer_api.post("/visits/special", {"device_id": device.pk, "reason": "异响"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["reason"], body["due_on"], body["window_end"]) == (
        "special",
        "异响",
        "2026-03-10",
        "2026-03-17",
    )
    assert (body["engineer_ids"], body["created_by_id"], body["obligations"]) == (
        [engineer.pk],
        engineer.pk,
        [],
    )
    assert [item["key"] for item in body["checklist"]] == [
        "appearance",
        "self_test",
        "leakage_current",
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"device_id": "elsewhere", "reason": "x"}, [["body", "device_id"]]),
        ({"reason": "x", "engineer_ids": ["dispatcher"]}, [["body", "engineer_ids"]]),
        ({"reason": "x", "due_on": "2026-03-09"}, [["body", "due_on"]]),
        ({"reason": "   "}, [["body", "reason"]]),
        ({"reason": ""}, [["body", "reason"]]),
    ],
)
def test_bad_special_inspection_answers_422(engineer_api, device, body, expected):
    refs = {
        "elsewhere": DeviceFactory().pk,
        "dispatcher": vendor_user(VendorRole.DISPATCHER, username="d").pk,
    }
    body = {"device_id": device.pk} | body
    body = {
        k: [refs[i] for i in v] if isinstance(v, list) else refs.get(v, v) for k, v in body.items()
    }
    body["device_id"] = refs.get(body["device_id"], body["device_id"])
    scoped = Api(engineer_api.client, hospital_user(device.hospital, username="h"))
    if expected == [["body", "device_id"]]:
        assert locs(scoped.post("/visits/special", body)) == expected
    else:
        assert locs(engineer_api.post("/visits/special", body)) == expected
    assert not Visit.objects.exists()


def test_hospital_users_do_not_create_special_inspections(client, device):
    admin = hospital_user(device.hospital, username="admin")
    response = Api(client, admin).post("/visits/special", {"device_id": device.pk, "reason": "x"})
    assert response.status_code == 403
    assert not Visit.objects.exists()
