"""The rotation templates page in a real browser (Debian's chromium): a service manager
creates a rotation on a 390-px phone and at 1366 px (slots, people in order), sees a bad
duration refused in the form, generates 60 days ahead from the list, and finds the shifts
on the roster. Nothing is wider than the screen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.timeutil import local_today
from customers.tests.factories import HospitalFactory
from duty.models import Rotation, Shift

from .factories import ServiceRegionFactory, engineer, manager
from .test_browser_roster import BEYOND_THE_VIEWPORT, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1366])
def test_a_manager_builds_a_rotation_and_generates_it(width, _chromium, live_server):
    region = ServiceRegionFactory(name="青岛市区（东海、城阳、崂山、黄岛及西海岸新区）")
    HospitalFactory(region=region, name="东海医院")
    boss = manager(username="boss", first_name="芳", last_name="王")
    zhang = engineer(username="zhang", first_name="伟", last_name="张")
    chen = engineer(username="chen", first_name="磊", last_name="陈")
    context = _chromium.new_context(
        viewport={"width": width, "height": 900 if width > 390 else 844},
        locale="zh-CN",
        base_url=live_server.url,
        has_touch=width < 768,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, boss)
        page.goto("/duty/")
        page.locator("[data-rotations-link]").click()
        page.wait_for_url("**/duty/rotations/")
        page.locator("[data-new-rotation]").click()
        page.wait_for_url("**/duty/rotations/new/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.fill("#id_name", "市区 24 小时")
        page.select_option("#id_region", str(region.pk))
        page.fill("#id_starts_on", "2026-03-02")
        page.select_option("#id_period", "1")
        page.check("#id_active")
        page.select_option("#id_slots-0-role", "engineer")
        page.fill("#id_slots-0-start_time", "08:00")
        page.fill("#id_slots-0-hours", "500")  # refused: a shift lasts at most 168 hours
        page.select_option("#id_engineer-0-user", str(chen.pk))
        page.select_option("#id_engineer-1-user", str(zhang.pk))
        page.locator("[data-save-rotation]").click()
        page.locator(
            "#id_slots-0-hours.is-invalid, #id_slots-0-hours + .invalid-feedback"
        ).first.wait_for()
        assert "168" in page.locator("[data-slot-row='1']").inner_text()
        assert not Rotation.objects.exists()
        # The form kept what was typed; the duration corrected, it saves.
        assert page.input_value("#id_name") == "市区 24 小时"
        page.fill("#id_slots-0-hours", "24")
        page.locator("[data-save-rotation]").click()
        page.wait_for_url("**/duty/rotations/#rotation-*")
        rotation = Rotation.objects.get()
        row = page.locator(f'[data-rotation="{rotation.pk}"]')
        assert f"1. {chen}" in row.inner_text() and f"2. {zhang}" in row.inner_text()
        assert [m.user_id for m in rotation.members.order_by("position")] == [chen.pk, zhang.pk]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate(BEYOND_THE_VIEWPORT) == []
        if width == 390:
            assert not row.locator("xpath=ancestor::table//thead").is_visible()
            button = row.locator(f'[data-generate="{rotation.pk}"]').bounding_box()
            assert button is not None and button["height"] >= 44

        row.locator(f'[data-generate="{rotation.pk}"]').click()
        page.wait_for_url("**/duty/rotations/#rotation-*")
        page.locator(".alert-success").first.wait_for()
        assert Shift.objects.filter(slot__rotation=rotation).count() == 60
        # Next week on the roster: one 24-hour shift a day, the two engineers in turn.
        next_week = local_today("Asia/Shanghai") + timedelta(days=7)
        page.goto(f"/duty/?region={region.pk}&day={next_week:%Y-%m-%d}")
        days = page.locator("#roster-grid tbody tr[data-day]")
        assert days.count() == 7
        for day in days.all():
            assert day.locator("[data-shift]").count() >= 1
        assert page.locator("#roster-grid [data-gap-role='engineer']").count() == 0
        assert errors == []
    finally:
        context.close()
