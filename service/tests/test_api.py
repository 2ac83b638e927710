"""REST API of service requests: an integration contract (issue 3 §6, "Bad input").

The hotline agent who mistypes, the phone that sends a form twice and the integration that
posts a step out of order each get a clear answer, and a refused step changes nothing.
Time is frozen at ``T0`` (10:00 in Qingdao).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from core.tests.apiclient import Api, locs
from service.models import ServiceEvent, ServiceRequest

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Qingdao
H, M, S = dt.timedelta(hours=1), dt.timedelta(minutes=1), dt.timedelta(seconds=1)
MILESTONE_KEYS = {"key", "name", "target_seconds", "due_at", "met_at", "paused_seconds"} | {
    "state",
    "at_risk",
}


def iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class ServiceApi(Api):
    """The shared JSON client, with headers per call, PUT and a raw body."""

    def post(self, url, body, **headers):
        return self.client.post(
            f"/api/v1{url}",
            body,
            content_type="application/json",
            headers=self.headers | headers,
        )

    def put(self, url, body):
        return self.client.put(
            f"/api/v1{url}", body, content_type="application/json", headers=self.headers
        )


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def engineers():
    return [vendor_user(VendorRole.ENGINEER, username=f"eng{i}") for i in (1, 2)]


@pytest.fixture
def device(engineers):
    """Accepted on 2025-06-01 with 12 months: covered through 2026-06-01, not at ``T0``."""
    device = DeviceFactory(installed_on=dt.date(2025, 5, 20), accepted_on=dt.date(2025, 6, 1))
    contract = ContractFactory(hospital=device.hospital, devices=[device])
    contract.dedicated_engineers.set(engineers)
    return device


@pytest.fixture
def agent_api(client):
    return ServiceApi(client, vendor_user(VendorRole.DISPATCHER, username="agent"))


@pytest.fixture
def engineer_api(client, engineers):
    return ServiceApi(client, engineers[0])


@pytest.fixture
def manager_api(client):
    return ServiceApi(client, vendor_user(VendorRole.MANAGER, username="manager"))


def issue_body(device, **extra) -> dict:
    """The body of issue 3 §6, exactly."""
    return {
        "device_id": device.pk,
        "severity": "normal",
        "reported_at": iso(T0 - 30 * M),
        "channel": "hotline",
        "description": "呼吸机报警：流量传感器故障",
        "reporter_name": "高文静",
        "reporter_phone": "0532-8291-1234",
    } | extra


def opened(api, device, **extra) -> dict:
    response = api.post("/service-requests", issue_body(device, **extra))
    assert response.status_code == 201, response.content
    return response.json()


def post_event(api, request_id, kind, at=None, idempotency_key=None, logged_at=None, **data):
    """Post a step at ``at``, logged as it happens unless ``logged_at`` says later (a step
    logged more than 15 minutes after it happened is recorded late)."""
    body = {"type": kind, **data}
    if at is not None:
        body["occurred_at"] = iso(at)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    url = f"/service-requests/{request_id}/events"
    when = logged_at or (at if at is not None and at < T0 else None)
    if when is None:
        return api.post(url, body, **headers)
    with time_machine.travel(when, tick=False):
        return api.post(url, body, **headers)


def step(api, request_id, kind, at=None, **data) -> dict:
    response = post_event(api, request_id, kind, at, **data)
    assert response.status_code == 201, response.content
    return response.json()


def milestones(body) -> dict[str, dict]:
    return {m["key"]: m for m in body["milestones"]}


def conflict(response, code: str) -> None:
    """A 409 in the one error shape, naming the contradiction."""
    assert response.status_code == 409, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"]
    assert body["errors"] == [{"loc": ["body", "type"], "msg": body["detail"], "type": code}]


# --- POST /service-requests ------------------------------------------------------------
def test_post_request_with_the_issue_body(agent_api, device, engineers):
    body = opened(agent_api, device)
    assert body["number"] == "SR-2026-000001"
    assert (body["status"], body["severity"], body["channel"]) == ("new", "normal", "hotline")
    assert body["reported_at"] == iso(T0 - 30 * M)
    assert (body["reporter_name"], body["reporter_phone"]) == ("高文静", "0532-8291-1234")
    assert body["device_id"] == device.pk and body["hospital_id"] == device.hospital_id
    assert body["engineer_ids"] == sorted(e.pk for e in engineers)  # dedicated
    assert body["events"] == []
    assert [m["key"] for m in body["milestones"]] == ["on_site", "solution", "resolved", "restored"]
    assert body["next_due_at"] == iso(T0 + 3 * H + 30 * M)
    request = ServiceRequest.objects.get(pk=body["id"])
    assert request.number == body["number"] and request.recorded_by.username == "agent"


def test_numbers_follow_each_other(agent_api, device):
    numbers = [opened(agent_api, device)["number"] for _ in range(3)]
    assert numbers == ["SR-2026-000001", "SR-2026-000002", "SR-2026-000003"]


def test_defaults_of_a_minimal_body(agent_api, device):
    body = opened(agent_api, device, reported_at=None)
    assert body["reported_at"] == iso(T0)
    minimal = agent_api.post("/service-requests", {"device_id": device.pk, "description": "x"})
    assert minimal.status_code == 201, minimal.content
    assert (minimal.json()["severity"], minimal.json()["channel"]) == ("normal", "api")


@pytest.mark.parametrize("ahead", [S, 6 * M, dt.timedelta(days=1)])
def test_reported_at_in_the_future_is_refused(agent_api, device, ahead):
    """The agent who mistypes the date: 422 on the field, no request, no number used."""
    response = agent_api.post("/service-requests", issue_body(device, reported_at=iso(T0 + ahead)))
    assert locs(response) == [["body", "reported_at"]]
    assert not ServiceRequest.objects.exists()
    assert opened(agent_api, device)["number"] == "SR-2026-000001"


def test_reported_at_without_a_time_zone_is_refused(agent_api, device):
    response = agent_api.post(
        "/service-requests", issue_body(device, reported_at="2026-06-10T09:00")
    )
    assert locs(response) == [["body", "reported_at"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("device_id", 999_999),  # the mistyped serial resolved to nothing
        ("severity", "urgent"),
        ("channel", "fax"),
        ("description", ""),
    ],
)
def test_malformed_request_is_refused_on_its_field(agent_api, device, field, value):
    response = agent_api.post("/service-requests", issue_body(device, **{field: value}))
    assert locs(response) == [["body", field]]
    assert not ServiceRequest.objects.exists()


def test_earlier_reported_at_keeps_who_recorded_it_and_when(agent_api, device):
    """A call logged afterwards: the notification time is kept, and the audit says which
    agent logged it when."""
    body = opened(agent_api, device, reported_at=iso(T0 - 3 * H))
    request = ServiceRequest.objects.get(pk=body["id"])
    assert request.reported_at == T0 - 3 * H
    assert (request.recorded_by.username, request.created_at) == ("agent", T0)
    history = request.history.get()
    assert history.history_user.username == "agent"
    assert (history.history_date, history.reported_at) == (T0, T0 - 3 * H)


# --- GET /service-requests/{id} -------------------------------------------------------
def test_get_request_shape(agent_api, engineer_api, device):
    request_id = opened(agent_api, device)["id"]
    step(engineer_api, request_id, "arrived", T0 - 10 * M, note="到达 ICU")
    response = agent_api.get(f"/service-requests/{request_id}")
    assert response.status_code == 200
    body = response.json()
    assert {"id", "number", "status", "severity", "reported_at", "coverage"} <= set(body)
    assert {"events", "milestones"} <= set(body)
    assert body["events"] == [
        {
            "id": ServiceEvent.objects.get().pk,
            "type": "arrived",
            "occurred_at": iso(T0 - 10 * M),
            "recorded_at": iso(T0 - 10 * M),
            "actor": "eng1",
            "data": {"note": "到达 ICU"},
            "recorded_late": False,
            "late_reason": "",
            "confirmed_by": None,
            "confirmed_at": None,
        }
    ]
    for milestone in body["milestones"]:
        assert set(milestone) == MILESTONE_KEYS
    assert milestones(body)["on_site"] == {
        "key": "on_site",
        "name": "Engineer on site",
        "target_seconds": 4 * 3600,
        "due_at": iso(T0 + 3 * H + 30 * M),
        "met_at": iso(T0 - 10 * M),
        "paused_seconds": 0,
        "state": "met",
        "at_risk": False,
    }
    assert milestones(body)["solution"]["due_at"] == iso(T0 + 50 * M)
    assert set(body["coverage"]) == {"cover", "ends_at", "parts", "labor", "travel", "reason"}


def test_get_unknown_request_is_404(agent_api):
    response = agent_api.get("/service-requests/999999")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


def test_get_shows_the_promises_as_of_now(agent_api, device, frozen):
    """The stored rows are as of the last step; the answer is as of the moment asked."""
    request_id = opened(agent_api, device, reported_at=iso(T0))["id"]
    on_site = milestones(agent_api.get(f"/service-requests/{request_id}").json())["on_site"]
    assert (on_site["state"], on_site["at_risk"]) == ("pending", False)
    frozen.move_to(T0 + 3 * H + S)
    on_site = milestones(agent_api.get(f"/service-requests/{request_id}").json())["on_site"]
    assert (on_site["state"], on_site["at_risk"]) == ("pending", True)
    frozen.move_to(T0 + 4 * H + S)
    on_site = milestones(agent_api.get(f"/service-requests/{request_id}").json())["on_site"]
    assert (on_site["state"], on_site["at_risk"]) == ("breached", False)


# --- coverage at reported_at and the fault cause ----------------------------------------
def test_coverage_is_looked_up_at_reported_at(agent_api, device):
    """Reported while still in warranty (1 June, local), logged ten days later: the cover is
    the warranty; the same fault reported today is outside it."""
    in_warranty = opened(agent_api, device, reported_at="2026-06-01T20:00:00+08:00")
    assert in_warranty["coverage"]["cover"] == "warranty"
    ends_at = dt.datetime.fromisoformat(in_warranty["coverage"]["ends_at"])
    assert ends_at == dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)  # 2 June 00:00 local
    assert in_warranty["coverage"]["reason"]
    today = opened(agent_api, device)
    assert today["coverage"]["cover"] == "none"
    assert today["coverage"]["parts"] == "cost"  # parts at cost for life


def test_coverage_follows_the_fault_cause(agent_api, manager_api, device):
    """R-3.4, R-6.3: a quality fault in warranty is free; a non-quality one pays the parts at
    cost. The cause is set during diagnosis and can change."""
    body = opened(agent_api, device, reported_at="2026-06-01T20:00:00+08:00")
    assert body["fault_cause"] == "undetermined"
    assert body["coverage"]["parts"] == "free"  # undetermined is priced as quality
    url = f"/service-requests/{body['id']}"
    changed = manager_api.patch(url, {"fault_cause": "non_quality"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["fault_cause"] == "non_quality"
    assert (changed.json()["coverage"]["parts"], changed.json()["coverage"]["labor"]) == (
        "cost",
        "free",
    )
    assert agent_api.get(url).json()["coverage"]["parts"] == "cost"
    back = manager_api.patch(url, {"fault_cause": "quality"}).json()
    assert back["coverage"]["parts"] == "free"
    assert locs(manager_api.patch(url, {"fault_cause": "bad luck"})) == [["body", "fault_cause"]]


def test_a_hotline_agent_cannot_classify_the_fault(agent_api, device):
    body = opened(agent_api, device)
    response = agent_api.patch(f"/service-requests/{body['id']}", {"fault_cause": "quality"})
    assert response.status_code == 403


# --- POST /service-requests/{id}/events ------------------------------------------------
def test_post_event_answers_with_the_whole_request_recomputed(agent_api, engineer_api, device):
    request_id = opened(agent_api, device)["id"]
    body = step(engineer_api, request_id, "arrived", T0 - 5 * M)
    assert body["id"] == request_id and body["status"] == "on_site"
    assert [e["type"] for e in body["events"]] == ["arrived"]
    assert milestones(body)["on_site"]["state"] == "met"
    assert milestones(body)["solution"]["due_at"] == iso(T0 + 55 * M)
    assert body["next_due_at"] == iso(T0 + 55 * M)
    stored = ServiceRequest.objects.get(pk=request_id)
    assert stored.milestones.get(key="on_site").met_at == T0 - 5 * M


def test_occurred_at_defaults_to_now(agent_api, device):
    request_id = opened(agent_api, device)["id"]
    body = step(agent_api, request_id, "dispatched")
    assert body["events"][0]["occurred_at"] == iso(T0)


def test_a_step_logged_when_back_online_is_accepted(agent_api, engineer_api, device):
    request_id = opened(agent_api, device, reported_at=iso(T0 - 2 * H))["id"]
    body = step(engineer_api, request_id, "arrived", T0 - 14 * M, logged_at=T0)
    assert body["events"][0]["occurred_at"] == iso(T0 - 14 * M)
    assert body["events"][0]["recorded_at"] == iso(T0)
    assert body["events"][0]["recorded_late"] is False  # within the quarter of an hour


def test_occurred_at_may_run_five_minutes_ahead_not_more(agent_api, engineer_api, device):
    request_id = opened(agent_api, device)["id"]
    step(engineer_api, request_id, "arrived", T0 + 5 * M)
    response = post_event(engineer_api, request_id, "solution_proposed", T0 + 5 * M + S)
    assert locs(response) == [["body", "occurred_at"]]
    assert ServiceEvent.objects.count() == 1


def test_occurred_at_before_the_report_is_refused(agent_api, engineer_api, device):
    request_id = opened(agent_api, device)["id"]
    response = post_event(engineer_api, request_id, "arrived", T0 - 30 * M - S)
    assert locs(response) == [["body", "occurred_at"]]
    assert not ServiceEvent.objects.exists()


def _refused_without_change(api, request_id, kind, at, code, **data):
    before = api.get(f"/service-requests/{request_id}").json()
    events = list(ServiceEvent.objects.values_list("pk", flat=True))
    conflict(post_event(api, request_id, kind, at, **data), code)
    assert api.get(f"/service-requests/{request_id}").json() == before
    assert list(ServiceEvent.objects.values_list("pk", flat=True)) == events


def test_resolved_before_arrival_is_a_conflict(agent_api, engineer_api, device):
    request_id = opened(agent_api, device)["id"]
    _refused_without_change(engineer_api, request_id, "resolved", T0 - M, "resolved_before_arrival")
    # A fix by phone is a different step, and the on-site promises no longer apply.
    body = step(engineer_api, request_id, "remote_resolved", T0 - M)
    assert milestones(body)["on_site"]["state"] == "not_applicable"
    assert milestones(body)["solution"]["state"] == "not_applicable"
    assert milestones(body)["resolved"]["state"] == "met"


def test_resumed_without_paused_is_a_conflict(agent_api, engineer_api, device):
    request_id = opened(agent_api, device)["id"]
    _refused_without_change(engineer_api, request_id, "resumed", T0 - M, "resume_without_pause")


def test_nothing_after_closed_except_reopened(agent_api, engineer_api, device):
    request_id = opened(agent_api, device)["id"]
    step(agent_api, request_id, "dispatched", T0 - 25 * M)
    step(engineer_api, request_id, "remote_resolved", T0 - 20 * M)
    closed = step(agent_api, request_id, "closed", T0 - 10 * M)
    assert closed["status"] == "closed"
    for api, kind in (
        (engineer_api, "arrived"),
        (agent_api, "callback"),
        (engineer_api, "paused"),
        (engineer_api, "resolved"),
        (agent_api, "closed"),
    ):
        _refused_without_change(
            api, request_id, kind, T0, "after_closed", reason="waiting_for_customer"
        )
    reopened = step(agent_api, request_id, "reopened", T0)
    assert reopened["status"] == "dispatched"
    # Not fixed after all: the repair promise is pending again.
    resolved = milestones(reopened)["resolved"]
    assert (resolved["state"], resolved["met_at"]) == ("pending", None)


def test_emergency_closes_only_with_its_root_cause_report(
    agent_api, engineer_api, manager_api, device
):
    """R-5.5: 409 without the report; after ``PUT .../root-cause`` the closing goes through."""
    request_id = opened(agent_api, device, severity="emergency")["id"]
    for kind, at in (("callback", T0 - 25 * M), ("arrived", T0 - 20 * M)):
        step(engineer_api, request_id, kind, at)
    step(engineer_api, request_id, "resolved", T0 - 10 * M)
    _refused_without_change(manager_api, request_id, "closed", T0, "root_cause_missing")
    url = f"/service-requests/{request_id}/root-cause"
    report = {
        "cause": "流量传感器受潮",
        "measures": "更换流量传感器；指导科室做好防潮",
        "explained_to": "重症医学科 高文静护士长",
        "explained_at": iso(T0 - 5 * M),
    }
    assert locs(engineer_api.put(url, report | {"cause": ""})) == [["body", "cause"]]
    future = report | {"explained_at": iso(T0 + H)}
    assert locs(engineer_api.put(url, future)) == [["body", "explained_at"]]
    assert agent_api.put(url, report).status_code == 403  # the engineer's analysis
    saved = engineer_api.put(url, report)
    assert saved.status_code == 200, saved.content
    closed = step(manager_api, request_id, "closed", T0)
    assert closed["status"] == "closed"
    assert [m["state"] for m in closed["milestones"]] == ["met", "met", "met"]


def test_an_event_out_of_order_takes_its_place_in_time(agent_api, engineer_api, device):
    """The integration posts the 10:00 arrival after the 10:30 dispatch it preceded."""
    request_id = opened(agent_api, device, reported_at=iso(T0 - H))["id"]
    step(agent_api, request_id, "dispatched", T0 - 30 * M)
    body = step(engineer_api, request_id, "arrived", T0 - H + 10 * M)
    assert [(e["type"], e["occurred_at"]) for e in body["events"]] == [
        ("arrived", iso(T0 - H + 10 * M)),
        ("dispatched", iso(T0 - 30 * M)),
    ]
    assert milestones(body)["on_site"]["met_at"] == iso(T0 - H + 10 * M)
    # A solution cannot come before the arrival it needs, however it is posted.
    _refused_without_change(
        engineer_api, request_id, "solution_proposed", T0 - H + 5 * M, "solution_before_arrival"
    )


def test_the_same_idempotency_key_records_once(agent_api, engineer_api, device):
    """The phone that sends the form twice: one event, two identical 201 answers."""
    request_id = opened(agent_api, device)["id"]
    first = post_event(engineer_api, request_id, "arrived", T0 - M, idempotency_key="abc-1")
    second = post_event(engineer_api, request_id, "arrived", T0 - M, idempotency_key="abc-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert ServiceEvent.objects.filter(request_id=request_id).count() == 1


def test_different_idempotency_keys_record_twice_when_the_timeline_allows(agent_api, device):
    request_id = opened(agent_api, device, severity="emergency")["id"]
    post_event(agent_api, request_id, "callback", T0 - 3 * M, idempotency_key="call-1")
    # The same step again with nothing in between is refused whatever the key (issue 10).
    again = post_event(agent_api, request_id, "callback", T0 - 2 * M, idempotency_key="call-2")
    conflict(again, "already_called_back")
    post_event(agent_api, request_id, "dispatched", T0 - 2 * M, idempotency_key="send-1")
    body = step(agent_api, request_id, "callback", T0 - M, idempotency_key="call-3")
    assert [e["type"] for e in body["events"]] == ["callback", "dispatched", "callback"]
    assert milestones(body)["callback"]["met_at"] == iso(T0 - 3 * M)


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "waiting_for_customer"},
        {"reason": "site_not_accessible"},
        {"reason": "customer_requested_delay"},
        {"reason": "other", "note": "院内停电"},
    ],
)
def test_the_four_pause_reasons(agent_api, engineer_api, device, data):
    request_id = opened(agent_api, device)["id"]
    body = step(engineer_api, request_id, "paused", T0 - 10 * M, **data)
    assert body["status"] == "paused"
    assert body["events"][0]["data"] == data
    assert body["next_due_at"] is None  # every clock stopped
    resumed = step(engineer_api, request_id, "resumed", T0)
    assert milestones(resumed)["on_site"]["paused_seconds"] == 600
    assert milestones(resumed)["on_site"]["due_at"] == iso(T0 + 3 * H + 40 * M)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"reason": "waiting_for_our_own_parts"}, ["body", "reason"]),
        ({"reason": "waiting for our own parts"}, ["body", "reason"]),
        ({}, ["body", "reason"]),
        ({"reason": "other"}, ["body", "note"]),
    ],
)
def test_waiting_for_our_own_parts_is_not_a_pause_reason(
    agent_api, engineer_api, device, data, where
):
    request_id = opened(agent_api, device)["id"]
    response = post_event(engineer_api, request_id, "paused", T0 - M, **data)
    assert locs(response) == [where]
    assert not ServiceEvent.objects.exists()


def test_dispatch_names_the_engineers_and_parts(agent_api, device, engineers):
    request_id = opened(agent_api, device)["id"]
    third = vendor_user(VendorRole.ENGINEER, username="eng3")
    body = step(
        agent_api, request_id, "dispatched", T0, engineer_ids=[third.pk], parts=["流量传感器"]
    )
    assert body["engineer_ids"] == [third.pk]
    assert body["events"][0]["data"] == {"engineer_ids": [third.pk], "parts": ["流量传感器"]}
    assert body["status"] == "dispatched"


@pytest.mark.parametrize("who", ["agent", "manager", "nobody"])
def test_only_engineers_are_dispatched(agent_api, manager_api, device, engineers, who):
    request_id = opened(agent_api, device)["id"]
    ids = {"agent": agent_api.user.pk, "manager": manager_api.user.pk, "nobody": 999_999}
    response = post_event(
        agent_api, request_id, "dispatched", T0, engineer_ids=[engineers[0].pk, ids[who]]
    )
    assert locs(response) == [["body", "engineer_ids"]]
    assert not ServiceEvent.objects.exists()
    stored = ServiceRequest.objects.get(pk=request_id)
    assert set(stored.engineers.all()) == set(engineers)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"type": "teleported"}, ["body", "type"]),
        ({}, ["body", "type"]),
        ({"type": "arrived", "occurred_at": "yesterday"}, ["body", "occurred_at"]),
        ({"type": "arrived", "occurred_at": "2026-06-10T09:55:00"}, ["body", "occurred_at"]),
        ({"type": "dispatched", "parts": "电源板"}, ["body", "parts"]),
        ({"type": "dispatched", "engineer_ids": ["eng1"]}, ["body", "engineer_ids", 0]),
    ],
)
def test_malformed_event_is_refused_on_its_field(agent_api, device, body, where):
    request_id = opened(agent_api, device)["id"]
    response = agent_api.post(f"/service-requests/{request_id}/events", body)
    assert locs(response) == [where]
    assert not ServiceEvent.objects.exists()


@pytest.mark.parametrize("raw", ['{"type": "arrived",', "not json", '["arrived"]'])
def test_malformed_json_is_422(agent_api, device, raw):
    request_id = opened(agent_api, device)["id"]
    response = agent_api.post(f"/service-requests/{request_id}/events", raw)
    assert locs(response)[0][0] == "body"
    assert not ServiceEvent.objects.exists()


def test_hospital_users_do_not_record_steps(agent_api, device):
    from customers.tests.factories import hospital_user

    request_id = opened(agent_api, device)["id"]
    hospital_api = ServiceApi(agent_api.client, hospital_user(device.hospital))
    assert hospital_api.get(f"/service-requests/{request_id}").status_code == 200
    assert post_event(hospital_api, request_id, "arrived", T0).status_code == 403
    assert not ServiceEvent.objects.exists()


def test_openapi_declares_the_answers_of_the_contract(agent_api):
    schema = agent_api.client.get("/api/v1/openapi.json").json()
    events = schema["paths"]["/api/v1/service-requests/{request_id}/events"]["post"]
    assert {"201", "409", "422"} <= set(events["responses"])
    assert "Idempotency-Key" in {p["name"] for p in events["parameters"]}
    created = schema["paths"]["/api/v1/service-requests"]["post"]
    assert {"201", "422"} <= set(created["responses"])


# --- GET /service-requests: the board --------------------------------------------------
@pytest.fixture
def board(agent_api, engineer_api, device):
    """Seven requests at ``T0``, by their nearest open deadline:
    A on site 5 h late · G emergency, call back missed · B on site in 30 min (at risk) ·
    C on site in 3 h · D another hospital, in 3 h 30 · E paused (no clock) · F closed."""
    elsewhere = DeviceFactory()
    ids = {
        "A": opened(agent_api, device, reported_at=iso(T0 - 5 * H))["id"],
        "B": opened(agent_api, device, reported_at=iso(T0 - 3 * H - 30 * M))["id"],
        "C": opened(agent_api, device, reported_at=iso(T0 - H))["id"],
        "D": opened(agent_api, elsewhere, reported_at=iso(T0 - 30 * M))["id"],
        "E": opened(agent_api, device, reported_at=iso(T0 - 2 * H))["id"],
        "F": opened(agent_api, device, reported_at=iso(T0 - 2 * H))["id"],
        "G": opened(agent_api, device, severity="emergency", reported_at=iso(T0 - 20 * M))["id"],
    }
    step(engineer_api, ids["E"], "paused", T0 - H, reason="customer_requested_delay")
    step(engineer_api, ids["F"], "remote_resolved", T0 - H)
    step(agent_api, ids["F"], "closed", T0 - 30 * M)
    return ids


def listed(api, **params) -> list[str]:
    response = api.get("/service-requests", **params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def names(board, ids) -> list[str]:
    by_id = {v: k for k, v in board.items()}
    return [by_id[i] for i in ids]


def test_board_orders_open_requests_by_nearest_deadline(agent_api, board):
    assert names(board, listed(agent_api)) == ["A", "G", "B", "C", "D", "E"]
    assert names(board, listed(agent_api, state="open")) == ["A", "G", "B", "C", "D", "E"]


def test_board_states(agent_api, board):
    assert names(board, listed(agent_api, state="breached")) == ["A", "G"]
    assert names(board, listed(agent_api, state="at_risk")) == ["B"]


def test_board_item_shape(agent_api, board):
    item = agent_api.get("/service-requests", state="at_risk").json()["items"][0]
    assert {"id", "number", "status", "severity", "reported_at", "next_due_at"} <= set(item)
    assert item["next_due_at"] == iso(T0 + 30 * M)
    on_site = milestones(item)["on_site"]
    assert set(on_site) == MILESTONE_KEYS
    assert (on_site["state"], on_site["at_risk"]) == ("pending", True)


def test_board_as_time_moves_on(agent_api, board, frozen):
    """Stored rows are as of the last step; the filters and states are as of now."""
    frozen.move_to(T0 + 3 * H + M)
    assert names(board, listed(agent_api, state="breached")) == ["A", "G", "B", "C"]
    assert names(board, listed(agent_api, state="at_risk")) == ["D"]
    c = next(i for i in agent_api.get("/service-requests").json()["items"] if i["id"] == board["C"])
    assert milestones(c)["on_site"]["state"] == "breached"


def test_board_filters(agent_api, engineers, board, device):
    other = DeviceFactory().hospital_id
    assert names(board, listed(agent_api, hospital_id=device.hospital_id)) == [
        "A", "G", "B", "C", "E",
    ]  # fmt: skip
    hospital_d = ServiceRequest.objects.get(pk=board["D"]).hospital_id
    assert names(board, listed(agent_api, hospital_id=hospital_d)) == ["D"]
    assert listed(agent_api, hospital_id=other) == []
    assert names(board, listed(agent_api, engineer_id=engineers[1].pk)) == [
        "A", "G", "B", "C", "E",
    ]  # fmt: skip
    assert names(board, listed(agent_api, severity="emergency")) == ["G"]
    assert names(board, listed(agent_api, state="breached", engineer_id=engineers[0].pk)) == [
        "A",
        "G",
    ]


def test_board_follows_a_dispatch(agent_api, engineers, board):
    third = vendor_user(VendorRole.ENGINEER, username="eng3")
    step(agent_api, board["C"], "dispatched", T0, engineer_ids=[third.pk])
    assert names(board, listed(agent_api, engineer_id=third.pk)) == ["C"]
    assert board["C"] not in listed(agent_api, engineer_id=engineers[0].pk)


def test_board_is_paginated(agent_api, board):
    response = agent_api.get("/service-requests", limit=2, offset=1)
    body = response.json()
    assert (body["count"], body["limit"], body["offset"]) == (6, 2, 1)
    assert names(board, [i["id"] for i in body["items"]]) == ["G", "B"]


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"state": "late"}, ["query", "state"]),
        ({"hospital_id": "h1"}, ["query", "hospital_id"]),
        ({"limit": "many"}, ["query", "limit"]),
    ],
)
def test_board_malformed_query(agent_api, params, where):
    assert locs(agent_api.get("/service-requests", **params)) == [where]


def test_board_shows_a_hospital_only_its_own(agent_api, board, device):
    from customers.tests.factories import hospital_user

    hospital_api = ServiceApi(agent_api.client, hospital_user(device.hospital))
    assert names(board, listed(hospital_api)) == ["A", "G", "B", "C", "E"]
    hospital_d = ServiceRequest.objects.get(pk=board["D"]).hospital_id
    assert listed(hospital_api, hospital_id=hospital_d) == []
