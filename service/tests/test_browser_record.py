"""The engineer's phone (390 px, Debian's chromium): fill the repair record of a resolved
request, sign it with the mouse, let the customer sign with a finger (touch events), and
get a PDF that embeds a CJK font (R-3.5, R-3.6)."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from customers.services import service_organisation_update
from customers.tests.factories import DepartmentFactory, HospitalFactory
from service.models import RepairRecord, ServiceEvent, Signature
from service.services import service_request_open, service_request_record_event

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _resolved_request(engineer):
    hospital = HospitalFactory(name="青岛市市立医院")
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    device = DeviceFactory(
        department=department,
        product_model=ProductModelFactory(manufacturer="青盾", name="QD-V900 呼吸机"),
        serial_number="SN-PW-0001",
    )
    now = timezone.now()
    request = service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="呼吸机开机报警",
        recorded_by=engineer,
        reported_at=now - timedelta(hours=3),
    )
    request.engineers.add(engineer)
    for kind, hours in (("arrived", 2), ("resolved", 1)):
        at = now - timedelta(hours=hours)  # recorded as it happened
        service_request_record_event(
            request=request, type=kind, occurred_at=at, actor=engineer, now=at
        )
    return request


def _draw_with_mouse(page, canvas) -> None:
    canvas.scroll_into_view_if_needed()  # page coordinates are the viewport's
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for fx, fy in ((0.25, 0.2), (0.4, 0.75), (0.55, 0.25), (0.7, 0.7), (0.9, 0.3)):
        page.mouse.move(x + w * fx, y + h * fy, steps=8)
    page.mouse.up()


def _draw_with_finger(page, canvas) -> None:
    """A finger on a touch screen: raw touch events through the DevTools protocol."""
    canvas.scroll_into_view_if_needed()  # page coordinates are the viewport's
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    cdp = page.context.new_cdp_session(page)
    points = [(0.1 + 0.8 * i / 20, 0.5 + (0.3 if i % 4 < 2 else -0.3)) for i in range(21)]

    def touch(kind: str, fx: float, fy: float) -> None:
        cdp.send(
            "Input.dispatchTouchEvent",
            {
                "type": kind,
                "touchPoints": [] if kind == "touchEnd" else [{"x": x + w * fx, "y": y + h * fy}],
            },
        )

    touch("touchStart", *points[0])
    for fx, fy in points[1:]:
        touch("touchMove", fx, fy)
    touch("touchEnd", *points[-1])
    cdp.detach()


def test_engineer_fills_and_both_sign_on_a_phone_then_the_pdf_embeds_a_cjk_font(
    phone_page, tmp_path
):
    service_organisation_update(
        name="青岛青盾医疗设备有限公司", address="青岛市崂山区", hotline="400-800-1234"
    )
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    request = _resolved_request(engineer)
    page = phone_page

    page.goto("/accounts/login/")
    page.fill("#id_username", engineer.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))

    record_url = f"/service-requests/{request.pk}/record/"
    page.goto(record_url)
    page.fill("#id_state_before_fault", "运行正常")
    fault_at = timezone.localtime(timezone.now() - timedelta(hours=4))
    page.fill("#id_fault_at", fault_at.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_symptoms", "开机报警 E12，无法通气")
    page.fill("#id_checks_done", "检查运行记录、电源输入")
    page.fill("#id_diagnosis", "电源板损坏")
    page.fill("#id_solution", "更换电源板，试机正常")
    page.fill("#id_parts-0-name", "电源板")
    page.fill("#id_parts-0-serial_removed", "PS-001")
    page.fill("#id_parts-0-serial_fitted", "PS-777")
    page.fill("#id_labor_hours", "1.5")
    page.select_option("#id_fault_cause", "quality")
    # The form is stacked and fits the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("form.record-form button[type=submit]")
    page.wait_for_url(re.compile(rf"{record_url}$"))
    record = RepairRecord.objects.get(request=request)
    assert record.parts_replaced[0]["serial_fitted"] == "PS-777"

    # The engineer signs with the mouse.
    page.click("[data-sign=engineer]")
    page.wait_for_url(re.compile(r"/record/sign/\?role=engineer$"))
    canvas = page.locator("#signature-canvas")
    assert canvas.bounding_box()["width"] >= 300  # the whole width of the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # An empty box is refused in the page, before anything is sent.
    page.click("#sign-submit")
    assert page.locator("#signature-error").inner_text().strip()
    assert page.url.endswith("?role=engineer")
    _draw_with_mouse(page, canvas)
    page.click("#sign-submit")
    page.wait_for_url(re.compile(rf"{record_url}$"))
    assert Signature.objects.filter(record=record, role="engineer").count() == 1

    # The customer signs on the engineer's phone with a finger.
    page.click("[data-sign=hospital]")
    page.wait_for_url(re.compile(r"/record/sign/\?role=hospital$"))
    page.fill("#id_signer_name", "李护士")
    # Handed over: the page says so and asks the signer's position.
    assert page.locator("[data-handed-over]").is_visible()
    page.fill("#id_signer_role", "护士长")
    canvas = page.locator("#signature-canvas")
    _draw_with_finger(page, canvas)
    page.click("#sign-submit")
    page.wait_for_url(re.compile(rf"{record_url}$"))
    page.locator("[data-state=frozen]").wait_for()

    record.refresh_from_db()
    assert record.frozen_at is not None
    customer = Signature.objects.get(record=record, role="hospital")
    assert customer.signer_name == "李护士" and customer.user is None
    assert (customer.signer_role, customer.on_vendor_device) == ("护士长", True)
    assert ServiceEvent.objects.filter(request=request, type="customer_signed").exists()

    href = page.locator("[data-pdf]").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    path = tmp_path / "record.pdf"
    path.write_bytes(response.body())
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True)
    cjk = [line for line in fonts.stdout.splitlines() if "CJK" in line]
    assert cjk, fonts.stdout
    assert all(line.split()[-5] == "yes" for line in cjk), fonts.stdout
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    assert "客户维修记录表" in text.stdout
    assert request.number in text.stdout
    assert "李护士（护士长）" in text.stdout
    assert "在工程师的设备上签署" in text.stdout
