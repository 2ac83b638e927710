"""A real browser (Debian's chromium, Playwright): the service manager reads the key figures
on a 390-px phone (no sideways scrolling, the tables stacked as cards) and follows a figure
to the requests behind it; on a desktop a bar of the chart leads there too."""

import re

import pytest

from kpis.tests.world import KpiWorld

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

WINDOW = "?from=2026-03-01&to=2026-04-30"


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))  # home, not the login page


def test_manager_on_a_phone_follows_a_broken_promise_to_its_requests(phone_page):
    world = KpiWorld()
    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, world.manager)

    page.goto(f"/kpis/{WINDOW}")
    assert page.locator("h1").inner_text() == "关键指标"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#on-time svg").count() == 4  # one chart per promise counted
    row = page.locator('#on-time-table tr[data-group="2026-03"][data-promise="solution"]')
    # R1, R2 and 乙's R7 in time; R3 (its repair voided by the reopening) and R5 (across
    # the month's end) late: 3 of 5.
    assert row.locator('[data-col="rate"]').inner_text() == "60.0 %"
    with page.expect_navigation():
        row.locator('[data-col="breached"] a').tap()
    assert "promise=solution.breached" in page.url
    numbers = page.locator("#request-table tbody tr").all_inner_texts()
    assert len(numbers) == 2
    assert any(world.r3.number in text for text in numbers)
    assert any(world.r5.number in text for text in numbers)
    # The list opens its "more filters" with the figure's filter chosen.
    assert page.locator("#more-filters").get_attribute("open") is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not errors


def test_a_bar_of_the_chart_leads_to_the_promises_kept(desktop_page):
    world = KpiWorld()
    page = desktop_page
    log_in(page, world.manager)
    page.goto(f"/kpis/{WINDOW}")
    # The first chart is "on site"; its first bar is March: R1, R2, R3 and 乙's R7 in time.
    bar = page.locator("#on-time svg").first.locator("a").first
    assert bar.get_attribute("aria-label") == "2026-03: 80.0 %"
    with page.expect_navigation():
        bar.click()
    assert "promise=on_site.met" in page.url
    assert page.locator("#request-table tbody tr").count() == 4
