"""Patient safety first on a phone (390 px, zh-CN, Debian's chromium; issue 12 §1): the
engineer fails the self-test (a safety item) of a patrol; completing it with neither a
service request nor a note is refused next to the item, nothing saved; raising the request
completes it, and the device's page (where its QR label lands) shows the red out-of-use
banner; the home page and the device list show it too."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import Device
from assets.tests.factories import DeviceFactory, ProductModelFactory
from core.timeutil import local_today
from customers.tests.factories import DepartmentFactory, HospitalFactory
from maintenance.generation import visits_generate
from maintenance.models import Visit, VisitState
from maintenance.services import plan_template_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _patrol_due_today(engineer) -> Visit:
    hospital = HospitalFactory(name="青岛市市立医院")
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    model = ProductModelFactory(manufacturer="青盾", name="QD-V900 呼吸机")
    plan_template_create(
        kind="patrol",
        product_model=model,
        checklist=[
            {"key": "appearance", "label": "外观及连接线检查", "type": "pass_fail"},
            {"key": "self_test", "label": "开机自检", "type": "pass_fail", "safety": True},
        ],
    )
    today = local_today(hospital.time_zone)
    device = DeviceFactory(
        product_model=model,
        department=department,
        serial_number="SN-SAFE-0001",
        live_on=today - relativedelta(months=1),
    )
    visits_generate(today=today - dt.timedelta(days=10), horizon_days=30, devices=[device])
    visit = Visit.objects.get(
        device=device, main_kind="patrol", window_start__lte=today, window_end__gte=today
    )
    visit.engineers.add(engineer)
    return visit


def _login(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_a_failed_safety_item_puts_the_device_out_of_use(phone_page):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    visit = _patrol_due_today(engineer)
    page = phone_page
    _login(page, engineer.username)
    page.goto(f"/visits/{visit.pk}/checklist/")
    page.locator("[data-item=appearance] label[data-choice=pass]").click()
    self_test = page.locator("[data-item=self_test]")
    assert self_test.locator("[data-safety-item]").is_visible()
    self_test.locator("label[data-choice=fail]").click()
    assert self_test.locator(".failed-hint").is_visible()  # request or note, and 停用
    page.locator("label[data-sign-mode=later]").click()

    # Neither a request nor a note: refused next to the item, nothing saved.
    with page.expect_navigation():
        page.locator("#complete-submit").click()
    assert "开机自检" in self_test.locator(".invalid-feedback").inner_text()
    assert self_test.locator("input[value=fail]").is_checked()  # the answers come back
    _fits_the_phone(page)
    assert Visit.objects.get(pk=visit.pk).state == VisitState.PLANNED

    # Raise the request: done, and the device is out of use.
    self_test.locator(".raise-request label").click()
    page.locator("#complete-submit").click()
    page.wait_for_url(re.compile(rf"/visits/{visit.pk}/$"))
    assert "设备已停用" in page.locator(".alert-warning").first.inner_text()
    assert Visit.objects.get(pk=visit.pk).state == VisitState.DONE
    device = Device.objects.get(pk=visit.device_id)
    assert device.out_of_use_since is not None

    page.goto(f"/d/{device.public_id}/")  # where the QR label lands
    page.wait_for_url(re.compile(rf"/devices/{device.pk}/$"))
    banner = page.locator("#out-of-use")
    assert banner.is_visible()
    text = banner.inner_text()
    assert "已停用" in text and "开机自检" in text
    box = banner.bounding_box()
    assert box is not None and box["y"] < 844  # on the first screen
    assert banner.locator("[data-action=clear-out-of-use]").is_visible()
    _fits_the_phone(page)

    page.goto("/")
    assert "1 台设备因安全检查不合格已停用" in page.locator("[data-out-of-use-count]").inner_text()
    page.goto("/devices/?out_of_use=true")
    assert page.locator("[data-out-of-use-badge]").first.is_visible()
    _fits_the_phone(page)
