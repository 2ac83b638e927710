"""One filter definition per list (GUIDE 14): the catalogue, stock levels, stock movements and
loaner units are filtered by one FilterSet each, in the page, the API and its OpenAPI
document alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from core.tests.apiclient import Api, locs
from core.tests.filtering import assert_one_definition
from customers.tests.factories import HospitalFactory, hospital_user
from parts import services
from parts.filters import LoanerFilterSet, MovementFilterSet, PartFilterSet, StockFilterSet
from parts.models import LoanerState, ReorderPoint

from .factories import SparePartFactory, StockLocationFactory, open_request
from .test_loans import LoanerUnitFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager(client):
    user = vendor_user(VendorRole.MANAGER, username="manager")
    client.force_login(user)
    return user


def on_page(client, name: str, **params) -> list:
    response = client.get(reverse(f"parts:{name}"), params)
    assert response.status_code == 200
    return list(response.context["page"])


def by_api(api, path: str, **params) -> list[dict]:
    response = api.get(path, **params)
    assert response.status_code == 200, response.json()
    return response.json()["items"]


def test_the_catalogue_has_one_filter_definition(client, manager):
    model = ProductModelFactory()
    fits = SparePartFactory(part_number="PB-100", product_models=[model])
    SparePartFactory(part_number="PB-200", product_models=[model, ProductModelFactory()])
    retired = SparePartFactory(part_number="XR-1", active=False)
    assert_one_definition(
        client,
        PartFilterSet,
        api_path="/parts",
        page_response=client.get(reverse("parts:part_list")),
    )
    api = Api(client, manager)
    cases: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = [
        ({"q": "pb-1"}, {"q": "pb-1"}, ["PB-100"]),
        ({"product_model": model.pk}, {"product_model_id": model.pk}, ["PB-100", "PB-200"]),
        ({"active": "false"}, {"active": "false"}, ["XR-1"]),
    ]
    for page_params, api_params, expected in cases:
        assert sorted(p.part_number for p in on_page(client, "part_list", **page_params)) == (
            expected
        ), page_params
        assert sorted(p["part_number"] for p in by_api(api, "/parts", **api_params)) == (
            expected
        ), api_params
    assert fits.pk and retired.pk
    assert locs(api.get("/parts", product_model_id=0)) == [["query", "product_model_id"]]


@pytest.fixture
def stock(manager):
    """Two parts in two stores; the first part is under its reorder point in the first."""
    short, plenty = SparePartFactory(part_number="SHORT"), SparePartFactory(part_number="PLENTY")
    store, other = StockLocationFactory(name="Central"), StockLocationFactory(name="Qingdao")
    for part, location in ((short, store), (plenty, store), (plenty, other)):
        services.stock_receive(part=part, location=location, quantity=2, user=manager)
    ReorderPoint.objects.create(part=short, location=store, minimum=5)
    return {"short": short, "plenty": plenty, "store": store, "other": other}


def test_stock_levels_have_one_filter_definition(client, manager, stock):
    page = client.get(reverse("parts:stock"))
    assert_one_definition(client, StockFilterSet, api_path="/stock", page_response=page)
    assert 'type="checkbox" name="low"' in page.content.decode()
    api = Api(client, manager)

    def rows(levels) -> set[tuple[str, str]]:
        return {(level.part.part_number, level.location.name) for level in levels}

    def api_rows(items) -> set[tuple[str, str]]:
        return {(item["part_number"], item["location_name"]) for item in items}

    cases = [
        ({"low": "1"}, {"low_only": "true"}, {("SHORT", "Central")}),
        (
            {"location": stock["other"].pk},
            {"location_id": stock["other"].pk},
            {("PLENTY", "Qingdao")},
        ),
        (
            {"part": stock["plenty"].pk},
            {"part_id": stock["plenty"].pk},
            {("PLENTY", "Central"), ("PLENTY", "Qingdao")},
        ),
    ]
    for page_params, api_params, expected in cases:
        assert rows(on_page(client, "stock", **page_params)) == expected, page_params
        assert api_rows(by_api(api, "/stock", **api_params)) == expected, api_params
    # Unchecked is every level, not "the levels that are not low".
    assert len(on_page(client, "stock")) == len(by_api(api, "/stock", low_only="false")) == 3


def test_stock_movements_have_one_filter_definition(client, manager, stock):
    request = open_request(DeviceFactory())
    earlier = NOW - dt.timedelta(days=3)
    services.stock_transfer(
        part=stock["plenty"],
        from_location=stock["store"],
        to_location=stock["other"],
        quantity=1,
        user=manager,
        occurred_at=earlier,
    )
    services.stock_reserve(
        request=request, part=stock["short"], location=stock["store"], quantity=1, user=manager
    )
    page = client.get(reverse("parts:movement_list"))
    assert_one_definition(
        client, MovementFilterSet, api_path="/stock-movements", page_response=page
    )
    api = Api(client, manager)

    def kinds(movements) -> list[tuple[str, str]]:
        return [(m.kind, m.part.part_number) for m in movements]

    def api_kinds(items) -> list[tuple[str, str]]:
        numbers = {stock[name].pk: stock[name].part_number for name in ("short", "plenty")}
        return [(item["kind"], numbers[item["part_id"]]) for item in items]

    # The latest first: three receipts, the transfer, then the reservation.
    assert kinds(on_page(client, "movement_list")) == [
        ("reserve", "SHORT"),
        ("transfer", "PLENTY"),
        ("receive", "PLENTY"),
        ("receive", "PLENTY"),
        ("receive", "SHORT"),
    ]
    cases = [
        ({"kind": "transfer"}, {"kind": "transfer"}, [("transfer", "PLENTY")]),
        (
            {"location": stock["other"].pk},
            {"location_id": stock["other"].pk},
            [("transfer", "PLENTY"), ("receive", "PLENTY")],
        ),
        (
            {"part": stock["short"].pk},
            {"part_id": stock["short"].pk},
            [("reserve", "SHORT"), ("receive", "SHORT")],
        ),
        ({"request": request.pk}, {"request_id": request.pk}, [("reserve", "SHORT")]),
        (
            {"occurred_from": "2026-03-07", "occurred_to": "2026-03-07"},
            {"occurred_from": "2026-03-07", "occurred_to": "2026-03-07"},
            [("transfer", "PLENTY")],
        ),
    ]
    for page_params, api_params, expected in cases:
        assert kinds(on_page(client, "movement_list", **page_params)) == expected, page_params
        assert api_kinds(by_api(api, "/stock-movements", **api_params)) == expected, api_params
    assert locs(api.get("/stock-movements", kind="borrow")) == [["query", "kind"]]


def test_the_movement_list_is_the_vendors_own(client):
    client.force_login(hospital_user(HospitalFactory(), username="nurse"))
    assert client.get(reverse("parts:movement_list")).status_code == 403
    assert client.get("/api/v1/stock-movements").status_code == 403
    client.force_login(vendor_user(VendorRole.DISPATCHER, username="hotline"))
    assert client.get(reverse("parts:movement_list")).status_code == 200


def test_loaners_have_one_filter_definition(client, manager):
    available = LoanerUnitFactory(serial_number="LN-A")
    in_repair = LoanerUnitFactory(serial_number="LN-R", state=LoanerState.IN_REPAIR)
    page = client.get(reverse("parts:loaner_list"))
    assert_one_definition(client, LoanerFilterSet, api_path="/loaners", page_response=page)
    api = Api(client, manager)
    cases: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = [
        ({"state": "in_repair"}, {"state": "in_repair"}, ["LN-R"]),
        (
            {"model": available.product_model_id},
            {"product_model_id": available.product_model_id},
            ["LN-A"],
        ),
    ]
    for page_params, api_params, expected in cases:
        listed = on_page(client, "loaner_list", **page_params)
        assert [unit.serial_number for unit in listed] == expected, page_params
        items = by_api(api, "/loaners", **api_params)
        assert [item["serial_number"] for item in items] == expected, api_params
    # The chosen model stays chosen in the form.
    chosen = client.get(reverse("parts:loaner_list"), {"model": in_repair.product_model_id})
    assert f'<option value="{in_repair.product_model_id}" selected>' in chosen.content.decode()
