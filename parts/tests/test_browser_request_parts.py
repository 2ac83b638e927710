"""A real browser: the manager records the dispatch on the request page, the request's
"Spare parts" card then shows the part that the symptom calls for held in the engineer's bag
(reserved after the dispatch committed), and "Unreserve" gives it back with htmx (issue 5 §1
Playwright)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from parts import services
from parts.models import StockLevel
from parts.selectors import reserved_lines
from service.models import ServiceRequest

from .factories import SparePartFactory, bag_of, open_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dispatch_reserves_the_symptom_part_and_unreserve_releases_it(desktop_page):
    manager = vendor_user(VendorRole.MANAGER, username="boss")
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    bag = bag_of(engineer)
    device = DeviceFactory()
    part = SparePartFactory(
        part_number="LCD-1",
        name_zh="液晶屏",
        symptom_keywords="黑屏, no display",
        product_models=[device.product_model],
    )
    services.stock_receive(part=part, location=bag, quantity=2, user=None)
    job = open_request(device)
    # Reported a minute ago, to the second as the intake form sends it: the step form's "When"
    # is prefilled to the second, which may be before a report time with microseconds.
    reported = (timezone.now() - dt.timedelta(minutes=1)).replace(microsecond=0)
    ServiceRequest.objects.filter(pk=job.pk).update(description="开机后黑屏", reported_at=reported)

    page = desktop_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/accounts/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    page.goto(reverse("service:request_detail", args=[job.pk]))
    page.wait_for_selector("[data-request-parts]")
    assert page.locator("[data-reserved]").count() == 0
    assert page.locator("[data-proposal='LCD-1'] [data-keyword]").count() == 1

    form = page.locator("#event-form")
    form.locator("select[name=type]").select_option("dispatched")
    form.locator(f"input[name=engineers][value='{engineer.pk}']").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url.rstrip("/").endswith(
        reverse("service:request_detail", args=[job.pk]).rstrip("/")
    )

    held = page.locator("#request-parts [data-reserved='LCD-1']")
    held.wait_for()
    assert bag.name in held.inner_text()
    assert [(line.part, line.location, line.quantity) for line in reserved_lines(job)] == [
        (part, bag, 1)
    ]
    assert StockLevel.objects.get(part=part, location=bag).reserved == 1

    with page.expect_response(lambda r: r.url.endswith("/unreserve/")) as answer:
        held.locator("[data-step=unreserve]").click()
    assert answer.value.status == 200
    page.wait_for_selector("#request-parts [data-reserved='LCD-1']", state="detached")
    assert page.locator("#request-parts [data-request-parts]").count() == 1  # swapped in place
    assert "/unreserve/" not in page.url  # htmx, no page load
    assert reserved_lines(job) == []
    assert StockLevel.objects.get(part=part, location=bag).reserved == 0

    # A double tap on "Reserve" (data-once + htmx) holds one unit, not two.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    with page.expect_response(lambda r: r.url.endswith("/reserve/")):
        page.locator("[data-proposal='LCD-1'] [data-step=reserve]").dblclick()
    page.locator("#request-parts [data-reserved='LCD-1']").wait_for()
    page.wait_for_timeout(300)  # room for a second POST, were one sent (not a timing assert)
    assert len(posts) == 1
    assert StockLevel.objects.get(part=part, location=bag).reserved == 1
    assert errors == []
