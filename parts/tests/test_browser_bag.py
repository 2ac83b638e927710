"""A real browser on a 390-px phone: an engineer opens the bag, issues a part to an open
request with large controls, and the bag shows one less (issue 5 §6 Playwright)."""

from __future__ import annotations

import re

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from parts import services
from parts.models import StockLevel, StockMovement

from .factories import SparePartFactory, bag_of, open_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_engineer_issues_a_part_from_the_bag_on_a_phone(phone_page):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    bag = bag_of(engineer)
    part = SparePartFactory(part_number="FUSE-5A", name_zh="保险丝")
    services.stock_receive(part=part, location=bag, quantity=3, user=None)
    job = open_request(DeviceFactory(), engineers=[engineer])
    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/accounts/login/")
    page.fill("#id_username", "eng")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    page.goto("/my-bag/")
    card = page.locator("[data-bag-part='FUSE-5A']")
    assert card.locator("[data-free]").inner_text() == "3"
    card.locator("summary").click()
    button = card.locator("[data-step=issue]")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 300  # thumb-sized
    card.locator("select[name=request]").select_option(str(job.pk))
    card.locator("input[name=quantity]").fill("2")
    button.click()
    page.wait_for_load_state()
    assert page.locator("[data-bag-part='FUSE-5A'] [data-free]").inner_text() == "1"
    assert job.number in page.content()
    assert StockLevel.objects.get(part=part, location=bag).on_hand == 1
    assert StockMovement.objects.filter(kind="issue", request=job).count() == 1
    # The page fits the phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []
