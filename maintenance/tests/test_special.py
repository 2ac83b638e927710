"""Special inspections (R-4.1: when something abnormal shows) are ad-hoc visits with the same
record, and assigning engineers to a planned visit (issue 4 §1)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import DeviceStatus
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from customers.tests.factories import hospital_user
from maintenance.generation import visits_generate
from maintenance.models import Kind, Visit, VisitState
from maintenance.selectors import checklist_for, completion_rates, visit_display_state
from maintenance.services import visit_assign, visit_special_create
from maintenance.tests.factories import VisitFactory, signature_data_url
from maintenance.visit_records import visit_complete, visit_content, visit_signature_matches
from service.models import ServiceRequest

pytestmark = pytest.mark.django_db

# 1 March 2026, 01:00 in Shanghai; still 28 February in UTC.
NOW = datetime(2026, 2, 28, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def engineers():
    return [vendor_user(VendorRole.ENGINEER, username=f"eng{i}") for i in (1, 2)]


@pytest.fixture
def device(engineers):
    device = DeviceFactory(live_on=date(2026, 1, 20))
    contract = ContractFactory(hospital=device.hospital, devices=[device])
    contract.dedicated_engineers.set(engineers)
    return device


def test_special_inspection_is_due_today_in_the_hospitals_zone(device, engineers):
    manager = vendor_user(VendorRole.MANAGER, username="mgr")
    visit = visit_special_create(device=device, user=manager, reason="  异响，屏幕闪烁  ")
    assert visit.key.startswith("special-")
    assert (visit.main_kind, visit.kinds) == (Kind.SPECIAL, ["special"])
    assert (visit.due_on, visit.window_start, visit.window_end) == (
        date(2026, 3, 1),
        date(2026, 3, 1),
        date(2026, 3, 8),
    )
    assert (visit.reason, visit.created_by, visit.state) == (
        "异响，屏幕闪烁",
        manager,
        VisitState.PLANNED,
    )
    assert (visit.hospital, visit.department, visit.contract) == (
        device.hospital,
        device.department,
        device.contract_line.contract,
    )
    assert set(visit.engineers.all()) == set(engineers)
    assert not visit.obligations.exists()  # no plan scheduled it
    assert visit_display_state(visit) == "due"
    # The record of an inspection: the device's inspection checklist.
    keys = [item["key"] for item in checklist_for(visit)]
    assert keys == ["appearance", "self_test", "leakage_current"]


def test_chosen_engineers_and_date(device, engineers):
    other = vendor_user(VendorRole.ENGINEER, username="other")
    visit = visit_special_create(
        device=device,
        user=engineers[0],
        reason="漏液",
        due_on=date(2026, 3, 5),
        engineers=[other],
    )
    assert list(visit.engineers.all()) == [other]
    assert (visit.due_on, visit.window_end) == (date(2026, 3, 5), date(2026, 3, 12))
    assert visit_display_state(visit) == "planned"


def test_without_contract_nobody_is_assigned():
    device = DeviceFactory()
    visit = visit_special_create(
        device=device, user=vendor_user(VendorRole.ENGINEER, username="e"), reason="x"
    )
    assert (visit.contract, list(visit.engineers.all())) == (None, [])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"reason": "x", "due_on": date(2026, 2, 28)}, "due_on"),  # yesterday in Shanghai
        ({"reason": "x", "engineers": "dispatcher"}, "engineers"),
        ({"reason": "x", "engineers": "hospital"}, "engineers"),
        ({"reason": "x", "engineers": "inactive"}, "engineers"),
    ],
)
def test_bad_special_inspection_creates_nothing(device, kwargs, field):
    people = {
        "dispatcher": vendor_user(VendorRole.DISPATCHER, username="d"),
        "hospital": hospital_user(device.hospital, username="h"),
        "inactive": vendor_user(VendorRole.ENGINEER, username="gone", is_active=False),
    }
    if "engineers" in kwargs:
        kwargs = {**kwargs, "engineers": [people[kwargs["engineers"]]]}
    with pytest.raises(ValidationError) as exc:
        visit_special_create(device=device, user=people["dispatcher"], **kwargs)
    assert set(exc.value.message_dict) == {field}
    assert not Visit.objects.exists()


def test_retired_device_gets_no_special_inspection(device):
    device.status = DeviceStatus.RETIRED
    device.save()
    with pytest.raises(ValidationError) as exc:
        visit_special_create(
            device=device, user=vendor_user(VendorRole.ENGINEER, username="e"), reason="x"
        )
    assert "device" in exc.value.message_dict


def test_special_inspection_has_the_same_record(device, engineers):
    visit = visit_special_create(device=device, user=engineers[0], reason="外壳漏电感")
    done = visit_complete(
        visit=visit,
        user=engineers[0],
        results={"appearance": "pass", "self_test": "pass", "leakage_current": "180"},
        signer_name="王主任",
        signature_data_url=signature_data_url(),
        raise_requests_for=["leakage_current"],
    )
    assert done.state == VisitState.DONE and done.is_signed
    assert visit_content(done)["reason"] == "外壳漏电感"  # the signature covers the reason
    assert visit_signature_matches(done)
    (request,) = ServiceRequest.objects.all()
    assert request.visit_finding.visit == done
    assert "Special inspection" in request.description or "专项" in request.description
    # Never scheduled, so never part of "100% of scheduled".
    (total,) = completion_rates(engineers[0], start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert (total.hospital, total.scheduled, total.done) == (None, 0, 0)


def test_special_inspection_survives_the_daily_generation(device, engineers):
    """The nightly generation keeps its hands off ad-hoc visits, today's and future ones."""
    today = visit_special_create(device=device, user=engineers[0], reason="today")
    later = visit_special_create(
        device=device, user=engineers[0], reason="later", due_on=date(2026, 3, 20)
    )
    visits_generate(today=date(2026, 3, 1), devices=[device])
    visits_generate(today=date(2026, 3, 1), devices=[device])
    for visit in (today, later):
        visit.refresh_from_db()
        assert visit.state == VisitState.PLANNED, visit.reason


def test_assign_planned_visit(engineers):
    visit = VisitFactory()
    manager = vendor_user(VendorRole.MANAGER, username="mgr")
    assigned = visit_assign(visit=visit, user=manager, engineers=engineers)
    assert set(assigned.engineers.all()) == set(engineers)
    assigned = visit_assign(visit=visit, user=manager, engineers=[engineers[1]])
    assert list(assigned.engineers.all()) == [engineers[1]]
    assert list(visit_assign(visit=visit, user=manager, engineers=[]).engineers.all()) == []


def test_assign_refuses_non_engineers_and_done_visits(engineers):
    visit = VisitFactory()
    manager = vendor_user(VendorRole.MANAGER, username="mgr")
    visit_assign(visit=visit, user=manager, engineers=[engineers[0]])
    dispatcher = vendor_user(VendorRole.DISPATCHER, username="d")
    with pytest.raises(ValidationError) as exc:
        visit_assign(visit=visit, user=manager, engineers=[engineers[1], dispatcher])
    assert set(exc.value.message_dict) == {"engineers"}
    assert list(visit.engineers.all()) == [engineers[0]]
    visit_complete(
        visit=visit, user=engineers[0], results={"appearance": "pass", "self_test": "pass"}
    )
    visit.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        visit_assign(visit=visit, user=manager, engineers=[engineers[1]])
    assert set(exc.value.message_dict) == {"state"}
    assert list(visit.engineers.all()) == [engineers[0]]
