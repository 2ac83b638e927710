"""The hospital accepts the charge statement on a phone (390 px, zh-CN; issue 5 §6)."""

from __future__ import annotations

import datetime as dt

import pytest

from charges.models import ChargeStatement
from charges.tests.factories import covered_device, resolved_request
from customers.tests.factories import hospital_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hospital_accepts_the_statement_on_a_phone(phone_page):
    request = resolved_request(covered_device(accepted_on=dt.date(2024, 1, 1)))
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
