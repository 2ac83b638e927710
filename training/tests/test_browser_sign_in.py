"""The sign-in page on a phone (390 px, Debian's chromium): attendees sign in one after the
other with a finger, the page stays for the next one, and a second submit of the same
name is refused with a message (R-2.1)."""

from __future__ import annotations

import re

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.tests.factories import HospitalFactory
from training.models import Attendance

from .factories import department_of, make_plan, make_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _draw_with_finger(page, canvas, wave: float = 0.3) -> None:
    """A finger on a touch screen: raw touch events through the DevTools protocol."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    cdp = page.context.new_cdp_session(page)
    points = [(0.1 + 0.8 * i / 20, 0.5 + (wave if i % 4 < 2 else -wave)) for i in range(21)]

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


def test_attendees_sign_in_one_after_the_other_on_a_phone(phone_page):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    plan = make_plan(hospital=HospitalFactory(name="青岛市市立医院"))
    session = make_session(plan=plan, lecturer=engineer)
    icu = department_of(session, "重症医学科")
    page = phone_page

    page.goto("/accounts/login/")
    page.fill("#id_username", engineer.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))

    sign_url = f"/training/sessions/{session.pk}/sign-in/"
    page.goto(sign_url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Large controls for fingers.
    for selector in ("#id_name", "#id_department", "#id_role", "#sign-in-submit"):
        assert page.locator(selector).bounding_box()["height"] >= 44, selector
    canvas = page.locator("#signature-canvas")
    assert canvas.bounding_box()["width"] >= 300

    # An empty box is refused in the page, before anything is sent.
    page.fill("#id_name", "王芳")
    page.click("#sign-in-submit")
    assert page.locator("#signature-error").inner_text().strip()
    assert not Attendance.objects.exists()

    for name, role in (("王芳", "护士长"), ("刘建华", "主治医师")):
        page.fill("#id_name", name)
        page.select_option("#id_department", str(icu.pk))
        page.fill("#id_role", role)
        _draw_with_finger(page, page.locator("#signature-canvas"))
        page.click("#sign-in-submit")
        page.wait_for_url(re.compile(rf"{sign_url}$"))
        # Back on the page, empty, ready for the next attendee.
        page.locator(".alert-success").wait_for()
        assert name in page.locator(".alert-success").inner_text()
        assert page.input_value("#id_name") == ""
    assert list(Attendance.objects.order_by("pk").values_list("name", flat=True)) == [
        "王芳",
        "刘建华",
    ]

    # The same person again (a second tap, another phone): refused, with the name.
    page.fill("#id_name", "王芳")
    page.select_option("#id_department", str(icu.pk))
    _draw_with_finger(page, page.locator("#signature-canvas"), wave=0.2)
    page.click("#sign-in-submit")
    page.locator("#sign-in-errors").wait_for()
    assert "王芳" in page.locator("#sign-in-errors").inner_text()
    assert Attendance.objects.count() == 2
