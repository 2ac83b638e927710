"""Pages of the parts app per role: the catalogue, stock with low-stock rows, the
movement form and an engineer's bag (issue 5 §5)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from customers.tests.factories import HospitalFactory, hospital_user
from parts import services
from parts.models import ReorderPoint, SparePart, StockLevel, StockMovement

from .factories import SparePartFactory, StockLocationFactory, bag_of, open_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER, username="manager")


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


def test_manager_creates_a_part_and_sees_errors_on_bad_input(client, manager):
    client.force_login(manager)
    model = ProductModelFactory()
    url = reverse("parts:part_create")
    base = {"part_number": "PB-1", "name_zh": "电源板", "unit": "pcs", "currency": "CNY"}
    response = client.post(url, {**base, "cost_price": "-1", "list_price": "2"})
    assert response.status_code == 200
    assert "cost_price" in response.context["form"].errors
    assert not SparePart.objects.exists()
    response = client.post(
        url, {**base, "cost_price": "1.50", "list_price": "2", "product_models": [model.pk]}
    )
    part = SparePart.objects.get()
    assert response.status_code == 302
    assert list(part.product_models.all()) == [model]
    response = client.post(
        reverse("parts:part_edit", args=[part.pk]),
        {**base, "name_zh": "新电源板", "cost_price": "1.50", "list_price": "3", "active": "on"},
    )
    assert response.status_code == 302
    part.refresh_from_db()
    assert part.name_zh == "新电源板" and str(part.list_price) == "3.00"


def test_stock_page_highlights_low_rows(client, manager):
    client.force_login(manager)
    part, store = SparePartFactory(part_number="LOW-1"), StockLocationFactory()
    services.stock_receive(part=part, location=store, quantity=1, user=manager)
    ReorderPoint.objects.create(part=part, location=store, minimum=3)
    body = client.get(reverse("parts:stock")).content.decode()
    assert 'class="table-warning" data-low="1"' in body and "LOW-1" in body
    low_only = client.get(reverse("parts:stock"), {"low": "1"}).content.decode()
    assert "LOW-1" in low_only


def test_movement_form_records_and_shows_not_enough_stock(client, manager):
    client.force_login(manager)
    part, store = SparePartFactory(), StockLocationFactory(name="Central")
    url = reverse("parts:movement_create")
    response = client.post(url, {"kind": "receive", "part": part.pk, "location": store.pk})
    assert "quantity" in response.context["form"].errors
    response = client.post(
        url, {"kind": "receive", "part": part.pk, "location": store.pk, "quantity": 2}
    )
    assert response.status_code == 302
    response = client.post(
        url,
        {"kind": "write_off", "part": part.pk, "location": store.pk, "quantity": 3, "note": "x"},
    )
    assert response.context["form"].errors["quantity"] == ["Only 2 left at Central."]
    assert StockLevel.objects.get(part=part).on_hand == 2


def test_engineer_issues_a_part_from_the_bag(client, manager, engineer):
    client.force_login(engineer)
    bag = bag_of(engineer)
    part = SparePartFactory(part_number="FUSE")
    services.stock_receive(part=part, location=bag, quantity=3, user=manager)
    job = open_request(DeviceFactory(), engineers=[engineer])
    page = client.get(reverse("parts:my_bag")).content.decode()
    assert "FUSE" in page and job.number in page
    body = {"part": part.pk, "request": job.pk, "quantity": 2, "idempotency_key": "tap"}
    client.post(reverse("parts:bag_issue"), body)
    client.post(reverse("parts:bag_issue"), body)  # a double tap
    assert StockLevel.objects.get(part=part, location=bag).on_hand == 1
    assert StockMovement.objects.filter(kind="issue").count() == 1


def test_engineer_reserves_a_proposed_part_from_the_bag(client, manager, engineer):
    client.force_login(engineer)
    bag = bag_of(engineer)
    model = ProductModelFactory()
    part = SparePartFactory(part_number="FITS", product_models=[model])
    services.stock_receive(part=part, location=bag, quantity=2, user=manager)
    job = open_request(DeviceFactory(product_model=model), engineers=[engineer])
    page = client.get(reverse("parts:my_bag")).content.decode()
    assert 'data-proposal="FITS"' in page
    body = {"part": part.pk, "request": job.pk, "quantity": 1, "idempotency_key": "r"}
    client.post(reverse("parts:bag_reserve"), body)
    client.post(reverse("parts:bag_reserve"), body)
    assert StockLevel.objects.get(part=part, location=bag).reserved == 1


def test_bag_shows_on_hand_reserved_and_available_per_part(client, manager, engineer):
    """Issue 12 §5: the engineer's bag shows on hand and available (on hand minus reserved)."""
    client.force_login(engineer)
    bag = bag_of(engineer)
    part = SparePartFactory(part_number="HELD")
    services.stock_receive(part=part, location=bag, quantity=5, user=manager)
    job = open_request(DeviceFactory(), engineers=[engineer])
    services.stock_reserve(part=part, location=bag, quantity=2, request=job, user=engineer)
    page = client.get(reverse("parts:my_bag")).content.decode()
    card = page[page.index('data-bag-part="HELD"') :]
    assert re.search(r"On hand</dt><dd[^>]*data-on-hand>5<", card)
    assert re.search(r"Reserved</dt><dd[^>]*data-reserved>2<", card)
    assert re.search(r"Available</dt><dd[^>]*><span[^>]*data-free>3<", card)


def test_engineer_cannot_issue_to_someone_elses_request(client, manager, engineer):
    client.force_login(engineer)
    bag = bag_of(engineer)
    part = SparePartFactory()
    services.stock_receive(part=part, location=bag, quantity=3, user=manager)
    other = open_request(DeviceFactory())
    body = {"part": part.pk, "request": other.pk, "quantity": 1, "idempotency_key": "k"}
    assert client.post(reverse("parts:bag_issue"), body).status_code == 404
    assert not StockMovement.objects.filter(kind="issue").exists()


@pytest.mark.parametrize(
    ("role", "codes"),
    [
        (VendorRole.ADMIN, (200, 200, 200, 200)),
        (VendorRole.MANAGER, (200, 200, 200, 200)),
        (VendorRole.ENGINEER, (200, 403, 200, 200)),
        (VendorRole.DISPATCHER, (200, 403, 403, 200)),
        ("hospital", (403, 403, 403, 403)),
    ],
)
def test_pages_per_role(client, role, codes):
    if role == "hospital":
        user = hospital_user(HospitalFactory(), username="nurse")
    else:
        user = vendor_user(role, username=f"u-{role}")
    client.force_login(user)
    names = ["parts:part_list", "parts:part_create", "parts:movement_create", "parts:stock"]
    assert tuple(client.get(reverse(name)).status_code for name in names) == codes


def test_hospital_user_gets_404_on_a_part(client):
    client.force_login(hospital_user(HospitalFactory(), username="nurse"))
    part = SparePartFactory()
    assert client.get(reverse("parts:part_detail", args=[part.pk])).status_code == 404
