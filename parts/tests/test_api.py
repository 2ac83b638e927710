"""API of the parts app: happy paths, 422 with field paths, 409 for too little stock,
403 for hospital users (issue 5 §5)."""

from __future__ import annotations

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from customers.tests.factories import HospitalFactory, hospital_user
from parts import services
from parts.models import SparePart, StockMovement

from .factories import SparePartFactory, StockLocationFactory, open_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = vendor_user(VendorRole.MANAGER, username="manager")
    client.force_login(user)
    return user


@pytest.fixture
def stocked(manager):
    part, store = SparePartFactory(part_number="PB-1"), StockLocationFactory(name="Central")
    services.stock_receive(part=part, location=store, quantity=1, user=manager)
    return part, store


def post(client, url, body, **headers):
    return client.post(url, body, content_type="application/json", **headers)


def test_create_and_list_parts(client, manager):
    model = ProductModelFactory()
    response = post(
        client,
        "/api/v1/parts",
        {
            "part_number": "PB-9",
            "name_zh": "电源板",
            "product_model_ids": [model.pk],
            "cost_price": "120.50",
            "list_price": "180.00",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["product_model_ids"] == [model.pk]
    listed = client.get("/api/v1/parts", {"product_model_id": model.pk}).json()
    assert listed["count"] == 1 and listed["items"][0]["cost_price"] == "120.50"


def test_duplicate_part_number_is_422_on_the_field(client, manager):
    SparePartFactory(part_number="PB-1")
    response = post(
        client,
        "/api/v1/parts",
        {"part_number": "PB-1", "name_zh": "x", "cost_price": "1", "list_price": "1"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "part_number"]
    assert SparePart.objects.count() == 1


def test_a_bag_needs_an_engineer(client, manager):
    response = post(client, "/api/v1/stock-locations", {"kind": "engineer_bag", "name": "Bag"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "engineer_id"]
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    response = post(
        client,
        "/api/v1/stock-locations",
        {"kind": "engineer_bag", "name": "Bag", "engineer_id": engineer.pk},
    )
    assert response.status_code == 201
    assert response.json()["engineer_id"] == engineer.pk


def test_reserve_the_last_unit_then_409_for_the_next(client, stocked):
    part, store = stocked
    first, second = open_request(DeviceFactory()), open_request(DeviceFactory())
    body = {"kind": "reserve", "part_id": part.pk, "location_id": store.pk, "quantity": 1}
    response = post(client, "/api/v1/stock-movements", {**body, "request_id": first.pk})
    assert response.status_code == 201, response.content
    assert response.json()["levels"][0]["reserved"] == 1
    response = post(client, "/api/v1/stock-movements", {**body, "request_id": second.pk})
    assert response.status_code == 409
    assert response.json()["detail"] == "Only 0 left at Central."


def test_movement_missing_fields_are_422_with_paths(client, stocked):
    part, _ = stocked
    response = post(client, "/api/v1/stock-movements", {"kind": "transfer", "part_id": part.pk})
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert locs == {("body", "quantity"), ("body", "from_location_id"), ("body", "to_location_id")}
    assert StockMovement.objects.count() == 1


def test_unknown_location_is_422(client, stocked):
    part, _ = stocked
    response = post(
        client,
        "/api/v1/stock-movements",
        {"kind": "receive", "part_id": part.pk, "location_id": 999999, "quantity": 1},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "location_id"]


def test_idempotency_key_records_once(client, stocked):
    part, store = stocked
    body = {"kind": "receive", "part_id": part.pk, "location_id": store.pk, "quantity": 2}
    first = post(client, "/api/v1/stock-movements", body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, "/api/v1/stock-movements", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.json()["movement"]["id"] == again.json()["movement"]["id"]
    levels = client.get("/api/v1/stock", {"part_id": part.pk}).json()["items"]
    assert levels[0]["on_hand"] == 3


def test_stock_shows_the_low_flag(client, stocked):
    from parts.models import ReorderPoint

    part, store = stocked
    ReorderPoint.objects.create(part=part, location=store, minimum=2)
    (item,) = client.get("/api/v1/stock", {"location_id": store.pk, "low_only": True}).json()[
        "items"
    ]
    assert (item["available"], item["minimum"], item["is_low"]) == (1, 2, True)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/parts"),
        ("get", "/api/v1/stock-locations"),
        ("get", "/api/v1/stock"),
        ("post", "/api/v1/stock-movements"),
        ("post", "/api/v1/parts"),
    ],
)
def test_hospital_users_are_refused(client, stocked, method, path):
    client.force_login(hospital_user(HospitalFactory(), username="nurse"))
    part, store = stocked
    body = {"kind": "receive", "part_id": part.pk, "location_id": store.pk, "quantity": 5}
    if path == "/api/v1/parts":
        body = {"part_number": "PB-2", "name_zh": "x", "cost_price": "1", "list_price": "1"}
    args = [body, "application/json"] if method == "post" else []
    response = getattr(client, method)(path, *args)
    assert response.status_code == 403
    assert "PB-1" not in response.content.decode()
    assert StockMovement.objects.count() == 1


def test_dispatcher_cannot_move_stock(client, stocked):
    client.force_login(vendor_user(VendorRole.DISPATCHER, username="agent"))
    part, store = stocked
    body = {"kind": "receive", "part_id": part.pk, "location_id": store.pk, "quantity": 5}
    assert post(client, "/api/v1/stock-movements", body).status_code == 403
    assert client.get("/api/v1/stock").status_code == 200
