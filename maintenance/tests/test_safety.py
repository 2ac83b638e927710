"""Patient safety first (issue 12 §1): a failed item or an out-of-limit reading either raises
a service request found on the visit or carries a written justification, else the
completion is refused naming the item, nothing saved; a failed safety item puts the device
out of use (停用). The default templates' self-test, leakage current and safety performance
items are safety items (data migration); templates mark them with ``"safety": true``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import Device, DeviceOutOfUse
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from core.tests.apiclient import Api, locs
from maintenance.generation import visits_generate
from maintenance.models import MaintenancePlanTemplate, Visit, VisitFinding, VisitState
from maintenance.selectors import checklist_for
from maintenance.services import checklist_clean, checklist_problems
from maintenance.tests.factories import VisitFactory, signature_data_url
from maintenance.visit_records import visit_complete
from service.models import ServiceRequest
from service.services import service_request_record_event

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
OVERHAUL_PASSING = {
    "appearance": "pass",
    "self_test": "pass",
    "leakage_current": 35,
    "safety": "pass",
}


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


def overhaul_visit() -> Visit:
    """The overhaul of a device live on 10 March 2025 (due 10 March 2026), with the default
    checklists: appearance, self-test, leakage current, safety performance, remarks."""
    device = DeviceFactory(live_on=date(2025, 3, 10))
    visits_generate(today=date(2026, 2, 20), horizon_days=30, devices=[device])
    return Visit.objects.get(device=device, main_kind="overhaul")


def complete(visit, user, **kwargs):
    kwargs.setdefault("now", NOW)
    return visit_complete(visit=visit, user=user, **kwargs)


def test_the_default_templates_mark_their_safety_items():
    """Data migration 0005: self-test, leakage current, safety performance test."""
    defaults = MaintenancePlanTemplate.objects.filter(product_model=None, category="")
    flagged = {
        (t.kind, item["key"]) for t in defaults for item in t.checklist if item.get("safety")
    }
    assert flagged == {
        ("patrol", "self_test"),
        ("inspection", "self_test"),
        ("inspection", "leakage_current"),
        ("overhaul", "self_test"),
        ("overhaul", "leakage_current"),
        ("overhaul", "safety"),
    }
    keys = {item["key"]: item.get("safety", False) for item in checklist_for(overhaul_visit())}
    assert keys == {
        "appearance": False,
        "self_test": True,
        "leakage_current": True,
        "safety": True,
        "remarks": False,
    }


def test_a_checklist_item_carries_a_safety_flag_on_failable_items_only():
    items = [
        {"key": "alarm", "label": "报警功能", "type": "pass_fail", "safety": True},
        {"key": "remarks", "label": "备注", "type": "text"},
    ]
    assert checklist_clean(items)[0] == {
        "key": "alarm",
        "label": "报警功能",
        "type": "pass_fail",
        "safety": True,
    }
    assert "safety" not in checklist_clean(items)[1]
    problems = checklist_problems(
        [
            {"key": "a", "label": "A", "type": "text", "safety": True},
            {"key": "b", "label": "B", "type": "pass_fail", "safety": "yes"},
        ]
    )
    assert [(p.index, p.field) for p in problems] == [(0, "safety"), (1, "safety")]


def test_a_failed_item_without_request_or_note_is_refused_naming_it(engineer, settings):
    visit = overhaul_visit()
    results = OVERHAUL_PASSING | {"self_test": "fail"}
    with pytest.raises(ValidationError) as caught:
        complete(
            visit,
            engineer,
            results=results,
            signer_name="王主任",
            signature_data_url=signature_data_url(),
        )
    assert set(caught.value.message_dict) == {"self_test"}
    assert "开机自检" in caught.value.message_dict["self_test"][0]
    # Nothing saved: not done, not signed (the hospital cannot sign it), device in use.
    visit.refresh_from_db()
    assert (visit.state, visit.content_hash, visit.results) == (VisitState.PLANNED, "", {})
    assert not ServiceRequest.objects.exists()
    assert not DeviceOutOfUse.objects.exists()
    assert Device.objects.get(pk=visit.device_id).out_of_use_since is None


def test_an_out_of_limit_reading_without_request_or_note_is_refused(engineer):
    visit = overhaul_visit()
    with pytest.raises(ValidationError) as caught:
        complete(visit, engineer, results=OVERHAUL_PASSING | {"leakage_current": 150})
    assert "漏电流" in caught.value.message_dict["leakage_current"][0]
    assert Visit.objects.get(pk=visit.pk).state == VisitState.PLANNED


def test_a_written_justification_is_accepted_without_a_request(engineer):
    visit = overhaul_visit()
    results = OVERHAUL_PASSING | {"appearance": {"value": "fail", "note": "外壳划痕，不影响使用"}}
    done = complete(visit, engineer, results=results)
    assert done.state == VisitState.DONE
    assert done.results["appearance"] == {
        "value": False,
        "ok": False,
        "note": "外壳划痕，不影响使用",
    }
    assert not ServiceRequest.objects.exists()
    # Appearance is no safety item: the device stays in use.
    assert Device.objects.get(pk=visit.device_id).out_of_use_since is None


def test_a_failed_safety_item_raising_a_request_puts_the_device_out_of_use(engineer):
    visit = overhaul_visit()
    done = complete(
        visit,
        engineer,
        results=OVERHAUL_PASSING | {"self_test": "fail"},
        raise_requests_for=["self_test"],
    )
    (finding,) = VisitFinding.objects.filter(visit=done)
    assert finding.request.channel == "visit"
    device = Device.objects.get(pk=visit.device_id)
    assert device.out_of_use_since == NOW
    assert "开机自检" in device.out_of_use_reason
    (row,) = DeviceOutOfUse.objects.filter(device=device)
    assert (row.started_at, row.started_by, row.visit_ref, row.item_keys) == (
        NOW,
        engineer,
        visit.pk,
        ["self_test"],
    )
    assert row.is_open and "开机自检" in row.reason


def test_a_failed_safety_item_justified_by_a_note_still_puts_the_device_out_of_use(engineer):
    visit = overhaul_visit()
    note = "漏电流超标，已通知设备科停用，待厂家更换电源模块"
    complete(
        visit,
        engineer,
        results=OVERHAUL_PASSING | {"leakage_current": {"value": "180", "note": note}},
    )
    device = Device.objects.get(pk=visit.device_id)
    assert device.out_of_use_since == NOW
    assert "180" in device.out_of_use_reason and note in device.out_of_use_reason


def test_the_raised_request_resolved_puts_the_device_back_in_use(engineer):
    visit = overhaul_visit()
    complete(
        visit,
        engineer,
        results=OVERHAUL_PASSING | {"safety": "fail"},
        raise_requests_for=["safety"],
    )
    request = VisitFinding.objects.get(visit=visit).request
    later = NOW + timedelta(hours=3)
    service_request_record_event(
        request=request, type="remote_resolved", occurred_at=later, actor=None, now=later
    )
    device = Device.objects.get(pk=visit.device_id)
    assert (device.out_of_use_since, device.out_of_use_reason) == (None, "")
    (row,) = DeviceOutOfUse.objects.filter(device=device)
    assert (row.cleared_at, row.cleared_by_request) == (later, request.number)


# --- the API --------------------------------------------------------------------------------


@pytest.fixture
def api_visit(engineer):
    device = DeviceFactory()
    contract = ContractFactory(hospital=device.hospital, devices=[device], number="C-1")
    contract.dedicated_engineers.set([engineer])
    visit = VisitFactory(device=device, contract=contract, due_on=date(2026, 3, 10))
    visit.engineers.set([engineer])
    return visit


def test_api_refuses_an_unjustified_failure_at_its_field_path(client, engineer, api_visit):
    api = Api(client, engineer)
    body = {
        "results": {"appearance": "pass", "self_test": "fail"},
        "signer_name": "王主任",
        "signature": signature_data_url(),
    }
    response = api.post(f"/visits/{api_visit.pk}/complete", body)
    assert locs(response) == [["body", "results", "self_test"]]
    assert "开机自检" in response.json()["errors"][0]["msg"]
    api_visit.refresh_from_db()
    assert api_visit.state == VisitState.PLANNED and not api_visit.content_hash

    justified = {"results": {"appearance": "pass", "self_test": {"value": "fail", "note": "复测"}}}
    done = api.post(f"/visits/{api_visit.pk}/complete", justified)
    assert done.status_code == 200, done.content
    device = api.get(f"/devices/{api_visit.device_id}").json()
    assert device["out_of_use"] is True
    assert device["out_of_use_since"] is not None and "开机自检" in device["out_of_use_reason"]


def test_api_creates_a_template_with_a_safety_item(client):
    api = Api(client, vendor_user(VendorRole.MANAGER, username="mgr"))
    body = {
        "kind": "patrol",
        "checklist": [
            {"key": "alarm", "label": "报警功能", "type": "pass_fail", "safety": True},
            {"key": "remarks", "label": "备注", "type": "text"},
        ],
    }
    response = api.post("/maintenance-plans", body)
    assert response.status_code == 201, response.content
    assert [item["safety"] for item in response.json()["checklist"]] == [True, False]
    bad = body | {"checklist": [{"key": "r", "label": "R", "type": "text", "safety": True}]}
    assert locs(api.post("/maintenance-plans", bad)) == [["body", "checklist", 0, "safety"]]


def test_a_failed_safety_item_tells_the_manager_once(engineer, django_capture_on_commit_callbacks):
    """Issue 13 §2: the manager hears at once that a device was put out of use."""
    from core.models import OutboxEvent
    from maintenance import notices
    from notify.models import InboxMessage

    manager = vendor_user(VendorRole.MANAGER, username="boss")
    passing, failing = overhaul_visit(), overhaul_visit()
    with django_capture_on_commit_callbacks(execute=True):
        complete(passing, engineer, results=OVERHAUL_PASSING)
    assert not InboxMessage.objects.filter(kind=notices.SAFETY_FAILED).exists()
    note = "漏电流超标，已通知设备科停用"
    with django_capture_on_commit_callbacks(execute=True):
        complete(
            failing,
            engineer,
            results=OVERHAUL_PASSING | {"leakage_current": {"value": "180", "note": note}},
        )
    (message,) = InboxMessage.objects.filter(kind=notices.SAFETY_FAILED)
    assert message.user == manager
    assert str(failing.device.serial_number) in message.subject
    assert "180" in message.body and message.url == f"/devices/{failing.device_id}/"
    notices.notify_safety_failed(OutboxEvent.objects.get(name=notices.SAFETY_FAILED))
    assert InboxMessage.objects.filter(kind=notices.SAFETY_FAILED).count() == 1
