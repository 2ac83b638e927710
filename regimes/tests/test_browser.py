"""A real phone-sized browser (Debian's chromium, zh-CN): the hospital's equipment
administrator reads the regime page, records that a department received the current
version and lets the recipient sign on screen (R-7.5)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from customers.tests.factories import (
    ContactFactory,
    DepartmentFactory,
    HospitalFactory,
    hospital_user,
)
from regimes import services
from regimes.models import RegimeReceipt

from .factories import RegimeDocumentFactory, add_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def _draw(page, canvas) -> None:
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for fx, fy in ((0.25, 0.2), (0.4, 0.75), (0.55, 0.25), (0.7, 0.7), (0.9, 0.3)):
        page.mouse.move(x + w * fx, y + h * fy, steps=8)
    page.mouse.up()


def test_equipment_admin_records_a_signed_receipt_on_a_phone(phone_page):
    hospital = HospitalFactory(name="青岛市市立医院")
    head = ContactFactory(hospital=hospital, name="王主任")
    icu = DepartmentFactory(hospital=hospital, name="重症医学科", responsible_contact=head)
    head.department = icu
    head.save()
    document = RegimeDocumentFactory(hospital=hospital, title="设备巡检制度")
    add_version(document, timezone.localdate() - dt.timedelta(days=10))
    hospital_user(hospital, username="h-admin")
    page = phone_page

    page.goto("/accounts/login/")
    page.fill("#id_username", "h-admin")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))

    page.goto(f"/hospitals/{hospital.pk}/regime/")
    _fits_the_phone(page)
    # The department lacks the current version: its badge leads to the receipt form.
    page.click(f"[data-recipients=departments] a[href*='department={icu.pk}']")
    page.wait_for_url(re.compile(r"/receipts/new/"))
    _fits_the_phone(page)
    page.select_option("#id_recipient_contact", str(head.pk))
    _draw(page, page.locator("#signature-canvas"))
    page.click("#receipt-submit")
    page.wait_for_url(re.compile(rf"/regime-documents/{document.pk}/$"))

    receipt = RegimeReceipt.objects.get()
    assert (receipt.recipient_name, receipt.department, receipt.recipient_contact) == (
        "王主任",
        icu,
        head,
    )
    assert services.receipt_signature_matches(receipt)
    assert page.locator(f"img[src$='/regime-receipts/{receipt.pk}/signature/']").is_visible()
