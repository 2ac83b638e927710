"""A real phone (390 px): a hospital's equipment administrator scans a device's QR label,
reads its archive, reports a fault from the page the label opened, and finds the request at
the top of the archive (issue 14 §1, R-7.6)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from service.models import ServiceRequest
from service.services import service_request_open, service_request_record_event
from service.tests.test_browser_board import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qr_scan_reads_the_archive_and_reports_a_fault_on_a_phone(phone_page):
    hospital = HospitalFactory(name="青岛市市立医院")
    icu = DepartmentFactory(hospital=hospital, name="重症医学科")
    device = DeviceFactory(department=icu, serial_number="SN-AR-0001")
    ContractFactory(hospital=hospital, devices=[device])
    admin = hospital_user(hospital, username="kezhang")
    earlier = service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="血氧探头接触不良",
        recorded_by=admin,
        reported_at=timezone.now() - dt.timedelta(days=40),
    )
    service_request_record_event(
        request=earlier,
        type="remote_resolved",
        occurred_at=earlier.reported_at + dt.timedelta(minutes=20),
        actor=None,
        now=earlier.reported_at + dt.timedelta(minutes=20),
    )
    page = phone_page
    log_in(page, admin)

    page.goto(f"/d/{device.public_id}/")  # what the label's QR code holds
    page.wait_for_url(f"**/devices/{device.pk}/")
    entries = page.locator("#archive-timeline .archive-entry")
    entries.first.wait_for()
    assert earlier.number in page.locator("#archive-timeline").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.click("#report-fault")
    page.wait_for_url(re.compile(r"/service-requests/new/\?device="))
    page.fill("textarea[name=description]", "开机后屏幕无显示")
    page.click("#intake-form button[type=submit]")
    page.wait_for_url(re.compile(r"/service-requests/\d+/$"))
    new = ServiceRequest.objects.exclude(pk=earlier.pk).get()
    assert new.device == device and new.description == "开机后屏幕无显示"

    page.goto(f"/devices/{device.pk}/")
    newest = page.locator("#archive-timeline .archive-entry").first
    newest.wait_for()
    assert new.number in newest.inner_text()  # newest first
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
