"""Inputs that 500'd in the review (issue 10 §6), each a 422 on its field in the API's one
error shape: offsets and ids of 10**20 on every list, months in year 0, dates in year 1 or
9999, a report time before the device existed, NUL characters, text without end."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from core.tests.apiclient import Api, locs
from service.models import ServiceRequest

pytestmark = pytest.mark.django_db

HUGE = 10**20
NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def api(client):
    return Api(client, vendor_user(VendorRole.ADMIN, username="admin"))


def _get_operations(api, with_param: str) -> list[str]:
    schema = api.get("/openapi.json").json()
    paths = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        names = {p["name"] for p in get.get("parameters", []) if p["in"] == "query"}
        if with_param in names:
            paths.append(path.removeprefix("/api/v1"))
    return paths


def test_every_paged_list_refuses_an_offset_of_10_to_the_20(api):
    paged = _get_operations(api, "offset")
    assert len(paged) >= 15
    for path in paged:
        assert locs(api.get(path, offset=HUGE)) == [["query", "offset"]], path
        assert locs(api.get(path, limit=0)) == [["query", "limit"]], path


def test_every_id_filter_refuses_10_to_the_20(api):
    schema = api.get("/openapi.json").json()
    tried = 0
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            name = parameter["name"]
            if parameter["in"] == "query" and name.endswith("_id"):
                tried += 1
                response = api.get(path.removeprefix("/api/v1"), **{name: HUGE})
                assert locs(response) == [["query", name]], (path, name)
    assert tried >= 20


@pytest.mark.parametrize(
    ("url", "loc"),
    [
        (f"/service-requests?engineer_id={HUGE}", ["query", "engineer_id"]),
        (f"/service-requests/{HUGE}", ["path", "request_id"]),
        ("/return-visits?month=0000-01", ["query", "month"]),
        ("/return-visits?month=2101-01", ["query", "month"]),
        ("/training-sessions?from=0001-01-01&to=2026-01-01", ["query", "from"]),
        ("/training-sessions?from=2026-01-01&to=9999-12-31", ["query", "to"]),
        ("/devices?q=a%00b", ["query", "q"]),
    ],
)
def test_the_reviews_requests_are_422_on_the_field(api, url, loc):
    path, _sep, query = url.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&")) if query else {}
    params = {k: v.replace("%00", "\x00") for k, v in params.items()}
    assert locs(api.get(path, **params)) == [loc]


def _open(api, device, **extra):
    return api.post("/service-requests", {"device_id": device.pk, "description": "黑屏", **extra})


@pytest.mark.parametrize(
    "reported_at",
    ["0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59+08:00", "9999-12-31T00:00:00Z"],
)
def test_a_report_time_outside_the_business_years_is_refused(api, reported_at):
    response = _open(api, DeviceFactory(), reported_at=reported_at)
    assert locs(response) == [["body", "reported_at"]]
    assert not ServiceRequest.objects.exists()


def test_a_report_time_before_the_device_was_installed_is_refused(api):
    device = DeviceFactory(installed_on=dt.date(2026, 6, 1))
    # 31 May at 23:30 in Shanghai is still before the installation day there.
    before = _open(api, device, reported_at="2026-05-31T15:30:00Z")
    assert locs(before) == [["body", "reported_at"]]
    assert _open(api, device, reported_at="2026-05-31T16:30:00Z").status_code == 201


def test_a_nul_character_in_a_body_is_422_on_its_field(api):
    response = api.post("/hospitals", {"name": "医院\x00", "notes": "ok"})
    assert locs(response) == [["body", "name"]]
    response = api.post(
        "/service-requests", {"device_id": DeviceFactory().pk, "description": ["a", "b\x00"]}
    )
    assert locs(response) == [["body", "description", 1]]


def test_text_has_a_maximum_length(api):
    device = DeviceFactory()
    assert locs(_open(api, device, description="x" * 5001)) == [["body", "description"]]
    response = api.post("/hospitals", {"name": "青岛市第五人民医院", "notes": "n" * 5001})
    assert locs(response) == [["body", "notes"]]
    assert (
        api.post("/hospitals", {"name": "青岛市第五人民医院", "notes": "n" * 5000}).status_code
        == 201
    )
