"""The charge statement on a phone (390 px, zh-CN): the hospital accepts it (issue 5 §6);
the whole review, send, dispute, answer, accept round (issue 12 §4)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from charges.models import ChargeStatement
from charges.tests.factories import covered_device, resolved_request, sent_statement
from customers.tests.factories import hospital_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hospital_accepts_the_statement_on_a_phone(phone_page):
    request = resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)))
    sent_statement(request)
    admin = hospital_user(request.hospital, username="equipment-admin")
    page = phone_page
    page.goto("/accounts/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.goto(f"/service-requests/{request.pk}/charges/")
    assert page.locator("#statement-total").inner_text() == "570.00"
    assert "2025-01-01" in page.content()  # why: out of warranty since then
    page.click("form[action$='/charges/accept/'] button[type=submit]")
    page.wait_for_selector("[data-state=accepted]")
    statement = ChargeStatement.objects.get(request=request)
    assert statement.state == "accepted" and statement.accepted_by == admin
    assert page.locator("a[href$='/charges.pdf']").count() == 1


def _login(page, user) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_review_send_dispute_answer_accept_on_a_phone(phone_page):
    """Issue 12 §4 at 390 px: the manager reviews and sends; the hospital sees it and
    disputes with a reason; the manager sees the reason and answers; the hospital sees the
    answer and accepts."""
    request = resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)))
    manager = vendor_user(VendorRole.MANAGER, username="service-manager")
    admin = hospital_user(request.hospital, username="equipment-admin")
    statement_url = f"/service-requests/{request.pk}/charges/"
    page = phone_page

    _login(page, manager)
    page.goto(statement_url)
    page.click("form[action$='/charges/review/'] button[type=submit]")
    page.wait_for_selector("[data-state=reviewed]")
    page.click("form[action$='/charges/send/'] button[type=submit]")
    page.wait_for_selector("[data-state=sent]")

    _login(page, admin)
    page.goto("/charges/")
    page.click(f"a[href='{statement_url}']")
    page.wait_for_selector("[data-state=sent]")
    assert page.locator("#statement-total").inner_text() == "570.00"
    assert page.locator("tr[data-kind=labor] td").first.inner_text() == "人工"
    page.fill("#id_comment", "差旅只有一次，为何收两次？")
    page.click("form[action$='/charges/dispute/'] button[type=submit]")
    page.wait_for_selector("[data-state=disputed]")

    _login(page, manager)
    page.goto("/charges/?state=disputed")
    page.click(f"a[href='{statement_url}']")
    assert "差旅只有一次" in page.locator("#dispute-reason").inner_text()
    page.fill("#id_message", "工程师两次到场，详见维修记录。")
    page.click("form[action$='/charges/reply/'] button[type=submit]")
    page.wait_for_selector("[data-state=sent]")

    _login(page, admin)
    page.goto(statement_url)
    assert "工程师两次到场" in page.locator("#vendor-answer").inner_text()
    page.click("form[action$='/charges/accept/'] button[type=submit]")
    page.wait_for_selector("[data-state=accepted]")
    steps = page.locator("#statement-history [data-step]")
    assert [steps.nth(i).get_attribute("data-step") for i in range(steps.count())] == [
        "drafted",
        "reviewed",
        "sent",
        "disputed",
        "answered",
        "accepted",
    ]
    statement = ChargeStatement.objects.get(request=request)
    assert statement.state == "accepted" and statement.accepted_by == admin
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone
