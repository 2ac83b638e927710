"""A Content-Security-Policy on every page: scripts, styles, fonts and images from our own
origin only, no inline script, no eval. The templates are checked for what the policy
would refuse, so a page cannot lose its behaviour without a test failing; the browser
tests fail on any violation the browser reports (conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user

ROOT = Path(settings.BASE_DIR)
SKIP_DIRS = {".venv", "var", "node_modules", ".git", "static"}


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    policy = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


def _templates() -> list[Path]:
    """Every HTML template a browser shows (PDF templates are WeasyPrint's business)."""
    return [
        path
        for path in ROOT.rglob("*.html")
        if not SKIP_DIRS & set(path.relative_to(ROOT).parts)
        and "pdf" not in path.parts
        and '{% extends "pdf/' not in path.read_text()
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/password/reset/", "/api/v1/docs"])
def test_pages_without_login_carry_the_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert set(policy["img-src"]) == {"'self'", "data:", "blob:"}


@pytest.mark.django_db
def test_pages_of_a_logged_in_user_carry_the_policy(client):
    client.force_login(vendor_user(VendorRole.MANAGER))
    for name in ("home", "service:board", "assets:device_list", "accounts:token_list"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"], name
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], name


@pytest.mark.django_db
def test_api_answers_carry_it_too(client):
    assert "Content-Security-Policy" in client.get("/api/v1/me")


def test_no_template_has_an_inline_script():
    offenders = []
    for path in _templates():
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", path.read_text()):
            if 'type="application/json"' not in match.group(0):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not offenders, "move these into static files: " + "; ".join(offenders)


def test_no_template_has_an_inline_event_handler_or_javascript_url():
    pattern = re.compile(r"""\son[a-z]+\s*=\s*["']|javascript:|hx-on[:-]""", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in _templates()
        for match in pattern.finditer(path.read_text())
    ]
    assert not offenders, "use a data attribute and static/js/app.js: " + "; ".join(offenders)


def test_no_template_asks_htmx_to_eval():
    # "js:" values and [filter] expressions in triggers are evaluated with Function().
    pattern = re.compile(
        r"""hx-(vals|vars|headers)\s*=\s*['"]\s*(js|javascript):|hx-trigger="[^"]*\["""
    )
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in _templates()
        for match in pattern.finditer(path.read_text())
    ]
    assert not offenders, offenders


def test_no_template_has_a_style_element():
    offenders = [
        str(path.relative_to(ROOT)) for path in _templates() if "<style" in path.read_text()
    ]
    assert not offenders, "move these into static CSS files: " + ", ".join(offenders)


def test_no_form_widget_carries_inline_code():
    """Widget attributes written in Python end up in the page just the same."""
    pattern = re.compile(r"""["'](hx-on[:-][^"']*|on[a-z]+)["']\s*:|["']js:""")
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in ROOT.rglob("*.py")
        if not (SKIP_DIRS | {"tests", "migrations"}) & set(path.relative_to(ROOT).parts)
        and path.name != "conftest.py"
        for match in pattern.finditer(path.read_text())
    ]
    assert not offenders, offenders
