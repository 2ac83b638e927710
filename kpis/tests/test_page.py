"""The key figures page and API: who may see them, what a bad filter answers, what they
show of the known history (``world.py``)."""

from __future__ import annotations

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from kpis.tests.world import NOW, KpiWorld

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2026-03-01", "to": "2026-04-30"}


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield KpiWorld()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_the_manager_sees_every_section_with_links_to_the_records(client, world):
    client.force_login(world.manager)
    page = client.get("/kpis/", WINDOW)
    assert page.status_code == 200
    body = page.content.decode()
    for section in ("on-time", "repair-times", "visits", "satisfaction", "mtbf", "pareto", "parts"):
        assert f'id="{section}"' in body, section
    assert "<svg" in body and "kpi-bar" in body
    assert "promise=on_site.breached" in body
    # March on site, both hospitals: R1, R2, R3 and 乙's R7 in time, R5 late: 4 of 5.
    row = body.split('data-group="2026-03" data-promise="on_site"')[1].split("</tr>")[0]
    assert "80.0 %" in row


def test_the_hospital_sees_its_own_figures_without_engineers_or_parts(client, world):
    client.force_login(world.hospital_admin)
    page = client.get("/kpis/", {**WINDOW, "group_by": "hospital"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "乙医院" not in body
    assert 'id="parts"' not in body
    assert 'value="engineer"' not in body
    refused = client.get("/kpis/", {**WINDOW, "group_by": "engineer"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()


@pytest.mark.parametrize("role", [VendorRole.ENGINEER, VendorRole.DISPATCHER])
def test_engineers_and_dispatchers_are_refused(client, world, role):
    client.force_login(vendor_user(role))
    assert client.get("/kpis/").status_code == 403
    assert client.get("/api/v1/kpis/on-time").status_code == 403


@pytest.mark.parametrize(
    "params, loc",
    [
        ({"group_by": "colour"}, "group_by"),
        ({"from": "0001-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
    ],
)
@pytest.mark.parametrize("endpoint", ["on-time", "repair-times"])
def test_bad_filters_are_422_on_their_parameter(client, world, params, loc, endpoint):
    client.force_login(world.manager)
    response = client.get(f"/api/v1/kpis/{endpoint}", params)
    assert response.status_code == 422, response.content
    assert ["query", loc] in [error["loc"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    "params",
    [{"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "2026-05-01", "to": "2026-04-01"}],
)
def test_bad_filters_on_the_page_are_form_errors(client, world, params):
    client.force_login(world.manager)
    page = client.get("/kpis/", params)
    assert page.status_code == 200
    assert "invalid-feedback" in page.content.decode()


def test_a_hospital_user_may_not_group_the_api_by_engineer(client, world):
    client.force_login(world.hospital_admin)
    response = client.get("/api/v1/kpis/on-time", {**WINDOW, "group_by": "engineer"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "group_by"]


def test_api_on_time_rows(client, world):
    client.force_login(world.hospital_admin)
    rows = client.get("/api/v1/kpis/on-time", WINDOW).json()
    assert rows[0] == {
        "group": "2026-03",
        "group_key": "2026-03",
        "milestone": "on_site",
        "met": 3,
        "breached": 1,
        "not_applicable": 1,
        "rate": 0.75,
    }
    assert {k: rows[-1][k] for k in ("group_key", "milestone", "breached")} == {
        "group_key": "2026-04",
        "milestone": "on_site",
        "breached": 1,
    }


def test_api_repair_times_rows(client, world):
    client.force_login(world.hospital_admin)
    march = client.get("/api/v1/kpis/repair-times", {**WINDOW, "group_by": "severity"}).json()
    assert march == [
        {
            "group": "Normal",
            "group_key": "normal",
            "requests": 6,
            "arrive_median_seconds": 5400.0,
            "arrive_p90_seconds": pytest.approx(16020.0),
            "resolve_median_seconds": 10800.0,
            "resolve_p90_seconds": pytest.approx(24480.0),
            "first_time_fix_rate": 0.75,
        }
    ]
