"""The roster in a real browser (Debian's chromium): "my shifts" on a 390-px phone (cards,
no sideways scroll, 44-px targets, a swap offered in two taps) and the roster grid at
1366 px with a night without a manager in red."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from customers.tests.factories import HospitalFactory
from duty.models import Shift, ShiftSwap

from .factories import ServiceRegionFactory, engineer, manager

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")
BEYOND_THE_VIEWPORT = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    if (getComputedStyle(element).visibility === "hidden") continue;
    if (box.right > width + 0.5 || box.left < -0.5) out.push(element.tagName);
  }
  return out;
}"""


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def _local_midnight(days: int):
    today = timezone.now().astimezone(SH).date() + timedelta(days=days)
    return datetime.combine(today, time.min, tzinfo=SH)


def test_my_shifts_on_a_phone_and_a_swap_offered(phone_page):
    region = ServiceRegionFactory(name="青岛市区（东海、城阳、崂山、黄岛及西海岸新区）")
    zhang = engineer(username="zhang", first_name="伟", last_name="张")
    chen = engineer(username="chen", first_name="磊", last_name="陈")
    for day in range(1, 5):
        start = _local_midnight(day) + timedelta(hours=8)
        Shift.objects.create(
            region=region,
            role="engineer",
            user=zhang,
            starts_at=start,
            ends_at=start + timedelta(hours=12),
            note="夜间请保持电话畅通，备件在城阳库房",
        )
    page = phone_page
    log_in(page, zhang)
    page.goto("/duty/mine/")
    cards = page.locator("[data-shift]")
    cards.first.wait_for()
    assert cards.count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(BEYOND_THE_VIEWPORT) == []
    button = cards.first.locator("[data-swap]")
    assert button.bounding_box()["height"] >= 44
    button.click()
    page.select_option("#id_to_user", str(chen.pk))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    submit = page.locator("#swap-submit")
    assert submit.bounding_box()["height"] >= 44
    submit.click()
    page.wait_for_url(re.compile(r"/duty/swaps/$"))
    swap = ShiftSwap.objects.get()
    assert (swap.proposed_by, swap.to_user, swap.state) == (zhang, chen, "proposed")
    assert page.locator(f'[data-swap-row="{swap.pk}"]').is_visible()


def test_the_roster_grid_at_1366_shows_a_night_without_manager_in_red(_chromium, live_server):
    region = ServiceRegionFactory(name="即墨")
    HospitalFactory(region=region)
    boss = manager(username="boss")
    other = manager(username="other")
    start = _local_midnight(1)
    Shift.objects.create(
        region=region,
        role="engineer",
        user=engineer(),
        starts_at=start - timedelta(days=2),
        ends_at=start + timedelta(days=6),
    )
    Shift.objects.create(
        region=region,
        role="manager",
        user=boss,
        starts_at=start - timedelta(days=2),
        ends_at=start + timedelta(hours=20),
    )
    Shift.objects.create(
        region=region,
        role="manager",
        user=other,
        starts_at=start + timedelta(days=1, hours=8),
        ends_at=start + timedelta(days=6),
    )
    context = _chromium.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    try:
        log_in(page, boss)
        day = start.date().isoformat()
        page.goto(f"/duty/?region={region.pk}&day={day}")
        grid = page.locator("#roster-grid")
        grid.wait_for()
        assert page.locator("#roster-grid thead").is_visible()
        night = page.locator(f'tr[data-day="{day}"]')
        gap = night.locator('[data-gap-role="manager"]')
        assert gap.is_visible()
        color = gap.evaluate("cell => getComputedStyle(cell).color")
        red, green, blue = (int(v) for v in re.findall(r"\d+", color)[:3])
        assert red > 150 and green < 100 and blue < 100, color  # the gap is written in red
        assert "20:00" in night.inner_text() and "无经理" in night.inner_text()
        assert page.locator("[data-gap-count]").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    finally:
        context.close()
