"""The request page's parts card and its buttons (issue 5 §1), and the same data in the API:
vendor staff only, a request outside the scope is 404, hospital users are refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from customers.tests.factories import HospitalFactory, hospital_user
from parts import services
from parts.models import StockLevel, StockMovement
from parts.selectors import reserved_lines

from .factories import SparePartFactory, StockLocationFactory, bag_of, open_request

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


@pytest.fixture
def setup(engineer):
    """A request (symptom "no display") assigned to the engineer, a matched part in the
    bag, a plain part in the central store and one part already issued."""
    manager = vendor_user(VendorRole.MANAGER, username="manager")
    model = ProductModelFactory()
    job = open_request(DeviceFactory(product_model=model), engineers=[engineer])
    bag, store = bag_of(engineer), StockLocationFactory(name="Central")
    matched = SparePartFactory(
        part_number="PSU", symptom_keywords="No Display, 黑屏", product_models=[model]
    )
    plain = SparePartFactory(part_number="FAN", product_models=[model])
    fuse = SparePartFactory(part_number="FUSE", product_models=[model])
    services.stock_receive(part=matched, location=bag, quantity=2, user=manager)
    services.stock_receive(part=plain, location=store, quantity=3, user=manager)
    services.stock_receive(part=fuse, location=store, quantity=3, user=manager)
    services.stock_issue(request=job, part=fuse, location=store, quantity=1, user=manager)
    return {"job": job, "bag": bag, "store": store, "matched": matched, "plain": plain}


def url(name, job):
    return reverse(f"parts:{name}", args=[job.pk])


def test_the_card_shows_proposals_with_keywords_reserved_and_issued(client, engineer, setup):
    job = setup["job"]
    services.stock_reserve(
        request=job, part=setup["plain"], location=setup["store"], quantity=1, user=engineer
    )
    client.force_login(engineer)
    response = client.get(url("request_parts", job), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    proposals = [row["p"].part.part_number for row in response.context["proposals"]]
    assert proposals[0] == "PSU"
    assert '<span class="badge text-bg-info ms-1" data-keyword>No Display</span>' in body
    assert 'data-reserved="FAN"' in body and "Central" in body
    assert 'data-issued="FUSE"' in body
    assert response.context["proposals"][0]["source"].location == setup["bag"]
    assert body.count('name="idempotency_key"') == 4  # one unreserve, three reserve buttons


def test_reserve_by_default_in_the_bag_once_per_key(client, engineer, setup):
    job, matched = setup["job"], setup["matched"]
    client.force_login(engineer)
    data = {"part": matched.pk, "idempotency_key": "k-1"}
    for _ in range(2):
        response = client.post(url("request_reserve", job), data, **HTMX)
        assert response.status_code == 200 and not response.context["errors"]
    assert [(x.part, x.location, x.quantity) for x in reserved_lines(job)] == [
        (matched, setup["bag"], 1)
    ]
    assert 'data-reserved="PSU"' in response.content.decode()


def test_reserve_at_a_store_and_not_enough_stock_changes_nothing(client, engineer, setup):
    job, plain, store = setup["job"], setup["plain"], setup["store"]
    client.force_login(engineer)
    ok = {"part": plain.pk, "location": store.pk, "idempotency_key": "k-1"}
    assert client.post(url("request_reserve", job), ok, **HTMX).status_code == 200
    before = StockMovement.objects.count()
    too_much = {"part": setup["matched"].pk, "location": store.pk, "idempotency_key": "k-2"}
    response = client.post(url("request_reserve", job), too_much, **HTMX)
    assert response.context["errors"] == ["Only 0 left at Central."]
    assert (
        '<div class="alert alert-danger py-2" role="alert" data-error>' in response.content.decode()
    )
    bad = client.post(url("request_reserve", job), {"part": "x"}, **HTMX)
    assert bad.context["errors"] == ["Choose a part to reserve."]
    assert StockMovement.objects.count() == before
    assert StockLevel.objects.get(part=plain, location=store).reserved == 1


def test_unreserve_gives_the_line_back_and_plain_posts_redirect(client, engineer, setup):
    job, matched, bag = setup["job"], setup["matched"], setup["bag"]
    services.stock_reserve(request=job, part=matched, location=bag, quantity=2, user=engineer)
    client.force_login(engineer)
    too_many = {"part": matched.pk, "location": bag.pk, "quantity": 3, "idempotency_key": "u-0"}
    response = client.post(url("request_unreserve", job), too_many, **HTMX)
    assert response.context["errors"] == ["This request holds only 2 reserved at Bag eng."]
    data = {"part": matched.pk, "location": bag.pk, "quantity": 2, "idempotency_key": "u-1"}
    response = client.post(url("request_unreserve", job), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("service:request_detail", args=[job.pk])
    assert reserved_lines(job) == []
    assert StockLevel.objects.get(part=matched, location=bag).reserved == 0


def test_who_may_see_and_press(client, setup):
    job = setup["job"]
    names = ("request_parts", "request_reserve", "request_unreserve")

    def codes(user, target=job):
        client.force_login(user)
        return (
            client.get(url(names[0], target)).status_code,
            client.post(url(names[1], target), {}).status_code,
            client.post(url(names[2], target), {}).status_code,
        )

    own = hospital_user(job.hospital, username="admin-own")
    other = hospital_user(HospitalFactory(), username="admin-other")
    dispatcher = vendor_user(VendorRole.DISPATCHER, username="agent")
    assert codes(own) == (403, 403, 403)
    assert codes(other) == (404, 404, 404)
    assert codes(dispatcher)[0] == 200 and codes(dispatcher)[1:] == (403, 403)
    job.pk = 999999
    assert codes(vendor_user(VendorRole.MANAGER, username="m"), job) == (404, 404, 404)
    assert not StockMovement.objects.filter(kind="reserve").exists()


def test_api_lists_proposed_reserved_and_issued(client, engineer, setup):
    job = setup["job"]
    services.stock_reserve(
        request=job, part=setup["matched"], location=setup["bag"], quantity=1, user=engineer
    )
    path = f"/api/v1/service-requests/{job.pk}/parts"
    assert client.get(path).status_code == 401
    client.force_login(engineer)
    body = client.get(path).json()
    assert body["engineer_id"] == engineer.pk
    assert [(p["part_number"], p["keywords"], p["in_bag"]) for p in body["proposed"]] == [
        ("PSU", ["No Display"], 1),
        ("FAN", [], 0),
        ("FUSE", [], 0),
    ]
    assert body["reserved"] == [
        {
            "part_id": setup["matched"].pk,
            "part_number": "PSU",
            "name": setup["matched"].name,
            "location_id": setup["bag"].pk,
            "location_name": "Bag eng",
            "quantity": 1,
            "serial": "",
        }
    ]
    assert [(i["part_number"], i["quantity"]) for i in body["issued"]] == [("FUSE", 1)]
    client.force_login(hospital_user(job.hospital, username="own"))
    assert client.get(path).status_code == 403
    client.force_login(hospital_user(HospitalFactory(), username="other"))
    assert client.get(path).status_code == 404


def test_symptom_keywords_in_the_form_the_page_and_the_api(client):
    manager = vendor_user(VendorRole.MANAGER, username="manager")
    client.force_login(manager)
    response = client.post(
        reverse("parts:part_create"),
        {
            "part_number": "PSU-1",
            "name_zh": "电源板",
            "symptom_keywords": "no display, 黑屏",
            "unit": "pcs",
            "cost_price": "1",
            "list_price": "2",
            "currency": "CNY",
            "active": "on",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert '<dd class="col-sm-9" data-keywords>no display, 黑屏</dd>' in page
    created = client.post(
        "/api/v1/parts",
        {
            "part_number": "FAN-1",
            "name_zh": "风扇",
            "symptom_keywords": "过热",
            "cost_price": "1",
            "list_price": "2",
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["symptom_keywords"] == "过热"
    listed = client.get("/api/v1/parts").json()["items"]
    assert {p["part_number"]: p["symptom_keywords"] for p in listed} == {
        "FAN-1": "过热",
        "PSU-1": "no display, 黑屏",
    }
