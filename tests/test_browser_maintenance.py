"""A patrol on a phone (390 px, zh-CN, Debian's chromium; issue 4 §5, §7; R-2.4, R-4.1):
the engineer opens today's visits, fills in the checklist with an out-of-limit leakage
current, raises a service request found on the visit and lets the hospital sign later;
then a user of the department signs the visit on the signature pad."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from core.timeutil import local_today
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from maintenance.generation import visits_generate
from maintenance.models import Visit, VisitFinding, VisitState
from maintenance.services import plan_template_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_TAP = 44  # px: the smallest comfortable touch target


def _patrol_due_today(engineer):
    """A ventilator live since a month ago whose patrol (with a leakage-current reading,
    ≤ 100 µA) falls due about today, assigned to ``engineer``."""
    hospital = HospitalFactory(name="青岛市市立医院")
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    model = ProductModelFactory(manufacturer="青盾", name="QD-V900 呼吸机")
    plan_template_create(
        kind="patrol",
        product_model=model,
        checklist=[
            {"key": "appearance", "label": "外观及连接线检查", "type": "pass_fail"},
            {
                "key": "leakage_current",
                "label": "漏电流",
                "type": "number",
                "unit": "µA",
                "max": 100,
            },
        ],
    )
    today = local_today(hospital.time_zone)
    device = DeviceFactory(
        product_model=model,
        department=department,
        serial_number="SN-PW-0001",
        live_on=today - relativedelta(months=1),
    )
    visits_generate(today=today - dt.timedelta(days=10), horizon_days=30, devices=[device])
    visit = Visit.objects.get(
        device=device, main_kind="patrol", window_start__lte=today, window_end__gte=today
    )
    visit.engineers.add(engineer)
    return visit, department


def _login(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def _tall_enough(locator) -> None:
    box = locator.bounding_box()
    assert box is not None and box["height"] >= MIN_TAP, box


def _draw_with_mouse(page, canvas) -> None:
    canvas.scroll_into_view_if_needed()  # page coordinates are the viewport's
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for fx, fy in ((0.25, 0.2), (0.4, 0.75), (0.55, 0.25), (0.7, 0.7), (0.9, 0.3)):
        page.mouse.move(x + w * fx, y + h * fy, steps=8)
    page.mouse.up()


def test_engineer_completes_a_patrol_with_a_finding_and_the_department_signs(phone_page):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    visit, department = _patrol_due_today(engineer)
    nurse = hospital_user(
        visit.hospital,
        HospitalRole.DEPARTMENT_USER,
        departments=[department],
        username="icu-nurse",
        first_name="娜",
        last_name="李",
    )
    page = phone_page

    # (a) The engineer: today's visits, one trip, the patrol's checklist.
    _login(page, engineer.username)
    page.goto("/visits/today/")
    card = page.locator(f"[data-visit='{visit.pk}']")
    card.wait_for()
    _fits_the_phone(page)
    open_checklist = card.locator("[data-action=checklist]")
    _tall_enough(open_checklist)
    open_checklist.click()
    page.wait_for_url(re.compile(rf"/visits/{visit.pk}/checklist/$"))
    _fits_the_phone(page)

    appearance = page.locator("[data-item=appearance]")
    pass_button = appearance.locator("label[data-choice=pass]")
    _tall_enough(pass_button)
    _tall_enough(appearance.locator("label[data-choice=fail]"))
    pass_button.click()
    assert appearance.locator("input[value=pass]").is_checked()

    leakage = page.locator("[data-item=leakage_current]")
    reading = leakage.locator("input[inputmode=decimal]")
    _tall_enough(reading)
    raise_label = leakage.locator(".raise-request label")
    assert not raise_label.is_visible()  # nothing to raise while the reading is fine
    reading.fill("150")
    # Out of limits (≤ 100 µA): marked at once, and a request can be raised for it.
    assert "is-invalid" in (reading.get_attribute("class") or "")
    assert leakage.locator(".out-of-limits").is_visible()
    _tall_enough(raise_label)
    raise_label.click()
    assert leakage.locator("input[name=raise_requests_for]").is_checked()

    later = page.locator("label[data-sign-mode=later]")
    _tall_enough(later)
    later.click()
    assert not page.locator("#sign-now").is_visible()
    submit = page.locator("#complete-submit")
    _tall_enough(submit)
    _fits_the_phone(page)
    submit.click()
    page.wait_for_url(re.compile(rf"/visits/{visit.pk}/$"))

    visit.refresh_from_db()
    assert visit.state == VisitState.DONE and visit.content_hash == ""
    assert visit.results["leakage_current"] == {"value": 150, "ok": False, "note": ""}
    (finding,) = VisitFinding.objects.filter(visit=visit)
    request = finding.request
    assert (finding.item_key, request.channel, request.device_id) == (
        "leakage_current",
        "visit",
        visit.device_id,
    )
    link = page.locator(f"#findings [data-finding='{request.pk}']")
    assert link.inner_text().strip() == request.number
    assert page.locator("[data-signed=false]").is_visible()  # awaiting the signature
    _fits_the_phone(page)

    # (b) A user of the department opens the visit and signs it with the mouse.
    _login(page, nurse.username)
    page.goto(f"/visits/{visit.pk}/")
    sign = page.locator("a[data-action=sign]")
    _tall_enough(sign)
    sign.click()
    page.wait_for_url(re.compile(rf"/visits/{visit.pk}/sign/$"))
    _fits_the_phone(page)
    assert "150" in page.locator("#results [data-item=leakage_current]").inner_text()
    assert page.locator("#id_signer_name").input_value() == "李娜"
    _draw_with_mouse(page, page.locator("#signature-canvas"))
    save = page.locator("#sign-submit")
    _tall_enough(save)
    save.click()
    page.wait_for_url(re.compile(rf"/visits/{visit.pk}/$"))
    assert page.locator("[data-signed=true]").is_visible()

    visit.refresh_from_db()
    assert len(visit.content_hash) == 64
    assert visit.signer_name == "李娜" and visit.signed_at is not None
    assert visit.signature_image
