"""A real browser (Debian's chromium, Playwright) at 390 px and 1366 px: the hotline agent
finds the caller by the phone number, the device by its Chinese model name, and opens the
request in one step; on a device with an open request the desk warns and the call is added
to that request instead (issue 13 §3)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from customers.tests.factories import ContactFactory, DepartmentFactory, HospitalFactory
from duty.models import Shift
from duty.tests.factories import ServiceRegionFactory
from service.hotline import services
from service.models import Call, ServiceEvent, ServiceRequest
from service.tests.test_browser_board import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [390, 1366]


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def page(request, _chromium, live_server):
    width = request.param
    context = _chromium.new_context(
        viewport={"width": width, "height": 900 if width > 400 else 844},
        locale="zh-CN",
        base_url=live_server.url,
        has_touch=width < 400,
    )
    page = context.new_page()
    page.width = width  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    yield page
    context.close()
    assert errors == []


def _world():
    hospital = HospitalFactory(name="青岛东海中心医院")
    icu = DepartmentFactory(hospital=hospital, name="重症医学科")
    nurse = ContactFactory(
        hospital=hospital, department=icu, name="王芳", title="护士长", phone="0532-8286 1234"
    )
    monitor = DeviceFactory(
        product_model=ProductModelFactory(name="QM-12 多参数监护仪"),
        department=icu,
        serial_number="QM12-0001",
    )
    DeviceFactory(
        product_model=ProductModelFactory(name="QP-3 输液泵"),
        department=icu,
        serial_number="QP3-0001",
    )
    agent = vendor_user(VendorRole.DISPATCHER, username="agent")
    return {"hospital": hospital, "icu": icu, "nurse": nurse, "monitor": monitor, "agent": agent}


def _find_caller_and_device(page, world) -> None:
    page.goto("/hotline/")
    page.locator("#id_phone").fill("+86 532 8286 1234")
    page.locator(f'[data-contact="{world["nurse"].pk}"]').wait_for()
    # The one contact fills in the caller, the hospital and the department.
    page.wait_for_function("() => document.querySelector('#id_caller_name').value === '王芳'")
    assert page.locator("#id_hospital").input_value() == str(world["hospital"].pk)
    assert page.locator("#id_department").input_value() == str(world["icu"].pk)
    page.locator("#id_q").fill("监护仪")
    choice = page.locator(f'#device-choices [data-device="{world["monitor"].pk}"]')
    choice.wait_for()
    # Narrowed to the caller's ICU and the model's Chinese name: the pump is not offered.
    assert page.locator("#device-choices [data-device]").count() == 1
    page.locator(f'[data-picked-device="{world["monitor"].pk}"]').wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.width


def test_the_agent_opens_a_request_from_a_call_in_one_step(page):
    world = _world()
    log_in(page, world["agent"])
    _find_caller_and_device(page, world)
    page.locator("#id_said").fill("监护仪无波形，报警灯常亮")
    page.locator("#id_guidance").fill("已指导检查导联线连接")
    open_button = page.locator('#call-form [data-action="open_request"]')
    if page.width < 400:
        assert open_button.bounding_box()["height"] >= 44
    with page.expect_navigation():
        open_button.click()
    page.wait_for_url(re.compile(r"/hotline/calls/\d+/$"))
    call = Call.objects.get()
    request = ServiceRequest.objects.get()
    assert call.request == request
    assert (call.caller_name, call.contact) == ("王芳", world["nurse"])
    assert (request.channel, request.reported_at) == ("hotline", call.started_at)
    assert request.description == "监护仪无波形，报警灯常亮"
    assert page.locator("[data-request-link]").inner_text() == request.number
    assert page.locator('[data-outcome="request_opened"]').is_visible()


def test_a_device_with_an_open_request_warns_and_the_call_is_added_to_it(page):
    world = _world()
    first = services.call_open_request(
        call=services.call_log(
            user=world["agent"], kind="fault", said="黑屏", device=world["monitor"]
        ),
        user=world["agent"],
    )
    log_in(page, world["agent"])
    _find_caller_and_device(page, world)
    warning = page.locator(f'#picked-device [data-open-request="{first.pk}"]')
    warning.wait_for()
    assert first.number in warning.inner_text()
    page.locator("#id_said").fill("仍然黑屏，科室催促")
    with page.expect_navigation():
        warning.locator('[data-action="add_to_request"]').click()
    page.wait_for_url(re.compile(r"/hotline/calls/\d+/$"))
    assert page.locator('[data-outcome="added_to_request"]').is_visible()
    assert ServiceRequest.objects.count() == 1
    call = Call.objects.latest("pk")
    assert call.request == first
    note = ServiceEvent.objects.get(request=first, type="call")
    assert "仍然黑屏" in note.data["note"]
    # The request's page shows the call on its timeline.
    page.goto(f"/service-requests/{first.pk}/")
    assert "仍然黑屏，科室催促" in page.locator("body").inner_text()


def test_the_desk_shows_who_is_on_duty_for_the_hospital_chosen(page):
    """Who is on duty now in the chosen hospital's region (the duty app's fragment): loaded
    when the phone lookup fills in the hospital and again when the agent picks another."""
    world = _world()
    on_duty = vendor_user(VendorRole.ENGINEER, username="zhang", first_name="伟", last_name="张")
    now = timezone.now()
    Shift.objects.create(
        region=world["hospital"].region,
        role="engineer",
        user=on_duty,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=11),
    )
    elsewhere = HospitalFactory(name="烟台毓璜顶医院", region=ServiceRegionFactory(name="烟台"))
    log_in(page, world["agent"])
    page.goto("/hotline/")
    panel = page.locator("#desk-on-duty")
    panel.locator("#on-duty-now").wait_for()
    assert str(on_duty) not in panel.inner_text()  # no hospital yet: a hint

    page.fill("#id_phone", "0532 8286 1234")  # the nurse's phone: her hospital is filled in
    page.locator(f'#on-duty-now[data-region="{world["hospital"].region_id}"]').wait_for()
    assert str(on_duty) in panel.inner_text()

    page.select_option("#id_hospital", str(elsewhere.pk))
    page.locator(f'#on-duty-now[data-region="{elsewhere.region_id}"]').wait_for()
    assert str(on_duty) not in panel.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.width
