"""Inputs that must never answer 500 (issue 10 §6), on every page.

Every page the vendor's administrator opens is asked again with each field of its search
forms set to an absurd value (an id of 10**20, a month in year 0, a date in year 1 or 9999,
a NUL, a megabyte of text), and every form that writes is sent with all its fields set to
such a value: the answer is the page with a form error, or a refusal, never a server error.
The API gets the same from schemathesis (``tests/test_api_fuzz.py``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from accounts.models import VendorRole

from .test_permission_matrix import POST_ONLY, WEB_VIEWS, World, _web_url

pytestmark = pytest.mark.django_db

HOSTILE = [
    "100000000000000000000",
    "-1",
    "0",
    "0000-01",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "2026-13-45",
    "a\x00b",
    "x" * 20_000,
]
# Pages that are not forms of the app: files, feeds, a logout.
SKIP = {
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset_confirm",
    "assets:device_by_public_id",
    "records:record_pdf",
    "charges:statement_pdf",
    "return_visits:return_visit_pdf",
    "notify:message",
    "agenda:feed_ics",
    "parts:import_template",
}


class _Forms(HTMLParser):
    """The fields of each ``<form>`` of a page: (method, action, [field names])."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, list[str]]] = []
        self._open: tuple[str, str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            method = (attributes.get("method") or "get").lower()
            if "hx-post" in attributes:
                method = "post"
            action = attributes.get("action") or attributes.get("hx-post") or ""
            self._open = (method, action, [])
            self.forms.append(self._open)
        elif tag in ("input", "select", "textarea") and self._open is not None:
            name = attributes.get("name")
            kind = (attributes.get("type") or "").lower()
            if (
                name
                and name not in ("csrfmiddlewaretoken", "submission_token")
                and kind
                not in (
                    "file",
                    "submit",
                )
            ):
                self._open[2].append(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def forms_of(html: str) -> list[tuple[str, str, list[str]]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _pages(world: World) -> list[tuple[str, str]]:
    return [
        (name, _web_url(world, name))
        for name in WEB_VIEWS
        if name not in SKIP and name not in POST_ONLY
    ]


def test_search_forms_and_page_numbers_never_answer_500(client):
    world = World()
    client.force_login(world.vendor[VendorRole.ADMIN])
    client.raise_request_exception = False  # collect every failure, not the first
    failures = []
    tried = 0
    for name, url in _pages(world):
        page = client.get(url)
        assert page.status_code < 500, (name, url)
        if "text/html" not in page.get("Content-Type", ""):
            continue
        params = {"page"}
        for method, _action, fields in forms_of(page.content.decode()):
            if method == "get":
                params.update(fields)
        base = url.split("?")[0]
        for param in sorted(params):
            for value in HOSTILE:
                tried += 1
                response = client.get(base, {param: value})
                if response.status_code >= 500:
                    failures.append((name, param, value[:30], response.status_code))
    assert tried > 500
    assert not failures, "\n".join(map(str, failures))


def test_forms_that_write_never_answer_500(client):
    """Each writing form sent with every field at the same absurd value."""
    world = World()
    client.force_login(world.vendor[VendorRole.ADMIN])
    client.raise_request_exception = False  # collect every failure, not the first
    failures = []
    sent = 0
    for name, url in _pages(world):
        page = client.get(url)
        if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
            continue
        for method, action, fields in forms_of(page.content.decode()):
            if method != "post" or not fields or "logout" in action or "i18n" in action:
                continue
            target = action or url
            for value in HOSTILE:
                sent += 1
                response = client.post(target, dict.fromkeys(fields, value))
                if response.status_code >= 500:
                    failures.append((name, target, value[:30], response.status_code))
    assert sent > 100
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize(
    "url",
    [
        "/devices/?hospital=99999999999999999999",
        "/devices/?department=99999999999999999999&hospital=1",
        "/service-requests/99999999999999999999/",
        "/calendar/?month=0000-01",
        "/training/sessions/?from=0001-01-01&to=9999-12-31",
    ],
)
def test_the_reviews_urls_get_a_page_not_a_500(client, url):
    world = World()
    client.force_login(world.vendor[VendorRole.ADMIN])
    response = client.get(url)
    assert response.status_code in (200, 404, 422), (url, response.status_code)
    if response.status_code == 200:
        assert not re.search(r"Traceback|Server Error", response.content.decode())
