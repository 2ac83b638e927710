"""One filter definition per list (GUIDE 14): the dispatch board and GET /service-requests
share one FilterSet, the request list extends it; the page, the API and its OpenAPI
document alike."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from core.tests.apiclient import Api, locs
from core.tests.filtering import assert_one_definition
from customers.tests.factories import hospital_user
from service import services
from service.filters import BoardFilterSet, RequestFilterSet

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    dispatcher = vendor_user(VendorRole.DISPATCHER, username="agent")
    engineer = vendor_user(VendorRole.ENGINEER, username="eng1")
    devices = [DeviceFactory(serial_number="SN-0001"), DeviceFactory(serial_number="SN-0002")]
    for device in devices:
        ContractFactory(hospital=device.hospital, devices=[device]).dedicated_engineers.set(
            [engineer]
        )

    def open_request(device, severity):
        return services.service_request_open(
            device=device,
            severity=severity,
            channel="hotline",
            description="No picture on the screen",
            recorded_by=dispatcher,
            reported_at=NOW,
            now=NOW,
        )

    normal = open_request(devices[0], "normal")
    emergency = open_request(devices[1], "emergency")
    return {"dispatcher": dispatcher, "devices": devices, "normal": normal, "emergency": emergency}


def board_ids(client, **params) -> list[int]:
    page = client.get(reverse("service:board"), params)
    return [r.pk for r in page.context["rows"]]


def api_ids(api, **params) -> list[int]:
    response = api.get("/service-requests", **params)
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


def test_the_board_and_the_api_have_one_filter_definition(client, world):
    client.force_login(world["dispatcher"])
    assert_one_definition(
        client,
        BoardFilterSet,
        api_path="/service-requests",
        page_response=client.get(reverse("service:board")),
    )
    api = Api(client, world["dispatcher"])
    emergency, normal = world["emergency"], world["normal"]
    assert board_ids(client, severity="emergency") == [emergency.pk]
    assert api_ids(api, severity="emergency") == [emergency.pk]
    hospital = world["devices"][0].hospital_id
    assert board_ids(client, hospital=hospital) == [normal.pk]
    assert api_ids(api, hospital_id=hospital) == [normal.pk]
    assert locs(api.get("/service-requests", severity="whenever")) == [["query", "severity"]]
    # The API's default state is the board's: open requests.
    parameters = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/service-requests"]
    state = next(p for p in parameters["get"]["parameters"] if p["name"] == "state")
    assert state["schema"]["default"] == "open"


def test_the_request_list_extends_the_boards_filters(client, world):
    assert set(BoardFilterSet.base_filters) < set(RequestFilterSet.base_filters)
    client.force_login(world["dispatcher"])
    page = client.get(reverse("service:request_list"), {"q": "sn-0002"})
    assert list(page.context["form"].fields) == [
        "q",
        "state",
        "hospital",
        "engineer",
        "severity",
        "waiting",
        "reported_on",
        # The key figures' drill-down (issue 14 §2).
        "reported_from",
        "reported_to",
        "promise",
        "model",
        "region",
        "fault_cause",
        "symptom",
        "device",
    ]
    assert [r.pk for r in page.context["rows"]] == [world["emergency"].pk]


def test_a_hospital_user_has_no_engineer_filter_on_the_page(client, world):
    device = world["devices"][0]
    client.force_login(hospital_user(device.hospital))
    page = client.get(reverse("service:request_list"))
    assert "engineer" not in page.context["form"].fields
    assert [r.pk for r in page.context["rows"]] == [world["normal"].pk]
    # Another hospital's id: ignored on the page, nothing in the API.
    other = world["devices"][1].hospital_id
    page = client.get(reverse("service:request_list"), {"hospital": other})
    assert [r.pk for r in page.context["rows"]] == [world["normal"].pk]
    assert api_ids(Api(client, hospital_user(device.hospital)), hospital_id=other) == []


def test_the_request_list_finds_what_waits_for_an_engineer_or_the_hospitals_signature(client):
    """Issue 13 §4: the homes link to these lists; nobody assigned, a record signed by the
    engineer only, reported on a day of the viewer's calendar."""
    import time_machine

    from tests.homes_world import NOON, home_world

    with time_machine.travel(NOON, tick=False):
        world = home_world()
        client.force_login(world["manager"])
        url = reverse("service:request_list")
        rows = client.get(url, {"waiting": "engineer"}).context["rows"]
        assert [r.pk for r in rows] == [world["unassigned"].pk]
        rows = client.get(url, {"waiting": "hospital_signature"}).context["rows"]
        assert [r.pk for r in rows] == [world["record_request"].pk]
        # 2026-03-10 in Shanghai is 2026-03-09 16:00 to 2026-03-10 16:00 UTC.
        today = client.get(url, {"reported_on": "2026-03-10"}).context["page"].paginator.count
        assert today == 8
        assert not client.get(url, {"reported_on": "2026-03-09"}).context["rows"]
