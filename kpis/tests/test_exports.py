"""The key figures' tables as files (issue 14 §3): each of the page's tables downloads as
.xlsx and .csv with the page's filters, from the same selector; the API's on-time and
repair-times answer ``format=`` too; a hospital's users get their own figures only."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import time_machine

from kpis import selectors
from kpis.exports import TABLES
from kpis.query import kpi_query
from kpis.tests.world import FIRST_DAY, LAST_DAY, NOW, KpiWorld

pytestmark = pytest.mark.django_db

WINDOW = {"from": FIRST_DAY.isoformat(), "to": LAST_DAY.isoformat()}


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield KpiWorld()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def test_the_on_time_table_downloads_as_the_page_counts_it(client, world):
    client.force_login(world.manager)
    response = client.get("/kpis/export/", {**WINDOW, "table": "on-time", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Month", "Promise", "Kept", "Broken", "Not applicable", "On-time rate (%)")
    query = kpi_query(user=world.manager, first_day=FIRST_DAY, last_day=LAST_DAY)
    expected = [
        (r.group, r.milestone_label, r.met, r.breached, r.not_applicable)
        for r in selectors.on_time(query)
    ]
    assert [row[:5] for row in rows[1:]] == expected
    on_site = next(row for row in rows[1:] if row[0] == "2026-03" and row[1] == "Engineer on site")
    assert on_site[5] == 80.0  # R1, R2, R3, 乙's R7 in time, R5 late: 4 of 5


def test_every_table_of_the_page_downloads_in_both_formats(client, world):
    client.force_login(world.manager)
    for table in TABLES:
        for fmt in ("csv", "xlsx"):
            response = client.get("/kpis/export/", {**WINDOW, "table": table, "format": fmt})
            assert response.status_code == 200, (table, fmt)
    assert client.get("/kpis/export/", {"table": "nothing", "format": "csv"}).status_code == 404
    assert client.get("/kpis/export/", {"table": "on-time", "format": "pdf"}).status_code == 404


def test_the_page_links_its_downloads_with_its_filters(client, world):
    client.force_login(world.manager)
    page = client.get("/kpis/", {**WINDOW, "group_by": "hospital"}).content.decode()
    assert (
        "/kpis/export/?from=2026-03-01&amp;to=2026-04-30&amp;group_by=hospital"
        "&amp;table=repair-times&amp;format=csv"
    ) in page


def test_a_hospital_downloads_its_own_figures_and_not_the_vendors(client, world):
    client.force_login(world.hospital_admin)
    rows = csv_rows(
        client.get(
            "/kpis/export/", {**WINDOW, "group_by": "hospital", "table": "on-time", "format": "csv"}
        )
    )
    assert {row[0] for row in rows[1:]} == {"甲医院"}
    assert client.get("/kpis/export/", {"table": "parts", "format": "csv"}).status_code == 404
    client.force_login(world.engineer_a)
    assert client.get("/kpis/export/", {"table": "on-time", "format": "csv"}).status_code == 403


def test_the_api_answers_files_too(client, world):
    client.force_login(world.manager)
    rows = csv_rows(client.get("/api/v1/kpis/repair-times", {**WINDOW, "format": "csv"}))
    assert rows[0][:2] == ["Month", "Requests"]
    assert [row[0] for row in rows[1:]] == ["2026-03", "2026-04"]
    response = client.get("/api/v1/kpis/on-time", {**WINDOW, "format": "xlsx"})
    assert openpyxl.load_workbook(io.BytesIO(body(response))).active.max_row > 1
    assert client.get("/api/v1/kpis/on-time", {"format": "pdf"}).status_code == 422
