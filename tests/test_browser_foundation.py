"""A real browser (Debian's chromium, Playwright) on a phone-sized screen: log in, register
a device by scanning its UDI, read its coverage (R-3.1, R-3.4)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import Device
from assets.tests.factories import ProductModelFactory
from contracts.coverage import term_last_day
from customers.tests.factories import DepartmentFactory, HospitalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GTIN = "06971234567895"


def test_engineer_registers_a_scanned_device_and_reads_its_coverage(phone_page):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    hospital = HospitalFactory(name="青岛市市立医院")
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    ProductModelFactory(manufacturer="青盾", name="QD-V900 呼吸机", gtin=GTIN)
    accepted = timezone.localdate() - dt.timedelta(days=30)
    page = phone_page

    page.goto("/accounts/login/")
    page.fill("#id_username", engineer.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))  # home, not the login page

    page.goto("/devices/new/")
    # A scanner types the UDI and presses Enter: the form must not submit half-filled.
    page.fill("#id_udi", f"(01){GTIN}(11)250101(21)SN-PW-0001")
    page.press("#id_udi", "Enter")
    assert page.url.endswith("/devices/new/")
    page.select_option("#id_hospital", str(hospital.pk))
    page.wait_for_function(
        f"() => document.querySelector('#id_department option[value=\"{department.pk}\"]') !== null"
    )
    page.select_option("#id_department", str(department.pk))
    page.fill("#id_installed_on", (accepted - dt.timedelta(days=3)).isoformat())
    page.fill("#id_accepted_on", accepted.isoformat())
    page.click("form button[type=submit].btn-primary")

    page.wait_for_url(re.compile(r"/devices/\d+/$"))  # not /devices/new/
    device = Device.objects.get()
    assert (device.serial_number, device.udi_di, device.product_model.gtin) == (
        "SN-PW-0001",
        GTIN,
        GTIN,
    )
    assert page.url.endswith(f"/devices/{device.pk}/")

    # The coverage block is loaded by htmx from the contracts app.
    badge = page.locator("[data-cover]")
    badge.wait_for()
    assert badge.get_attribute("data-cover") == "warranty"
    reason = page.locator(".coverage-reason").inner_text()
    last_day = term_last_day(accepted, 12)  # one year from acceptance
    assert last_day.isoformat() in reason
    # The page fits a 390-px phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
