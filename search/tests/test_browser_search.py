"""The navbar's search box in a real browser (Debian's chromium): on a 390-px phone, typing
"东海" shows suggestions grouped by kind under the box without sideways scrolling, Enter
opens the results page; at 1280 px the box sits in the navbar and a request number typed
there opens the request."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import User, VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from customers.tests.factories import DepartmentFactory, HospitalFactory
from service.services import service_request_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BEYOND_THE_VIEWPORT = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    if (getComputedStyle(element).visibility === "hidden") continue;
    if (box.right > width + 0.5 || box.left < -0.5) out.push(element.tagName);
  }
  return out;
}"""


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


@pytest.fixture
def world() -> tuple[User, str]:
    """An engineer, and the number of a request on a device of 东海市人民医院."""
    east = HospitalFactory(name="东海市人民医院")
    icu = DepartmentFactory(hospital=east, name="重症医学科")
    device = DeviceFactory(department=icu, serial_number="MR-2024-0001")
    user = vendor_user(VendorRole.ENGINEER, username="engineer")
    request = service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="监护仪黑屏，无法开机",
        reporter_name="王丽",
        recorded_by=user,
        reported_at=timezone.now() - dt.timedelta(hours=1),
    )
    return user, request.number


def test_typing_in_the_navbar_box_on_a_phone(phone_page, world):
    engineer, number = world
    page = phone_page
    log_in(page, engineer)
    page.click(".navbar-toggler")
    box = page.locator("#navbar-search-q")
    box.click()
    box.press_sequentially("东海", delay=50)
    suggestions = page.locator("#navbar-search-suggestions")
    suggestions.get_by_role("link", name="东海市人民医院", exact=True).wait_for()
    headings = suggestions.locator(".search-suggestion-kind").all_inner_texts()
    assert "医院" in headings and "设备" in headings  # grouped by kind, in Chinese
    assert page.evaluate(BEYOND_THE_VIEWPORT) == []
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    group = page.locator(".search-group[data-kind=hospital]")
    assert "东海市人民医院" in group.inner_text()
    assert page.evaluate(BEYOND_THE_VIEWPORT) == []
    # A suggestion is a link to its record.
    page.click(".navbar-toggler")
    box = page.locator("#navbar-search-q")
    box.fill("")
    box.press_sequentially("黑屏", delay=50)
    suggestions.get_by_role("link", name=re.compile(number)).click()
    page.wait_for_url(re.compile(r"/service-requests/\d+/$"))


def test_a_request_number_typed_on_a_desktop_opens_the_request(desktop_page, world):
    engineer, number = world
    page = desktop_page
    log_in(page, engineer)
    box = page.locator("#navbar-search-q")
    assert box.is_visible()  # no menu to open from 1200 px on
    box.press_sequentially("东海", delay=50)
    page.locator("#navbar-search-suggestions").get_by_role(
        "link", name="东海市人民医院", exact=True
    ).wait_for()
    assert page.evaluate(BEYOND_THE_VIEWPORT) == []
    box.fill(number.lower())
    box.press("Enter")
    page.wait_for_url(re.compile(r"/service-requests/\d+/$"))
    assert number in page.locator("h1").inner_text()
