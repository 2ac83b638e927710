"""The monthly return visit on a phone (390 px, Debian's chromium): the engineer fills in
the sheet with large toggles, raises a service request from a fault found, signs with the
mouse; the department's user signs with a finger; the sheet is frozen and its PDF archived
(R-7.1)."""

from __future__ import annotations

import re

import pytest

from customers.models import HospitalRole
from customers.services import service_organisation_update
from customers.tests.factories import HospitalFactory, hospital_user
from return_visits.models import ReturnVisit
from return_visits.services import return_visits_generate
from service.models import ServiceRequest

from .factories import department_with_devices, engineer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _login(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def _draw(page, canvas, *, finger: bool) -> None:
    canvas.scroll_into_view_if_needed()  # page coordinates are the viewport's
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    points = [(0.1 + 0.8 * i / 20, 0.5 + (0.3 if i % 4 < 2 else -0.3)) for i in range(21)]
    if not finger:
        page.mouse.move(x + w * points[0][0], y + h * points[0][1])
        page.mouse.down()
        for fx, fy in points[1:]:
            page.mouse.move(x + w * fx, y + h * fy, steps=4)
        page.mouse.up()
        return
    cdp = page.context.new_cdp_session(page)

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


def test_engineer_fills_the_sheet_on_a_phone_and_both_sides_sign(phone_page):
    service_organisation_update(name="青岛青盾医疗设备有限公司", hotline="400-800-1234")
    worker = engineer(username="eng", first_name="伟", last_name="张")
    hospital = HospitalFactory(name="青岛市市立医院")
    icu, devices = department_with_devices(hospital=hospital, name="重症医学科", engineers=[worker])
    nurse = hospital_user(
        hospital, HospitalRole.DEPARTMENT_USER, departments=[icu], username="nurse"
    )
    return_visits_generate(horizon_days=0)
    visit = ReturnVisit.objects.get(department=icu)
    page = phone_page

    _login(page, worker.username)
    page.goto(f"/return-visits/{visit.pk}/sheet/")
    # The department's head is proposed, every device starts as normal.
    assert page.input_value("#id_participants-0-name") == f"护士长 {icu.pk}"
    assert page.locator("input.btn-check[value=normal]:checked").count() == len(devices)
    # Fits the phone, with controls a finger can hit.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    toggle = page.locator('label[for="id_devices-1-state_1"]')
    assert toggle.bounding_box()["height"] >= 44
    toggle.click()  # needs attention
    page.fill("#id_devices-1-note", "报警音量偏低")
    page.fill("#id_training_given", "呼吸机日常清洁消毒培训")
    page.select_option("#id_findings-0-device", str(devices[0].pk))
    page.fill("#id_findings-0-description", "湿化器不加热")
    page.check("#id_findings-0-raise_request")
    page.click('label[for="id_satisfaction_1"]')  # 4
    page.fill("#id_comments", "服务及时")
    page.click("#sheet-save")
    page.wait_for_url(re.compile(rf"/return-visits/{visit.pk}/$"))

    visit.refresh_from_db()
    assert visit.satisfaction == 4 and visit.recorded_by == worker
    assert visit.device_checks.get(device=devices[1]).state == "attention"
    request = ServiceRequest.objects.get()
    assert request.channel == "visit" and visit.findings.get().request == request

    page.goto(f"/return-visits/{visit.pk}/sign/engineer/")
    _draw(page, page.locator("#signature-canvas"), finger=False)
    page.click("#sign-submit")
    page.wait_for_url(re.compile(rf"/return-visits/{visit.pk}/$"))

    _login(page, nurse.username)
    page.goto(f"/return-visits/{visit.pk}/sign/hospital/")
    page.fill("#id_signer_name", "李娜")
    _draw(page, page.locator("#signature-canvas"), finger=True)
    page.click("#sign-submit")
    page.wait_for_url(re.compile(rf"/return-visits/{visit.pk}/$"))
    assert page.locator(f'a[href="/return-visits/{visit.pk}/sheet.pdf"]').count() == 1

    visit.refresh_from_db()
    assert visit.state == "done" and visit.is_frozen and visit.pdf
    assert sorted(visit.signatures.values_list("role", "user_id")) == [
        ("engineer", worker.pk),
        ("hospital", nurse.pk),
    ]
