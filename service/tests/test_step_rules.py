"""Who records which step, steps repeated by accident, steps recorded late (issue 10 §1, §4).

A step recorded twice must not be billed twice; a step recorded by someone who was not there
must not meet a promise; a step dated hours back needs a reason and a manager's word before
it may turn a missed promise into a kept one. Time is frozen at ``T0``.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test import Client

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from charges.services import charge_statement_draft
from charges.tests.factories import covered_device
from contracts.tests.factories import ContractFactory
from core.tests.apiclient import Api, locs
from customers.tests.factories import hospital_user
from service.models import LateStepConfirmation, Milestone, ServiceEvent
from service.repair_records.services import repair_record_save
from service.rules import may_record_step
from service.services import (
    TimelineConflict,
    service_event_confirm_late,
    service_request_open,
    service_request_record_event,
)
from service.timeline import EventType

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Qingdao
H, M, S = dt.timedelta(hours=1), dt.timedelta(minutes=1), dt.timedelta(seconds=1)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def crew():
    """The request's engineer, another engineer, the hotline, a manager and an admin."""
    return {
        "assigned": vendor_user(VendorRole.ENGINEER, username="assigned"),
        "other_engineer": vendor_user(VendorRole.ENGINEER, username="other"),
        "hotline": vendor_user(VendorRole.DISPATCHER, username="hotline"),
        "manager": vendor_user(VendorRole.MANAGER, username="manager"),
        "admin": vendor_user(VendorRole.ADMIN, username="admin"),
    }


@pytest.fixture
def request_(crew):
    device = DeviceFactory()
    ContractFactory(hospital=device.hospital, devices=[device])
    request = service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="no display",
        recorded_by=crew["hotline"],
        reported_at=T0 - 2 * H,
    )
    request.engineers.set([crew["assigned"]])
    return request


# --- who records what ----------------------------------------------------------------------
WHO_RECORDS = {
    EventType.CALLBACK: {"assigned", "hotline", "manager", "admin"},
    EventType.DISPATCHED: {"hotline", "manager", "admin"},
    EventType.ARRIVED: {"assigned"},
    EventType.DEPARTED: {"assigned"},
    EventType.SOLUTION_PROPOSED: {"assigned"},
    EventType.RESOLVED: {"assigned"},
    EventType.REMOTE_RESOLVED: {"assigned", "manager", "admin"},
    EventType.PAUSED: {"assigned", "manager", "admin"},
    EventType.RESUMED: {"assigned", "manager", "admin"},
    EventType.LOANER_INSTALLED: {"assigned", "manager", "admin"},
    EventType.CUSTOMER_SIGNED: {"assigned", "other_engineer", "manager", "admin", "customer"},
    EventType.FILED: {"hotline", "manager", "admin"},
    EventType.CLOSED: {"hotline", "manager", "admin"},
    EventType.REOPENED: {"hotline", "manager", "admin"},
    # A call noted from the hotline desk: whoever answers the hotline (issue 13 §3).
    EventType.CALL: {"assigned", "other_engineer", "hotline", "manager", "admin"},
}


def test_every_step_has_its_recorders():
    assert set(WHO_RECORDS) == set(EventType)


@pytest.mark.parametrize("step", list(EventType))
def test_who_may_record_each_step(request_, crew, step):
    people = crew | {"customer": hospital_user(request_.hospital, username="h-admin")}
    allowed = {name for name, user in people.items() if may_record_step(user, request_, step)}
    assert allowed == WHO_RECORDS[step]


def test_an_engineer_not_on_the_request_cannot_record_an_arrival(request_, crew):
    """The attack of the review: any vendor user posted ``arrived`` back-dated before the
    dispatch, and the on-site promise showed met."""
    with pytest.raises(PermissionDenied):
        service_request_record_event(
            request=request_, type="arrived", occurred_at=T0, actor=crew["other_engineer"]
        )
    with pytest.raises(PermissionDenied):
        service_request_record_event(
            request=request_, type="arrived", occurred_at=T0, actor=crew["hotline"]
        )
    assert not ServiceEvent.objects.exists()


def test_the_api_answers_403_with_who_records_the_step(client, request_, crew):
    url = f"/api/v1/service-requests/{request_.pk}/events"
    response = Api(client, crew["other_engineer"]).post(url[7:], {"type": "arrived"})
    assert response.status_code == 403
    assert "dispatched to" in response.json()["detail"]
    assert Api(client, crew["assigned"]).post(url[7:], {"type": "arrived"}).status_code == 201
    assert ServiceEvent.objects.count() == 1


