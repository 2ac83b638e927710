"""Lists that work on a phone (issue 12 §3), in a real browser (Debian's chromium).

At 390 px every list people use on a phone (requests, board, my jobs, devices, visits,
bag, statements) shows its rows as cards: nothing wider than the screen, each card's status
and nearest promise at its top without scrolling sideways, the primary actions at least
44 px tall. At 1366 px the tables are still tables. The live countdown words the time as
the server does ("超时 132 小时 4 分" / "132 h 4 min overdue") and moves on every minute.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.utils import timezone, translation

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from charges import services as charges
from charges import workflow as statement_workflow
from charges.tests.factories import resolved_request
from contracts.tests.factories import ContractFactory
from core.durations import countdown_words
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from maintenance.tests.factories import VisitFactory
from parts import services as parts
from parts.tests.factories import SparePartFactory, bag_of
from service import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = 390
# A real hospital's name is long: it must wrap by word, never one character a line.
HOSPITAL = "青岛大学附属医院西海岸院区（黄岛区人民医院）"
OVERDUE = dt.timedelta(hours=132, minutes=4, seconds=21)
ON_SITE = dt.timedelta(hours=4)  # the seed policy's on-site promise, around the clock


@dataclass(frozen=True)
class ListPage:
    url: str
    role: str  # who uses it: "dispatcher", "engineer" or "hospital"
    card: str  # the first card (row) of the list
    status: str | None  # inside the card: its state
    promise: str | None  # inside the card: its nearest deadline
    actions: tuple[str, ...]  # inside the card: the primary actions
    table: bool  # a table on a desktop


LISTS = {
    "requests": ListPage(
        "/service-requests/",
        "dispatcher",
        "#request-table tbody tr",
        "[data-status]",
        "[data-countdown]",
        ("a.card-link",),
        True,
    ),
    "board": ListPage(
        "/dispatch/",
        "dispatcher",
        "#board-table tbody tr",
        "[data-status]",
        "[data-countdown]",
        ("a.card-link", "details.assign summary"),
        True,
    ),
    "my_jobs": ListPage(
        "/my-jobs/",
        "engineer",
        "[data-job]",
        "[data-status]",
        "[data-countdown]",
        ("[data-step]", "a.card-link"),
        False,
    ),
    "devices": ListPage(
        "/devices/",
        "engineer",
        "table tbody tr",
        ".card-status .badge",
        None,
        ("a.card-link",),
        True,
    ),
    "visits": ListPage(
        "/visits/",
        "engineer",
        "[data-visit]",
        "[data-state]",
        ".card-promise",
        ("a.card-link",),
        True,
    ),
    "bag": ListPage(
        "/my-bag/", "engineer", "[data-bag-part]", "[data-free]", None, ("summary",), False
    ),
    "statements": ListPage(
        "/charges/", "hospital", "table tbody tr", ".card-status", None, ("a.card-link",), True
    ),
}


def demo_like_world() -> dict:
    """What a morning looks like: a long hospital name, requests long overdue and fresh, a
    visit, a bag with a part held for a job, a charge statement."""
    dispatcher = vendor_user(VendorRole.DISPATCHER, username="dispatcher")
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    hospital = HospitalFactory(name=HOSPITAL)
    department = DepartmentFactory(hospital=hospital, name="重症医学科（ICU）")
    device = DeviceFactory(
        department=department, serial_number="SN-2026-0000000001", location="3 号楼 5 层 12 床"
    )
    ContractFactory(hospital=hospital, devices=[device]).dedicated_engineers.set([engineer])
    now = timezone.now()
    requests = []
    for ago, severity in ((ON_SITE + OVERDUE, "normal"), (dt.timedelta(minutes=5), "emergency")):
        request = services.service_request_open(
            device=device,
            severity=severity,
            channel="hotline",
            description="呼吸机开机自检失败，报警“氧电池故障”，科室已改用备用机。",
            recorded_by=dispatcher,
            reported_at=now - ago,
            now=now,
        )
        request.engineers.add(engineer)
        requests.append(request)
    VisitFactory(device=device, due_on=timezone.localdate() - dt.timedelta(days=3)).engineers.set(
        [engineer]
    )
    bag = bag_of(engineer)
    part = SparePartFactory(part_number="O2-CELL-MAX250", name_zh="氧电池（MAX-250E）")
    parts.stock_receive(part=part, location=bag, quantity=3, user=None)
    parts.stock_reserve(part=part, location=bag, quantity=1, request=requests[0], user=engineer)
    # A hospital sees a statement only once the vendor's office has reviewed and sent it.
    manager = vendor_user(VendorRole.MANAGER, username="manager")
    statement = charges.charge_statement_draft(request=resolved_request(device, engineer=engineer))
    statement = statement_workflow.charge_statement_review(statement=statement, user=manager)
    statement_workflow.charge_statement_send(statement=statement, user=manager)
    return {
        "dispatcher": dispatcher,
        "engineer": engineer,
        "hospital": hospital_user(hospital, username="hospital"),
        "overdue": requests[0],
    }


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


# Every element drawn on the page (zero-sized and invisible ones aside) whose box reaches
# beyond the viewport on either side.
BEYOND_THE_VIEWPORT = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    if (getComputedStyle(element).visibility === "hidden") continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      out.push(`${element.tagName}.${element.className} ${box.left}..${box.right}`);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("name", list(LISTS))
def test_every_phone_list_is_cards_that_fit_390_px(name, phone_page):
    spec = LISTS[name]
    world = demo_like_world()
    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, world[spec.role])
    page.goto(spec.url)
    card = page.locator(spec.card).first
    card.wait_for()

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert page.evaluate(BEYOND_THE_VIEWPORT) == []
    assert page.evaluate("window.scrollX") == 0
    if spec.table:  # a card, not a row: the column headers are gone, the row is a box
        assert not page.locator("table thead").first.is_visible()
        assert card.evaluate("row => getComputedStyle(row).display") == "flex"
    top = card.bounding_box()
    assert top is not None
    for selector in (spec.status, spec.promise):
        if selector is None:
            continue
        box = card.locator(selector).first.bounding_box()
        assert box is not None, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE, selector
        # At the top of the card, above the long text and the other fields.
        assert box["y"] - top["y"] < 130, (selector, box, top)
    for selector in spec.actions:
        action = card.locator(selector).first
        box = action.bounding_box()
        assert box is not None, selector
        assert box["height"] >= 44, (selector, box)
    # The hospital's name wraps by word: its cell is as wide as the card, not one character.
    if name in ("requests", "board", "visits", "statements", "devices"):
        cell = card.locator(".cell-name").first
        assert cell.bounding_box()["width"] > PHONE / 2
    assert errors == []


@pytest.mark.parametrize("name", [name for name, spec in LISTS.items() if spec.table])
def test_a_desktop_still_shows_the_tables(name, _chromium, live_server):
    spec = LISTS[name]
    world = demo_like_world()
    context = _chromium.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    try:
        log_in(page, world[spec.role])
        page.goto(spec.url)
        row = page.locator(spec.card).first
        row.wait_for()
        assert page.locator("table thead").first.is_visible()
        assert row.evaluate("row => getComputedStyle(row).display") == "table-row"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    finally:
        context.close()


def _left(due: dt.datetime, *, ahead: float = 0) -> float:
    """Seconds left before ``due`` now (negative: overdue), on a clock ``ahead`` seconds on."""
    return (due - timezone.now()).total_seconds() - ahead


@pytest.mark.parametrize(("locale", "language"), [("zh-CN", "zh-hans"), ("en-US", "en")])
def test_the_live_countdown_words_the_time_as_the_server_does(
    locale, language, _chromium, live_server
):
    world = demo_like_world()
    overdue = world["overdue"]
    context = _chromium.new_context(
        viewport={"width": PHONE, "height": 844}, locale=locale, base_url=live_server.url
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.clock.install()
        log_in(page, world["dispatcher"])
        # The request list, not the board: the board reloads itself every 30 s and sets its
        # clock from the server again, which a fake minute in the browser would race.
        page.goto("/service-requests/")
        badge = page.locator(f'tr[data-request="{overdue.pk}"] [data-countdown]')
        due = dt.datetime.fromisoformat(badge.get_attribute("data-due-at"))
        text = badge.locator(".countdown-text")
        with translation.override(language):
            before = countdown_words(_left(due))
            shown = text.inner_text()  # written by the script as the page loaded
            after = countdown_words(_left(due))
            assert shown in {before, after}
            expected = {"zh-hans": r"超时 132 小时 \d+ 分", "en": r"132 h \d+ min overdue"}
            assert re.fullmatch(expected[language], shown), shown
            # The script's wording of any time, against the server's.
            for seconds in (-(132 * 3600 + 4 * 60 + 21), -59, 59 * 60 + 59, 4 * 3600, 3 * 3600 + 1):
                script = page.evaluate("ms => window.medserviceCountdownText(ms)", seconds * 1000)
                assert script == countdown_words(seconds), seconds
            # A minute on, the words move on by themselves (no reload).
            page.clock.run_for(60_000)
            before = countdown_words(_left(due, ahead=60))
            moved = text.inner_text()
            after = countdown_words(_left(due, ahead=60))
            assert moved != shown and moved in {before, after}, (shown, moved, before, after)
    finally:
        context.close()
    assert errors == []
