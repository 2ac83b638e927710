"""A real phone (390 px): a nurse scans the device's QR label, records an abnormal
start-up check in a few taps and follows the fault report it offers, pre-filled (issue 14
§1)."""

from __future__ import annotations

import re

import pytest

from assets.models import OperationLogEntry
from assets.tests.factories import DeviceFactory
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qr_scan_abnormal_startup_check_then_the_prefilled_fault_report(phone_page):
    hospital = HospitalFactory(name="青岛市市立医院")
    icu = DepartmentFactory(hospital=hospital, name="重症医学科")
    device = DeviceFactory(department=icu, serial_number="SN-OP-0001")
    hospital_user(hospital, HospitalRole.DEPARTMENT_USER, departments=[icu], username="nurse")
    page = phone_page
    page.goto("/accounts/login/")
    page.fill("#id_username", "nurse")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))

    page.goto(f"/d/{device.public_id}/")  # what the label's QR code holds
    page.wait_for_url(f"**/devices/{device.pk}/")
    record = page.locator("#record-operation")
    assert page.locator("#report-fault").is_visible() and record.is_visible()
    assert record.bounding_box()["width"] > 300  # a full-width button on the phone
    record.click()
    page.click("a[href$='?kind=startup_check']")
    page.click("label[for='id_result_1']")  # 异常 (abnormal)
    page.fill("#id_note", "开机自检报错 E12")
    page.click("#operation-log-submit")
    page.wait_for_selector("#fault-report-offer")
    assert OperationLogEntry.objects.get().is_abnormal

    page.click("#fault-report-link")
    page.wait_for_url(re.compile(r"/service-requests/new/\?device="))
    assert page.input_value("textarea[name=description]").endswith("开机自检报错 E12")
    assert page.input_value("input[name=device]") == str(device.pk)
