"""Fast on a hospital's network (issue 12 §6), the parts that do not depend on a clock: the
engineer's "my jobs" page names few, small static files (the icon font cut down to the icons
the pages use), and pages themselves are sent compressed. The timed figures (bytes and first
paint under Chromium's "Slow 4G") come from `python -m bench --only page_weight`
(docs/benchmarks.md)."""

from __future__ import annotations

import gzip
import importlib.util
import re
from pathlib import Path

import brotli
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from fontTools.ttLib import TTFont

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user

ROOT = Path(settings.BASE_DIR)
STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]""")
# What my jobs may cost in static files, compressed as whitenoise serves them (brotli; a
# woff2 font as it is): the page's budget is 150 kB, the HTML and headers need the rest.
STATIC_BUDGET = 100_000


def _subset_script():
    spec = importlib.util.spec_from_file_location("subset_icons", ROOT / "scripts/subset_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_icon_the_pages_use_is_in_the_cut_down_icon_font():
    script = _subset_script()
    css = (ROOT / "static/vendor/bootstrap-icons/bootstrap-icons.min.css").read_text()
    served = script.all_icons(css)
    known = script.all_icons((ROOT / "scripts/bootstrap-icons/bootstrap-icons.min.css").read_text())
    used = script.used_icons(ROOT) & known.keys()
    assert "heart-pulse" in used and "geo-alt-fill" in used  # the scan finds them
    missing = sorted(used - served.keys())
    assert not missing, f"run `python scripts/subset_icons.py`: {missing} are not in the subset"
    font = TTFont(ROOT / "static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2")
    cmap = font.getBestCmap()
    assert all(served[name] in cmap for name in used)


def _static_names(template: str) -> list[str]:
    path = next(ROOT.glob(f"**/templates/{template}"))
    return STATIC_TAG.findall(path.read_text(encoding="utf-8"))


def test_the_static_files_of_my_jobs_fit_the_budget():
    names = _static_names("base.html") + _static_names("service/_scripts.html")
    assert "vendor/bootstrap-icons/bootstrap-icons.min.css" in names
    names.append("vendor/bootstrap-icons/fonts/bootstrap-icons.woff2")  # named by its CSS
    sizes = {}
    for name in names:
        found = finders.find(name)
        assert found, name
        data = Path(str(found)).read_bytes()
        sizes[name] = len(data) if name.endswith(".woff2") else len(brotli.compress(data))
    assert sum(sizes.values()) <= STATIC_BUDGET, sizes


@pytest.mark.django_db
def test_pages_are_sent_compressed_to_browsers_that_accept_it(client):
    client.force_login(vendor_user(VendorRole.ENGINEER))
    page = client.get("/my-jobs/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert page.status_code == 200 and page["Content-Encoding"] == "gzip"
    assert b"</html>" in gzip.decompress(page.content)
    plain = client.get("/my-jobs/")
    assert not plain.has_header("Content-Encoding")


def test_the_layouts_scripts_wait_in_a_template_for_the_first_paint():
    """base.html names every script inside <template id="page-scripts"> (not fetched while
    the style sheets load) but js/page-scripts.js, which starts them afterwards."""
    base = (ROOT / "templates/base.html").read_text(encoding="utf-8")
    waiting = re.search(r'<template id="page-scripts">(.*?)</template>', base, re.S)
    assert waiting is not None and "{% block scripts %}" in waiting.group(1)
    outside = base.replace(waiting.group(0), "")
    assert re.findall(r"<script[^>]*>", outside) == [
        "<script src=\"{% static 'js/page-scripts.js' %}\">"
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_scripts_started_after_the_first_paint_work_as_before(phone_page):
    """htmx (with the page's htmx-config), Bootstrap, app.js and the page's own script all
    run, in their order, though they start after DOMContentLoaded."""
    vendor_user(VendorRole.ENGINEER, username="eng-pw")  # password "pw"
    page = phone_page
    page.goto("/accounts/login/")
    page.fill("#id_username", "eng-pw")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    page.goto("/my-jobs/")
    state = page.evaluate(
        "() => [typeof htmx, htmx.config.includeIndicatorStyles, htmx.config.allowEval,"
        " typeof bootstrap, document.querySelectorAll('script[src]').length]"
    )
    assert state == ["object", False, False, "object", 5]  # the loader and its four
    page.click(".navbar-toggler")  # Bootstrap's collapse opens the menu
    page.wait_for_selector("#mainnav.show")
