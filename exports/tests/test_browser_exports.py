"""Downloading a list in a real browser (issue 14 §3, "done when"): the device list's Excel
button keeps the filters on the page, and the file opens with openpyxl; a big list goes
through the worker's page, whose link downloads the finished file."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from customers.tests.factories import DepartmentFactory, HospitalFactory
from tests.test_browser_lists import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _world():
    a = DepartmentFactory(hospital=HospitalFactory(name="青岛市立医院"), name="重症医学科")
    b = DepartmentFactory(hospital=HospitalFactory(name="其他医院"), name="ICU")
    for n in range(3):
        DeviceFactory(department=a, serial_number=f"QD-{n}")
    DeviceFactory(department=b, serial_number="OTHER-1")
    return a.hospital, vendor_user(VendorRole.DISPATCHER, username="dispatcher")


def _rows(download) -> list[tuple]:
    with open(download.path(), "rb") as file:  # Playwright's copy has no extension
        return list(load_workbook(file).active.iter_rows(values_only=True))


def test_the_excel_button_downloads_the_filtered_list(desktop_page, settings):
    hospital, user = _world()
    page = desktop_page
    log_in(page, user)
    page.goto(f"/devices/?hospital={hospital.pk}")
    with page.expect_download() as info:
        page.click('a[data-export="xlsx"]')
    download = info.value
    assert download.suggested_filename.startswith("devices-")
    rows = _rows(download)
    assert rows[0][:2] == ("医院", "科室")
    assert sorted(row[4] for row in rows[1:]) == ["QD-0", "QD-1", "QD-2"]
    assert {row[0] for row in rows[1:]} == {"青岛市立医院"}

    # Above the limit the worker writes it: the job's page, then its file.
    settings.EXPORT_INLINE_MAX_ROWS = 2
    page.click('a[data-export="xlsx"]')
    page.wait_for_url("**/exports/*/")
    link = page.locator("a[data-export-file]")
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    rows = _rows(info.value)
    assert sorted(row[4] for row in rows[1:]) == ["QD-0", "QD-1", "QD-2"]
