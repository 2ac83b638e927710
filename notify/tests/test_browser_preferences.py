"""The notification settings page in a real browser (issue 13 §2): a user ticks a channel
for a kind, saves, reloads and finds it kept; on a 390-px phone the page is cards, never
wider than the screen."""

from __future__ import annotations

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.tests.factories import HospitalFactory, hospital_user
from notify import selectors
from tests.test_browser_lists import BEYOND_THE_VIEWPORT, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("who", ["engineer", "hospital"])
def test_a_channel_ticked_for_a_kind_is_kept_after_a_reload(who, phone_page):
    user = (
        vendor_user(VendorRole.ENGINEER, username="eng", phone="13800138000")
        if who == "engineer"
        else hospital_user(HospitalFactory(name="青岛大学附属医院西海岸院区"), username="nurse")
    )
    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, user)
    page.goto("/notifications/settings/")
    table = page.locator("#preferences")
    table.wait_for()
    # On a phone: one card per kind, nothing wider than the screen, no sideways scroll.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(BEYOND_THE_VIEWPORT) == []
    assert not page.locator("#preferences thead").is_visible()

    row = page.locator("#preferences tbody tr").first
    name = row.locator("input[type=checkbox]").first.get_attribute("name") or ""
    kind = name.removeprefix("channels-")
    # E-mail is on by default; the WeCom robot is not.
    assert row.locator('input[value="email"]').is_checked()
    wecom = row.locator('input[value="wecom"]')
    assert not wecom.is_checked()
    wecom.check()
    page.locator("form:has(#preferences) button[type=submit]").click()
    page.wait_for_url("**/notifications/settings/")
    page.locator(".alert-success, .alert").first.wait_for()
    page.reload()
    row = page.locator("#preferences tbody tr").first
    assert row.locator('input[value="wecom"]').is_checked()
    assert row.locator('input[value="email"]').is_checked()
    assert not row.locator('input[value="sms"]').is_checked()
    saved = {r["kind"]: r["channels"] for r in selectors.preferences_of(user)}
    assert "wecom" in saved[kind] and "email" in saved[kind]

    # Unticked again, it stays unticked.
    row.locator('input[value="wecom"]').uncheck()
    page.locator("form:has(#preferences) button[type=submit]").click()
    page.wait_for_url("**/notifications/settings/")
    page.reload()
    first = page.locator("#preferences tbody tr").first
    assert not first.locator('input[value="wecom"]').is_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []
