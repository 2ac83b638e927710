"""A real browser under the Content-Security-Policy: the behaviours that were inline
scripts and handlers (now data attributes run by static/js/app.js) still work, and a
locked-out login says so. The page fixtures fail a test on any CSP violation
(conftest.py)."""

from __future__ import annotations

import re

import pytest

from accounts.models import ApiToken, VendorRole
from accounts.services import api_token_create
from accounts.tests.factories import UserFactory, vendor_user
from assets.tests.factories import DeviceFactory
from customers.tests.factories import HospitalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def _goto_under_policy(page, url: str):
    """Open ``url`` and check it is served under the policy: the behaviours below are
    tested where inline code would be refused."""
    response = page.goto(url)
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    return response


def test_every_page_states_its_policy(desktop_page):
    _goto_under_policy(desktop_page, "/accounts/login/")


def test_revoking_a_token_asks_first(desktop_page):
    user = vendor_user(VendorRole.ENGINEER, username="eng")
    token, _secret = api_token_create(user=user, name="HIS")
    page = desktop_page
    _login(page, "eng")
    _goto_under_policy(page, "/accounts/tokens/")

    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer)
    page.click("text=撤销")
    page.wait_for_timeout(300)
    assert questions and "HIS" in questions[0]
    token.refresh_from_db()
    assert token.revoked_at is None  # Cancel sent nothing

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("text=撤销")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.count() == 1


def test_select_all_ticks_every_device(desktop_page):
    user = vendor_user(VendorRole.MANAGER, username="boss")
    DeviceFactory.create_batch(3)
    page = desktop_page
    _login(page, user.username)
    _goto_under_policy(page, "/devices/")
    page.check("#select-all")
    boxes = page.locator(".device-check")
    assert boxes.count() == 3
    assert all(boxes.nth(i).is_checked() for i in range(3))
    page.uncheck("#select-all")
    assert not any(boxes.nth(i).is_checked() for i in range(3))


def test_a_new_feed_shows_only_the_chooser_of_the_kind_picked(desktop_page):
    vendor_user(VendorRole.MANAGER, username="boss")
    vendor_user(VendorRole.ENGINEER, username="eng")
    HospitalFactory()
    page = desktop_page
    _login(page, "boss")
    _goto_under_policy(page, "/calendar/feeds/new/")
    block = "xpath=ancestor::div[contains(@class,'mb-3')][1]"
    engineer_block = page.locator("#id_engineer").locator(block)
    hospital_block = page.locator("#id_hospital").locator(block)
    page.select_option("select[name=scope]", "engineer")
    assert engineer_block.is_visible() and not hospital_block.is_visible()
    page.select_option("select[name=scope]", "hospital")
    assert hospital_block.is_visible() and not engineer_block.is_visible()


def test_the_coverage_is_asked_for_the_report_time(desktop_page):
    vendor_user(VendorRole.DISPATCHER, username="hotline")
    device = DeviceFactory()
    page = desktop_page
    _login(page, "hotline")
    with page.expect_request(re.compile(r"/coverage")) as asked:
        _goto_under_policy(page, f"/service-requests/new/?device={device.pk}")
    reported_at = page.input_value("#id_reported_at")
    assert reported_at
    assert "at=" in asked.value.url
    page.locator("#coverage-panel .card-body").get_by_text(re.compile(".")).first.wait_for()


def test_a_locked_out_login_says_when_to_try_again(phone_page):
    UserFactory(username="alice", password="right-horse-battery")
    page = phone_page
    for n in range(10):
        page.goto("/accounts/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", f"guess-{n}")
        page.click("button[type=submit]")
        page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "登录已暂停"
    assert re.search(r"请在 \d\d:\d\d 之后（15 分钟后）再试。", page.content())
    page.click("text=通过电子邮件重置密码")
    page.wait_for_url(re.compile(r"/accounts/password/reset/$"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