def test_the_customer_signature_is_not_a_bare_step(client, request_, crew):
    api = Api(client, crew["assigned"])
    url = f"/service-requests/{request_.pk}/events"
    assert api.post(url, {"type": "arrived"}).status_code == 201
    assert api.post(url, {"type": "resolved"}).status_code == 201
    assert locs(api.post(url, {"type": "customer_signed"})) == [["body", "type"]]
    assert not ServiceEvent.objects.filter(type="customer_signed").exists()


# --- a step repeated by accident ---------------------------------------------------------
def test_an_arrival_posted_twice_five_seconds_apart_is_refused_the_second_time(
    client, request_, crew, frozen
):
    api = Api(client, crew["assigned"])
    url = f"/service-requests/{request_.pk}/events"
    first = api.post(url, {"type": "arrived"})
    frozen.shift(5)
    second = api.post(url, {"type": "arrived"})  # another key, or none: the same accident
    assert (first.status_code, second.status_code) == (201, 409)
    assert second.json()["errors"][0]["type"] == "already_on_site"
    assert ServiceEvent.objects.filter(type="arrived").count() == 1


def test_the_step_form_refuses_the_repeat_whatever_the_key(client, request_, crew):
    client.force_login(crew["assigned"])
    url = f"/service-requests/{request_.pk}/events/"
    assert client.post(url, {"type": "arrived", "idempotency_key": "a"}).status_code == 302
    again = client.post(url, {"type": "arrived", "idempotency_key": "b"})
    assert again.status_code == 409
    assert ServiceEvent.objects.filter(type="arrived").count() == 1


def test_a_second_trip_is_a_trip_by_rule_and_billed_as_two(crew):
    device = covered_device(accepted_on=dt.date(2024, 1, 1))  # out of warranty: travel billed
    request = service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="no display",
        recorded_by=crew["hotline"],
        reported_at=T0 - 6 * H,
    )
    engineer = crew["assigned"]
    request.engineers.set([engineer])
    for kind, at in (("arrived", 5), ("departed", 60), ("arrived", 180)):
        moment = T0 - 6 * H + at * M
        service_request_record_event(
            request=request, type=kind, occurred_at=moment, actor=engineer, now=moment
        )
    repair_record_save(
        request=request, author=engineer, symptoms="E12", diagnosis="fuse", solution="fuse"
    )
    service_request_record_event(
        request=request, type="resolved", occurred_at=T0 - M, actor=engineer
    )
    travel = [
        line
        for line in charge_statement_draft(request=request).lines.all()
        if line.kind == "travel"
    ]
    assert [line.quantity for line in travel] == [2]


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel connections: PostgreSQL only"
)


@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_arrivals_posted_in_parallel_record_one_and_bill_one_trip(transactional_db):
    """The review's 20 parallel ``arrived`` posts billed 20 trips (6,000 CNY of travel)."""
    engineer = vendor_user(VendorRole.ENGINEER, username="assigned")
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    request = service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="no display",
        recorded_by=vendor_user(VendorRole.DISPATCHER, username="hotline"),
        reported_at=T0 - H,
    )
    request.engineers.set([engineer])
    api = Api(Client(), engineer)
    barrier = Barrier(20)

    def post(n: int) -> int:
        try:
            barrier.wait(timeout=20)
            response = Client().post(
                f"/api/v1/service-requests/{request.pk}/events",
                {"type": "arrived"},
                content_type="application/json",
                headers=api.headers | {"Idempotency-Key": f"tap-{n}"},
            )
            return response.status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = sorted(pool.map(post, range(20)))
    assert codes == [201] + [409] * 19
    assert ServiceEvent.objects.filter(request=request, type="arrived").count() == 1
    repair_record_save(
        request=request, author=engineer, symptoms="E12", diagnosis="fuse", solution="fuse"
    )
    service_request_record_event(
        request=request, type="resolved", occurred_at=T0 + M, actor=engineer, now=T0 + M
    )
    travel = [
        line
        for line in charge_statement_draft(request=request).lines.all()
        if line.kind == "travel"
    ]
    assert [line.quantity for line in travel] == [1]


# --- steps recorded late -------------------------------------------------------------------
def test_a_step_dated_more_than_a_quarter_hour_back_needs_a_reason(request_, crew):
    with pytest.raises(ValidationError) as caught:
        service_request_record_event(
            request=request_, type="arrived", occurred_at=T0 - 16 * M, actor=crew["assigned"]
        )
    assert set(caught.value.error_dict) == {"late_reason"}
    assert not ServiceEvent.objects.exists()
    # Within the quarter of an hour: recorded in time, no reason asked.
    service_request_record_event(
        request=request_, type="arrived", occurred_at=T0 - 15 * M, actor=crew["assigned"]
    )
    assert ServiceEvent.objects.get().recorded_late is False


def test_a_late_step_meets_its_promise_only_once_a_manager_confirms_it(request_, crew):
    """Back-dated to before the on-site deadline, recorded after it: the promise stays
    broken until the manager vouches for the arrival."""
    request_.reported_at = T0 - 5 * H
    request_.save(update_fields=["reported_at"])
    service_request_record_event(
        request=request_,
        type="arrived",
        occurred_at=T0 - 2 * H,
        actor=crew["assigned"],
        late_reason="no signal in the basement",
    )
    on_site = Milestone.objects.get(request=request_, key="on_site")
    assert (on_site.met_at, on_site.state) == (None, "breached")
    event = ServiceEvent.objects.get()
    assert (event.recorded_late, event.late_reason) == (True, "no signal in the basement")

    with pytest.raises(PermissionDenied):
        service_event_confirm_late(event=event, manager=crew["assigned"])
    service_event_confirm_late(event=event, manager=crew["manager"], note="called the ward")
    service_event_confirm_late(event=event, manager=crew["manager"])  # twice: one row
    on_site.refresh_from_db()
    assert (on_site.met_at, on_site.state) == (T0 - 2 * H, "met")
    confirmation = LateStepConfirmation.objects.get()
    assert (confirmation.confirmed_by, confirmation.note) == (crew["manager"], "called the ward")


def test_a_step_recorded_in_time_has_nothing_to_confirm(request_, crew):
    service_request_record_event(
        request=request_, type="arrived", occurred_at=T0, actor=crew["assigned"]
    )
    with pytest.raises(TimelineConflict):
        service_event_confirm_late(event=ServiceEvent.objects.get(), manager=crew["manager"])


def test_the_api_flags_a_late_step_and_the_manager_confirms_it(client, request_, crew):
    url = f"/service-requests/{request_.pk}/events"
    engineer = Api(client, crew["assigned"])
    missing = engineer.post(url, {"type": "arrived", "occurred_at": iso(T0 - H)})
    assert locs(missing) == [["body", "late_reason"]]
    body = engineer.post(
        url, {"type": "arrived", "occurred_at": iso(T0 - H), "late_reason": "phone was dead"}
    ).json()
    event = body["events"][0]
    assert (event["recorded_late"], event["late_reason"]) == (True, "phone was dead")
    assert (event["confirmed_by"], event["confirmed_at"]) == (None, None)
    on_site = next(m for m in body["milestones"] if m["key"] == "on_site")
    assert on_site["met_at"] is None
    confirm = f"{url}/{event['id']}/confirm"
    assert engineer.post(confirm, {}).status_code == 403
    confirmed = Api(client, crew["manager"]).post(confirm, {"note": "checked"})
    assert confirmed.status_code == 200, confirmed.content
    event = confirmed.json()["events"][0]
    assert (event["confirmed_by"], event["confirmed_at"]) == ("manager", iso(T0))
    on_site = next(m for m in confirmed.json()["milestones"] if m["key"] == "on_site")
    assert (on_site["met_at"], on_site["state"]) == (iso(T0 - H), "met")


def test_the_page_flags_a_late_step_and_offers_the_manager_to_confirm(client, request_, crew):
    service_request_record_event(
        request=request_,
        type="arrived",
        occurred_at=T0 - H,
        actor=crew["assigned"],
        late_reason="phone was dead",
    )
    event = ServiceEvent.objects.get()
    page = f"/service-requests/{request_.pk}/"
    client.force_login(crew["assigned"])
    html = client.get(page).content.decode()
    assert "data-late-step" in html and "phone was dead" in html
    confirm = f"/service-requests/{request_.pk}/events/{event.pk}/confirm/"
    assert confirm not in html
    assert client.post(confirm).status_code == 403
    client.force_login(crew["manager"])
    assert confirm in client.get(page).content.decode()
    assert client.post(confirm).status_code == 302
    assert LateStepConfirmation.objects.filter(event=event).exists()
    assert "confirmed by" in client.get(page).content.decode()
