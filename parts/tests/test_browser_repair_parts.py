"""A real browser on a 390-px phone: the engineer records the parts used on the repair record
page, whose "parts used" panel loads and posts with htmx (issue 5 §2 Playwright): a consumable
from the bag, a main component replaced by a serial from the bag, and a double tap that
records once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import MainComponent
from assets.tests.factories import DeviceFactory, MainComponentFactory
from parts import services
from parts.models import StockLevel, StockMovement
from service.models import RepairRecord
from service.repair_records import services as records

from .factories import SparePartFactory, bag_of, open_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
THUMB = 44  # px: the smallest control an engineer taps on site


@pytest.fixture
def job():
    """An open request of the engineer, its repair record saved (unsigned), a fuse and a main
    board (serial NEW-1) in the engineer's bag, the device's installed board OLD-1."""
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    bag = bag_of(engineer)
    device = DeviceFactory()
    fuse = SparePartFactory(
        part_number="FUSE-5A", name_zh="保险丝", product_models=[device.product_model]
    )
    services.stock_receive(part=fuse, location=bag, quantity=5, user=None)
    board = SparePartFactory(
        part_number="MB-1",
        name_zh="主板",
        is_main_component=True,
        product_models=[device.product_model],
    )
    services.stock_receive(part=board, location=bag, quantity=1, user=None, serial="NEW-1")
    old = MainComponentFactory(device=device, name="主板", serial_number="OLD-1")
    request = open_request(device, engineers=[engineer])
    records.repair_record_save(request=request, author=engineer, symptoms="开机报警")
    return {"sr": request, "bag": bag, "fuse": fuse, "board": board, "old": old}


def open_panel(page, sr) -> list[str]:
    """Log in as the engineer, open the record page and wait for the htmx panel; the page
    errors are collected in the returned list."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # htmx reports its own mistakes (a selector matching nothing) on the console only.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "favicon" not in (m.location or {}).get("url", "")
            else None
        ),
    )
    page.goto("/accounts/login/")
    page.fill("#id_username", "eng")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    page.goto(reverse("records:record_edit", args=[sr.pk]))
    page.wait_for_selector("[data-repair-parts] form[data-use-part]", state="attached")
    return errors


def show_form(page) -> None:
    details = page.locator("[data-repair-parts] details")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def settled(page, action) -> None:
    """Do ``action`` and wait until htmx swapped its answer in and processed it (for 20 ms
    after a swap the new form is not htmx's yet: a tap then would post it natively)."""
    page.evaluate(
        "() => { window.settled = false; document.body.addEventListener("
        "'htmx:afterSettle', () => { window.settled = true; }, {once: true}); }"
    )
    action()
    page.wait_for_function("() => window.settled === true")  # a function: CSP forbids eval


def choose_part(page, part) -> None:
    """Choosing the part re-renders the panel (htmx GET) with that part's serials."""
    with page.expect_request(lambda r: "/parts-used/?" in r.url) as sent:
        settled(
            page,
            lambda: page.select_option("form[data-use-part] select[name=part]", str(part.pk)),
        )
    assert f"part={part.pk}" in sent.value.url
    assert "csrfmiddlewaretoken" not in sent.value.url  # a token in a URL ends up in logs


def submit(page, tap) -> None:
    """Tap the submit button (``tap`` does it) and wait for the panel's answer."""
    settled(page, tap)
    assert page.locator("[data-parts-success]").count() == 1


def assert_fits_the_phone(page) -> None:
    form = page.locator("form[data-use-part]")
    controls = form.locator("select, input:not([type=hidden]), button[type=submit]")
    assert controls.count() >= 7
    for index in range(controls.count()):
        control = controls.nth(index)
        box = control.bounding_box()
        name = control.get_attribute("name") or control.get_attribute("data-step")
        assert box is not None and box["height"] >= THUMB, (name, box)
    summary = page.locator("[data-repair-parts] details summary").bounding_box()
    assert summary is not None and summary["height"] >= THUMB
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def record_lines(sr) -> list[dict]:
    return RepairRecord.objects.get(request=sr).parts_replaced


