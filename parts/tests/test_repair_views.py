"""The parts panel of the repair record page (issue 5 §2) and the parts-used API: htmx
fragment and POSTs, errors in the form, one record per double tap, vendor staff only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import MainComponent
from assets.tests.factories import DeviceFactory, MainComponentFactory
from customers.tests.factories import hospital_user
from parts import services
from parts.models import StockLevel, StockMovement
from service.models import RepairRecord
from service.repair_records import services as records

from .factories import SparePartFactory, bag_of, open_request

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def engineer(client):
    user = vendor_user(VendorRole.ENGINEER, username="eng")
    client.force_login(user)
    return user


@pytest.fixture
def device():
    return DeviceFactory()


@pytest.fixture
def sr(device, engineer):
    request = open_request(device, engineers=[engineer])
    records.repair_record_save(request=request, author=engineer, symptoms="开机报警")
    return request


@pytest.fixture
def bag(engineer):
    return bag_of(engineer)


@pytest.fixture
def fuse(device, bag, engineer):
    part = SparePartFactory(
        part_number="F-1", name_zh="保险丝", name_en="Fuse", product_models=[device.product_model]
    )
    services.stock_receive(part=part, location=bag, quantity=5, user=None)
    return part


@pytest.fixture
def board(device, bag, engineer):
    part = SparePartFactory(
        part_number="MB-1",
        name_zh="主板",
        is_main_component=True,
        product_models=[device.product_model],
    )
    services.stock_receive(part=part, location=bag, quantity=1, user=None, serial="NEW-1")
    return part


def lines(sr):
    return RepairRecord.objects.get(request=sr).parts_replaced


# --- the fragment and its POSTs ---------------------------------------------------------
def test_record_page_loads_the_panel(client, sr, engineer):
    page = client.get(reverse("records:record_edit", args=[sr.pk]))
    assert reverse("parts:repair_parts", args=[sr.pk]) in page.content.decode()
    assert 'id="record-parts-lines"' in page.content.decode()


def test_fragment_proposes_parts_in_my_bag_first(client, sr, fuse, board):
    response = client.get(reverse("parts:repair_parts", args=[sr.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-use-part" in html and "F-1" in html and "My bag" in html
    assert 'name="idempotency_key"' in html


def test_fragment_lists_serials_of_the_chosen_part(client, sr, board, bag):
    response = client.get(
        reverse("parts:repair_parts", args=[sr.pk]), {"part": board.pk, "location": bag.pk}
    )
    assert 'value="NEW-1"' in response.content.decode()


def test_htmx_use_answers_the_fragment_with_the_new_lines(client, sr, fuse, bag):
    response = client.post(
        reverse("parts:repair_part_use", args=[sr.pk]),
        {"part": fuse.pk, "quantity": 2, "idempotency_key": "k1"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-parts-success" in html and 'hx-swap-oob="true"' in html
    # The record's formset, refreshed: the line with its own quantity (issue 12 §2).
    assert 'value="F-1 保险丝"' in html and 'value="2"' in html
    assert lines(sr) == [
        {"name": "F-1 保险丝", "quantity": 2, "serial_removed": "", "serial_fitted": ""}
    ]
    assert StockLevel.objects.get(part=fuse, location=bag).on_hand == 3


def test_double_tap_records_once(client, sr, fuse):
    body = {"part": fuse.pk, "quantity": 1, "idempotency_key": "tap"}
    for _ in range(2):
        client.post(reverse("parts:repair_part_use", args=[sr.pk]), body, headers=HTMX)
    assert StockMovement.objects.filter(kind="issue").count() == 1
    assert len(lines(sr)) == 1


def test_plain_post_redirects_to_the_record(client, sr, fuse):
    response = client.post(
        reverse("parts:repair_part_use", args=[sr.pk]), {"part": fuse.pk, "quantity": 1}
    )
    assert response.status_code == 302
    assert response.url == reverse("records:record_edit", args=[sr.pk])


def test_errors_show_in_the_form_and_change_nothing(client, sr, fuse):
    response = client.post(
        reverse("parts:repair_part_use", args=[sr.pk]),
        {"part": fuse.pk, "quantity": 9},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Only 5 left" in response.content.decode()
    assert lines(sr) == [] and not StockMovement.objects.filter(kind="issue").exists()


def test_main_component_replacement_through_the_panel(client, sr, board, device):
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    response = client.post(
        reverse("parts:repair_part_use", args=[sr.pk]),
        {
            "part": board.pk,
            "quantity": 1,
            "serial": "NEW-1",
            "removed_component": old.pk,
            "removal_fate": "scrapped",
        },
        headers=HTMX,
    )
    assert "data-parts-success" in response.content.decode(), response.content.decode()
    assert MainComponent.objects.get(serial_number="NEW-1").replaces == old
    page = client.get(reverse("assets:device_detail", args=[device.pk])).content.decode()
    assert 'data-removal-fate="scrapped"' in page
    coverage = client.get(reverse("contracts:device_coverage", args=[device.pk]))
    assert 'data-component="NEW-1"' in coverage.content.decode()


def test_main_component_without_fate_shows_the_error(client, sr, board, device):
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    response = client.post(
        reverse("parts:repair_part_use", args=[sr.pk]),
        {"part": board.pk, "quantity": 1, "serial": "NEW-1", "removed_component": old.pk},
        headers=HTMX,
    )
    assert "Say where the removed component goes" in response.content.decode()
    assert MainComponent.objects.get(pk=old.pk).removed_on is None


def test_frozen_record_shows_the_refusal(client, sr, fuse):
    RepairRecord.objects.filter(request=sr).update(frozen_at=sr.reported_at)
    response = client.post(
        reverse("parts:repair_part_use", args=[sr.pk]),
        {"part": fuse.pk, "quantity": 1},
        headers=HTMX,
    )
    assert "can no longer change" in response.content.decode()
    assert not StockMovement.objects.filter(kind="issue").exists()


def test_return_through_the_panel(client, sr, fuse, bag):
    client.post(reverse("parts:repair_part_use", args=[sr.pk]), {"part": fuse.pk, "quantity": 2})
    issue = StockMovement.objects.get(kind="issue")
    panel = client.get(reverse("parts:repair_parts", args=[sr.pk])).content.decode()
    assert f'data-return="{issue.pk}"' in panel
    response = client.post(
        reverse("parts:repair_part_return", args=[sr.pk, issue.pk]), headers=HTMX
    )
    assert response.status_code == 200 and "data-parts-success" in response.content.decode()
    assert lines(sr) == []
    assert StockLevel.objects.get(part=fuse, location=bag).on_hand == 5


def test_hospital_user_is_denied(client, sr, fuse):
    user = hospital_user(sr.hospital)
    client.force_login(user)
    assert client.get(reverse("parts:repair_parts", args=[sr.pk])).status_code == 403
    response = client.post(
        reverse("parts:repair_part_use", args=[sr.pk]), {"part": fuse.pk, "quantity": 1}
    )
    assert response.status_code == 403
    assert not StockMovement.objects.filter(kind="issue").exists()


def test_other_hospital_user_gets_404(client, sr, fuse):
    other = DeviceFactory()
    client.force_login(hospital_user(other.hospital))
    assert client.get(reverse("parts:repair_parts", args=[sr.pk])).status_code == 404
    response = client.post(
        reverse("parts:repair_part_use", args=[sr.pk]), {"part": fuse.pk, "quantity": 1}
    )
    assert response.status_code == 404


# --- the API ------------------------------------------------------------------------------
def api_url(sr) -> str:
    return f"/api/v1/service-requests/{sr.pk}/parts-used"


def post(client, url, body, **headers):
    return client.post(url, body, content_type="application/json", **headers)


def test_api_use_and_list(client, sr, fuse):
    response = post(client, api_url(sr), {"part_id": fuse.pk, "quantity": 2})
    assert response.status_code == 201, response.content
    assert response.json()["line"]["name"] == "F-1 保险丝"
    assert response.json()["line"]["quantity"] == 2
    listed = client.get(api_url(sr))
    assert listed.status_code == 200
    assert [(p["part_number"], p["quantity"]) for p in listed.json()] == [("F-1", 2)]


def test_api_main_component_and_replay(client, sr, board, device):
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    body = {
        "part_id": board.pk,
        "serial": "NEW-1",
        "removed_component_id": old.pk,
        "removal_fate": "sent_for_repair",
    }
    first = post(client, api_url(sr), body, HTTP_IDEMPOTENCY_KEY="phone-1")
    assert first.status_code == 201, first.content
    again = post(client, api_url(sr), body, HTTP_IDEMPOTENCY_KEY="phone-1")
    # The first answer again, word for word (accounts.middleware.IdempotencyMiddleware).
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(lines(sr)) == 1


def test_api_not_enough_stock_is_409(client, sr, fuse):
    response = post(client, api_url(sr), {"part_id": fuse.pk, "quantity": 9})
    assert response.status_code == 409
    assert response.json()["errors"][0]["type"] == "not_enough_stock"


def test_api_frozen_is_409(client, sr, fuse):
    RepairRecord.objects.filter(request=sr).update(frozen_at=sr.reported_at)
    response = post(client, api_url(sr), {"part_id": fuse.pk})
    assert response.status_code == 409
    assert response.json()["errors"][0]["type"] == "record_frozen"


def test_api_bad_input_is_422(client, sr, board):
    response = post(client, api_url(sr), {"part_id": board.pk, "serial": "NEW-1"})
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert ("body", "removal_fate") in locs and ("body", "removed_component_id") in locs
    bad = post(client, api_url(sr), {"part_id": board.pk, "removal_fate": "lost"})
    assert bad.status_code == 422
    assert not StockMovement.objects.filter(kind="issue").exists()


def test_api_outside_scope_is_404(client, sr, fuse):
    other = DeviceFactory()
    client.force_login(hospital_user(other.hospital))
    assert client.get(api_url(sr)).status_code == 404
    assert post(client, api_url(sr), {"part_id": fuse.pk}).status_code == 404


def test_api_hospital_user_is_403(client, sr, fuse):
    client.force_login(hospital_user(sr.hospital))
    assert client.get(api_url(sr)).status_code == 403
    assert post(client, api_url(sr), {"part_id": fuse.pk}).status_code == 403


def test_the_part_list_is_what_fits_the_device_and_what_else_is_in_my_bag(
    client, engineer, sr, bag, fuse
):
    """Not the whole catalogue on a phone: parts that fit the device first, then the other
    parts in my bag; a part that neither fits nor sits in my bag is not offered."""
    spare_tape = SparePartFactory(part_number="TAPE-1", name_zh="绝缘胶带")
    services.stock_receive(part=spare_tape, location=bag, quantity=2, user=None)
    SparePartFactory(part_number="FAR-1", name_zh="远处的备件")
    page = client.get(reverse("parts:repair_parts", args=[sr.pk]), headers=HTMX)
    content = page.content.decode()
    assert content.index("F-1") < content.index("TAPE-1")
    assert "FAR-1" not in content
