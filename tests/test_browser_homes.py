"""Each role's home in a real browser (issue 13 §4), at 390 px and 1366 px: nothing wider
than the screen, the primary action on the first screen, every target at least 44 px tall
on a phone; and the desktop menu, with the unread badge, laid out in one line from 1200 px.
"""

from __future__ import annotations

import pytest

from notify.services import notify_users
from tests.homes_world import home_world
from tests.test_browser_lists import BEYOND_THE_VIEWPORT, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = {
    "engineer": "engineer",
    "dispatcher": "hotline",
    "manager": "manager",
    "hospital": "hospital",
}
HEIGHT = {390: 844, 1200: 800, 1366: 900}
# What must be a comfortable target on a phone.
TARGETS = (
    "[data-primary-action], [data-panel-count], .home-row, [data-panel] .card-header a, [data-step]"
)


def _page(chromium, live_server, width: int, locale: str = "zh-CN"):
    context = chromium.new_context(
        viewport={"width": width, "height": HEIGHT[width]},
        locale=locale,
        base_url=live_server.url,
        has_touch=width < 768,
    )
    return context, context.new_page()


def _tell(user) -> None:
    notify_users(
        users=[user],
        kind="test",
        subject="新报修",
        body="",
        url="/",
        dedupe_key_prefix=f"home-test-{user.pk}",
    )


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("role", list(ROLES))
def test_each_home_fits_and_starts_with_its_work(role, width, _chromium, live_server):
    world = home_world()
    context, page = _page(_chromium, live_server, width)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, world[role])  # lands on the home
        assert page.locator(f'[data-home="{ROLES[role]}"]').count() == 1
        page.locator("[data-panel]").first.wait_for()

        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate(BEYOND_THE_VIEWPORT) == []
        primary = page.locator("[data-primary-action]")
        assert primary.count() == 1
        box = primary.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= HEIGHT[width], box  # above the fold
        for panel in page.locator("[data-panel]").all():
            assert panel.is_visible()
        if width == 390:
            small = []
            for target in page.locator(TARGETS).all():
                target_box = target.bounding_box()
                if target_box is not None and target_box["height"] < 44:
                    small.append((target.evaluate("e => e.outerHTML.slice(0, 120)"), target_box))
            assert small == []
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("width", [1200, 1366])
@pytest.mark.parametrize("role", list(ROLES))
def test_the_desktop_menu_fits_on_one_line_with_the_unread_badge(
    role, width, locale, _chromium, live_server
):
    world = home_world()
    _tell(world[role])
    context, page = _page(_chromium, live_server, width, locale)
    try:
        log_in(page, world[role])
        assert not page.locator(".navbar-toggler").is_visible()
        assert page.locator("#mainnav").is_visible()
        badge = page.locator(".navbar .badge")
        assert badge.is_visible()
        badge_box = badge.bounding_box()
        assert badge_box is not None and badge_box["x"] + badge_box["width"] <= width
        # Every item of the menu on one line, none cut off, no label wrapped.
        tops = set()
        for item in page.locator("#mainnav .nav-link:visible, #mainnav form:visible").all():
            item_box = item.bounding_box()
            assert item_box is not None
            assert item_box["x"] >= 0 and item_box["x"] + item_box["width"] <= width, item_box
            tops.add(round(item_box["y"] + item_box["height"] / 2))
        assert max(tops) - min(tops) <= 4, tops
        for link in page.locator("#mainnav .nav-link:visible").all():
            # One line of text: no taller than a line and its padding.
            assert link.bounding_box()["height"] < 48
        navbar = page.locator("nav.navbar .container-fluid")
        assert navbar.evaluate("e => e.scrollWidth <= e.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_the_hotline_home_shows_todays_calls_and_requests_without_an_engineer(
    width, _chromium, live_server
):
    """The hotline's panels: today's calls (the open one marked) and the open requests
    nobody has been sent to; each count opens the list of exactly those rows, and the calls
    list is cards on a phone, a table on a desktop, never wider than the screen."""
    world = home_world()
    context, page = _page(_chromium, live_server, width)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        log_in(page, world["dispatcher"])
        calls = page.locator('[data-panel="calls_today"]')
        unassigned = page.locator('[data-panel="unassigned"]')
        for panel in (calls, unassigned):
            panel.wait_for()
            assert panel.is_visible()
        assert calls.locator("[data-call]").count() == 2
        assert (
            calls.locator(f'[data-call="{world["fault_call"].pk}"] [data-outcome="open"]').count()
            == 1
        )
        assert unassigned.locator(f'[data-request="{world["unassigned"].pk}"]').count() == 1
        count = page.locator('[data-panel-count="calls_today"] [data-count-value]')
        assert count.inner_text() == "2"
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.locator('[data-panel-count="calls_today"]').click()
        page.wait_for_url("**/hotline/calls/?day=*")
        rows = page.locator("#call-table tbody tr[data-call]")
        assert rows.count() == 2
        assert page.locator("[data-call-count]").get_attribute("data-call-count") == "2"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate(BEYOND_THE_VIEWPORT) == []
        display = rows.first.evaluate("row => getComputedStyle(row).display")
        if width == 390:  # a card: headers gone, the time and link on top, 44 px to tap
            assert not page.locator("#call-table thead").is_visible()
            assert display == "flex"
            link = rows.first.locator("a.card-link").bounding_box()
            assert link is not None and link["height"] >= 44
        else:
            assert page.locator("#call-table thead").is_visible()
            assert display == "table-row"

        page.go_back()
        page.locator('[data-panel-count="unassigned"]').click()
        page.wait_for_url("**/service-requests/?*")
        assert page.locator("#request-table tbody tr[data-request]").count() == 1
        assert violations == []
    finally:
        context.close()
