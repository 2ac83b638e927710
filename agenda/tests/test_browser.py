"""The calendar in a browser (issue 4 §5): a month grid on a desktop, a list of the days
with something on a 390-px phone, today marked on both."""

from __future__ import annotations

import re

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.timeutil import local_today
from customers.tests.factories import DepartmentFactory, HospitalFactory

from .factories import make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _engineer_with_a_visit_today():
    engineer = vendor_user(VendorRole.ENGINEER, username="eng-b", last_name="张", first_name="伟")
    department = DepartmentFactory(hospital=HospitalFactory(name="青岛市市立医院"), name="ICU")
    today = local_today("Asia/Shanghai")
    make_visit(due_on=today, department=department, engineers=[engineer], serial_number="SN-TODAY")
    return engineer, today


def _login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def test_on_a_phone_the_month_is_a_list(phone_page, tmp_path):
    engineer, today = _engineer_with_a_visit_today()
    _login(phone_page, engineer.username)
    phone_page.goto("/calendar/")
    assert not phone_page.locator("table.agenda-month").is_visible()
    day = phone_page.locator(f".agenda-list section[data-day='{today.isoformat()}']")
    assert day.is_visible()
    assert "SN-TODAY" in day.inner_text()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.screenshot(path=tmp_path / "month-phone.png", full_page=True)


def test_on_a_desktop_the_month_is_a_grid_with_today_marked(desktop_page, tmp_path):
    engineer, today = _engineer_with_a_visit_today()
    _login(desktop_page, engineer.username)
    desktop_page.goto("/calendar/")
    assert desktop_page.locator("table.agenda-month").is_visible()
    assert not desktop_page.locator(".agenda-list").is_visible()
    cell = desktop_page.locator("td[aria-current=date]")
    assert cell.get_attribute("data-day") == today.isoformat()
    assert "SN-TODAY" in cell.inner_text()
    desktop_page.screenshot(path=tmp_path / "month-desktop.png", full_page=True)
    desktop_page.goto(f"/calendar/week/?day={today.isoformat()}")
    assert (
        "SN-TODAY"
        in desktop_page.locator(
            f"td[data-day='{today.isoformat()}'][data-row=all-day]"
        ).inner_text()
    )
    desktop_page.screenshot(path=tmp_path / "week-desktop.png", full_page=True)
