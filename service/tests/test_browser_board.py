"""A real browser (Debian's chromium, Playwright): an engineer on a 390-px phone works a
job from "my jobs" until every promise is kept, and the dispatch board's countdowns turn
red on their own when a deadline passes."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from customers.tests.factories import DepartmentFactory, HospitalFactory
from service import services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))  # home, not the login page


def a_device(engineer):
    hospital = HospitalFactory(name="青岛市市立医院")
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    device = DeviceFactory(department=department, serial_number="SN-PW-0001", location="3床")
    contract = ContractFactory(hospital=hospital, devices=[device])
    contract.dedicated_engineers.set([engineer])
    return device


def open_request(device, user, *, ago: dt.timedelta):
    return services.service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="屏幕无显示",
        recorded_by=user,
        reported_at=timezone.now() - ago,
    )


def test_engineer_on_a_phone_works_a_job_until_every_promise_is_kept(phone_page):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    agent = vendor_user(VendorRole.DISPATCHER, username="agent")
    request = open_request(a_device(engineer), agent, ago=dt.timedelta(minutes=10))
    page = phone_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, engineer)

    page.goto("/my-jobs/")
    card = page.locator(f'[data-job="{request.pk}"]')
    card.wait_for()
    assert "屏幕无显示" in card.inner_text()
    # Large, full-width buttons, and nothing wider than the phone.
    arrived = card.locator('[data-step="arrived"]')
    assert arrived.bounding_box()["width"] > 300
    assert arrived.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Before arrival there is nothing to resolve on site yet.
    assert card.locator('[data-step="resolved"]').count() == 0

    for step in ("arrived", "solution_proposed", "resolved"):
        with page.expect_navigation():
            card.locator(f'[data-step="{step}"]').tap()
        page.wait_for_url(re.compile(r"/my-jobs/$"))
        assert page.locator(".alert-success").count() == 1

    # Resolved: no step buttons left on the card.
    assert card.locator("[data-step]").count() == 0
    assert [e.type for e in request.events.order_by("occurred_at", "pk")] == [
        "arrived",
        "solution_proposed",
        "resolved",
    ]

    page.goto(f"/service-requests/{request.pk}/")
    for key in ("on_site", "solution", "resolved", "restored"):
        promise = page.locator(f'[data-milestone="{key}"]')
        assert promise.get_attribute("data-state") == "met", key
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The step form shows the pause reason for a pause only.
    reason = page.locator("#id_reason")
    assert not reason.is_visible()
    page.select_option("#id_type", "paused")
    assert reason.is_visible()
    assert errors == []


def test_dispatch_board_countdowns_turn_red_when_the_deadline_passes(desktop_page):
    manager = vendor_user(VendorRole.MANAGER, username="manager")
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    device = a_device(engineer)
    page = desktop_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, manager)

    calm = open_request(device, manager, ago=dt.timedelta(minutes=5))
    # The on-site promise (4 h) of this one runs out a few seconds from now.
    closing = open_request(device, manager, ago=dt.timedelta(hours=4) - dt.timedelta(seconds=10))
    page.goto("/dispatch/")
    closing_row = page.locator(f'tr[data-request="{closing.pk}"]')
    assert closing_row.get_attribute("class") == "table-warning"  # at risk, not yet due
    calm_text = page.locator(f'tr[data-request="{calm.pk}"] [data-countdown] .countdown-text')
    # In words, whole minutes (tests/test_browser_lists.py follows them minute by minute).
    assert re.fullmatch(r"剩余 3 小时 5\d 分", calm_text.inner_text())

    # Within seconds, well before the 30-s refresh: the script turns the row red by itself.
    page.wait_for_selector(f'tr[data-request="{closing.pk}"].table-danger', timeout=20000)
    assert closing_row.locator("[data-countdown] .countdown-text").inner_text() == "超时 0 分"
    assert closing_row.get_attribute("data-sla-level") == "breached"
    assert "table-danger" not in (
        page.locator(f'tr[data-request="{calm.pk}"]').get_attribute("class") or ""
    )
    assert errors == []