def test_engineer_uses_a_consumable_from_the_bag(phone_page, job):
    sr, fuse, bag = job["sr"], job["fuse"], job["bag"]
    page = phone_page
    errors = open_panel(page, sr)
    assert page.locator("[data-issued-empty]").count() == 1
    show_form(page)
    assert_fits_the_phone(page)
    choose_part(page, fuse)
    page.fill("form[data-use-part] input[name=quantity]", "2")
    submit(page, lambda: page.click("[data-step=use-part]"))

    issued = page.locator("[data-issued-part='FUSE-5A']")
    assert "× 2" in issued.inner_text()
    assert issued.locator("[data-return]").count() == 1  # an unused one can be given back
    assert StockLevel.objects.get(part=fuse, location=bag).on_hand == 3
    line = {"name": "FUSE-5A 保险丝", "quantity": 2, "serial_removed": "", "serial_fitted": ""}
    assert record_lines(sr) == [line]
    # The record form's own parts lines were re-sent out of band: saving it keeps the line.
    values = page.locator("#record-parts-lines input[name^=parts-]").evaluate_all(
        "inputs => inputs.map(input => input.value)"
    )
    assert "FUSE-5A 保险丝" in values and "2" in values  # the name and its quantity
    assert page.locator("[data-parts]").count() == 1
    show_form(page)
    assert_fits_the_phone(page)
    # The re-sent formset's "Add a part" still adds exactly one row.
    total = page.locator("#record-parts-lines input[name=parts-TOTAL_FORMS]")
    rows = int(total.input_value())
    page.click("#record-parts-lines [data-parts-add]")
    assert int(total.input_value()) == rows + 1
    # Saving the record form afterwards keeps the line the panel added.
    with page.expect_navigation():
        page.click("form.record-form button[name=save]")
    assert record_lines(sr) == [line]
    assert errors == []


def test_engineer_replaces_the_main_component(phone_page, job):
    sr, board, old = job["sr"], job["board"], job["old"]
    page = phone_page
    errors = open_panel(page, sr)
    show_form(page)
    choose_part(page, board)
    form = page.locator("form[data-use-part]")
    form.locator("select[name=serial]").select_option("NEW-1")
    form.locator("select[name=removed_component]").select_option(str(old.pk))
    form.locator("select[name=removal_fate]").select_option("sent_for_repair")
    assert_fits_the_phone(page)
    submit(page, lambda: form.locator("[data-step=use-part]").click())
    assert "NEW-1" in page.locator("[data-issued-part='MB-1']").inner_text()

    fitted = MainComponent.objects.get(serial_number="NEW-1")
    assert fitted.replaces == old
    assert MainComponent.objects.get(pk=old.pk).removal_fate == "sent_for_repair"
    [line] = record_lines(sr)
    assert (line["serial_removed"], line["serial_fitted"]) == ("OLD-1", "NEW-1")

    page.goto(reverse("assets:device_detail", args=[sr.device_id]))
    fate = page.locator("[data-removal-fate=sent_for_repair]")
    assert fate.count() == 1
    assert "OLD-1" in fate.locator("xpath=..").inner_text()
    page.wait_for_selector("[data-own-warranty] [data-component='NEW-1']")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert errors == []


def test_a_double_tap_records_once(phone_page, job):
    sr, fuse, bag = job["sr"], job["fuse"], job["bag"]
    page = phone_page
    errors = open_panel(page, sr)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    show_form(page)
    choose_part(page, fuse)
    key = page.locator("form[data-use-part] input[name=idempotency_key]").input_value()
    assert key
    submit(page, lambda: page.dblclick("[data-step=use-part]"))
    page.wait_for_timeout(300)  # room for a second POST, were one sent (not a timing assert)
    assert StockMovement.objects.filter(kind="issue", request=sr).count() == 1
    assert len(record_lines(sr)) == 1
    assert StockLevel.objects.get(part=fuse, location=bag).on_hand == 4
    # Two taps in the same instant send it once too; the answer is a new form with a new key.
    show_form(page)
    new_key = page.locator("form[data-use-part] input[name=idempotency_key]").input_value()
    assert new_key and new_key != key
    choose_part(page, fuse)
    submit(
        page,
        lambda: page.evaluate(
            "() => { const b = document.querySelector('[data-step=use-part]');"
            " b.click(); b.click(); }"
        ),
    )
    page.wait_for_timeout(300)
    assert StockMovement.objects.filter(kind="issue", request=sr).count() == 2
    # The same part used twice is one line of the record with both (issue 12 §2).
    assert [line["quantity"] for line in record_lines(sr)] == [2]
    assert len(posts) == 2 and all(url.endswith("/parts-used/use/") for url in posts)
    assert errors == []
