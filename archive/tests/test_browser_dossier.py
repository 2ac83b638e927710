"""A real phone (390 px): the hospital's equipment administrator opens the hospital's
archive, reads it without sideways scrolling, and downloads the year's dossier (issue 14
§1)."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from customers.tests.factories import hospital_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_hospital_archive_and_its_dossier_on_a_phone(phone_page, group, tmp_path):
    hospital = group["hospital"]
    hospital_user(hospital, username="equipment-admin")
    page = phone_page
    page.goto("/accounts/login/")
    page.fill("#id_username", "equipment-admin")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))

    page.goto(f"/hospitals/{hospital.pk}/")
    page.click(f"a[href='/hospitals/{hospital.pk}/archive/']")
    page.wait_for_url(f"**/hospitals/{hospital.pk}/archive/")
    assert page.locator(".archive-entry").count() > 5
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the archive scrolls sideways on a phone ({width} px)"

    page.click("details summary")  # 档案汇编
    form = page.get_by_test_id("dossier-form")
    form.locator("input[name=from]").fill("2026-01-01")
    form.locator("input[name=to]").fill("2026-12-31")
    button = page.get_by_test_id("dossier-download")
    assert button.bounding_box()["width"] > 300  # a full-width button on the phone
    with page.expect_download() as download:
        button.click()
    path = tmp_path / "dossier.pdf"
    download.value.save_as(path)
    assert (
        download.value.suggested_filename == f"dossier_hospital-{hospital.pk}_20260101_20261231.pdf"
    )
    assert len(PdfReader(path).pages) > 8  # cover, timeline, the five documents' nine pages
