"""Every list endpoint of the API answers ``format=csv`` and ``format=xlsx`` (issue 14 §5).

The test walks the OpenAPI schema: every GET whose 200 answer is a page (``count``,
``limit``, ``offset``, ``items``) is asked for both files as a vendor administrator, its
path filled from the permission matrix's world (one of everything in two hospitals). A new
list that forgets ``format`` fails here; a list left out on purpose is in
``NOT_EXPORTED`` with the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from accounts.models import VendorRole
from core.exports import CONTENT_TYPES
from core.tests.apiclient import locs
from notify.services import notify_users
from parts.services import stock_receive

from .test_permission_matrix import SECRET, World, _fill

pytestmark = pytest.mark.django_db

PAGE_KEYS = {"count", "limit", "offset", "items"}
# Pages that are deliberately no file. Empty: every page of the API has one today.
NOT_EXPORTED: dict[str, str] = {}
# Lists that the world leaves empty (their file is a header row): a statement is drafted
# only for a resolved request, and the world's requests are open.
EMPTY_IN_THE_WORLD = {"/api/v1/charge-statements"}


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def _page_operations(schema: dict) -> list[tuple[str, list[str]]]:
    """The GET paths whose 200 answer is a page, with their query parameters."""
    found = []
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        content = operation["responses"].get("200", {}).get("content", {})
        json_schema = content.get("application/json", {}).get("schema")
        if json_schema is None:
            continue
        properties = _resolve(schema, json_schema).get("properties", {})
        if properties.keys() >= PAGE_KEYS:
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            found.append((path, query))
    return found


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def admin_client(client):
    world = World()
    admin = world.vendor[VendorRole.ADMIN]
    stock_receive(
        part=world.b["spare_part"], quantity=3, user=admin, location=world.b["loaner"].location
    )
    for delivery in (world.a["webhook_delivery"], world.b["webhook_delivery"]):
        delivery.body = json.dumps(
            {
                "id": str(delivery.delivery_id),
                "event": delivery.event_kind,
                "occurred_at": "2026-12-01T08:00:00+08:00",
                "data": {"request_id": 1},
            }
        )
        delivery.save()
    notify_users(
        users=[admin], kind="test", subject="=1+1", body="Body", url="/", dedupe_key_prefix="fmt"
    )
    client.force_login(admin)
    return client, world


def test_every_page_of_the_api_is_also_a_csv_and_a_workbook(admin_client):
    client, world = admin_client
    schema = client.get("/api/v1/openapi.json").json()
    operations = _page_operations(schema)
    assert len(operations) > 20, "the schema walk found too few lists to be right"
    assert NOT_EXPORTED.keys() <= {path for path, _query in operations}
    for path, query in operations:
        if path in NOT_EXPORTED:
            continue
        assert "format" in query, f"{path} is a page without format=csv|xlsx"
        url = _fill(world, path)
        listed = client.get(url, {"limit": 200})
        assert listed.status_code == 200, (path, listed.content[:300])
        count = listed.json()["count"]
        if path not in EMPTY_IN_THE_WORLD:
            assert count > 0, f"{path}: the world has no row to export"

        response = client.get(url, {"format": "csv"})
        assert response.status_code == 200, (path, _body(response)[:300])
        assert response["Content-Type"] == CONTENT_TYPES["csv"], path
        assert "attachment" in response["Content-Disposition"], path
        text = _body(response).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows and all(rows[0]), f"{path}: no header row"
        assert len(rows) - 1 == count, (path, count, rows[:3])
        assert all(len(row) == len(rows[0]) for row in rows), path

        response = client.get(url, {"format": "xlsx"})
        assert response.status_code == 200, (path, _body(response)[:300])
        assert response["Content-Type"] == CONTENT_TYPES["xlsx"], path
        sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).active
        cells = list(sheet.iter_rows(values_only=True))
        assert [str(c) for c in cells[0]] == rows[0], path
        assert len(cells) - 1 == count, path

        refused = client.get(url, {"format": "pdf"})
        assert locs(refused) == [["query", "format"]], (path, refused.status_code)


def test_a_cell_that_looks_like_a_formula_is_written_as_text(admin_client):
    client, _world = admin_client
    text = _body(client.get("/api/v1/inbox", {"format": "csv"})).decode("utf-8-sig")
    assert "'=1+1" in text


def test_a_hospitals_user_exports_only_their_own_hospitals_rows(client):
    """Hospital A's administrator asks every list without a path for both files: hospital
    B's records (SECRET in their names) are in none of them, as in the pages."""
    world = World()
    client.force_login(world.a_admin)
    schema = client.get("/api/v1/openapi.json").json()
    tried = 0
    for path, _query in _page_operations(schema):
        if "{" in path or path in NOT_EXPORTED:
            continue
        response = client.get(path, {"format": "csv"})
        if response.status_code == 403:  # the vendor's own lists (parts, stock, duty, ...)
            continue
        assert response.status_code == 200, path
        tried += 1
        assert SECRET not in _body(response).decode("utf-8-sig"), path
        workbook = _body(client.get(path, {"format": "xlsx"}))
        cells = load_workbook(io.BytesIO(workbook), read_only=True).active.iter_rows(
            values_only=True
        )
        assert all(SECRET not in str(value) for row in cells for value in row), path
    assert tried > 15


# A filter of each kind of list: the file holds what the page holds for it, fewer rows
# than the whole list.
FILTERED = [
    ("/api/v1/hospitals", {"q": SECRET}),
    ("/api/v1/departments", {"hospital_id": "hospital"}),
    ("/api/v1/contacts", {"hospital_id": "hospital"}),
    ("/api/v1/contracts", {"hospital_id": "hospital"}),
    ("/api/v1/maintenance-agreements", {"hospital_id": "hospital"}),
    ("/api/v1/training-plans", {"contract_id": "contract"}),
    ("/api/v1/regime-documents", {"hospital_id": "hospital"}),
    ("/api/v1/parts", {"q": SECRET}),
    ("/api/v1/devices/{device_id}/archive", {"kind": "installation"}),
    ("/api/v1/hospitals/{hospital_id}/archive", {"kind": "installation"}),
]


@pytest.mark.parametrize(("path", "params"), FILTERED)
def test_a_file_has_the_rows_of_the_same_filters(admin_client, path, params):
    client, world = admin_client
    url = _fill(world, path)
    query = {k: str(world.b[v].pk) if v in world.b else v for k, v in params.items()}
    everything = client.get(url).json()["count"]
    count = client.get(url, query).json()["count"]
    assert 0 < count < everything
    text = _body(client.get(url, {**query, "format": "csv"})).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) - 1 == count


def test_the_headers_and_times_follow_the_viewer(client):
    """Headers in the request's language; the archive's times in the hospital's zone."""
    world = World()
    client.force_login(world.vendor[VendorRole.ADMIN])
    zh = _body(client.get("/api/v1/hospitals?format=csv", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert zh.decode("utf-8-sig").splitlines()[0].startswith("名称,")
    device = world.b["device"]
    device.hospital.time_zone = "America/New_York"  # not the viewer's (Asia/Shanghai)
    device.hospital.save()
    url = f"/api/v1/devices/{device.pk}/archive"
    newest = client.get(url).json()["items"][0]
    text = _body(client.get(url, {"format": "csv"})).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    at = dt.datetime.fromisoformat(newest["at"]).astimezone(ZoneInfo("America/New_York"))
    assert rows[1][0] == at.strftime("%Y-%m-%d %H:%M")
    assert rows[1][2] == newest["title"]
