"""Pages that never strand anyone (issue 12 §5): 403, 404 and 500 in the app's layout and
the user's language, with the ways back (home, the page the user came from when it is of
this site, the list of the section); a refusal is one line in the log; a favicon."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from medservice import errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls(settings):
    settings.ROOT_URLCONF = "tests.error_urls"
    settings.DEBUG = False


@pytest.fixture
def engineer_client(client):
    client.force_login(vendor_user(VendorRole.ENGINEER, username="wang"))
    return client


def ways_back(page: str) -> dict[str, str]:
    import re

    links = re.findall(r'href="([^"]*)" data-way-back="([^"]+)"', page)
    return {kind: href for href, kind in links}


def test_a_missing_page_is_in_the_layout_and_language_with_the_ways_back(engineer_client):
    url = "/service-requests/999999/"
    response = engineer_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'id="mainnav"' in page  # the app's layout with its menu
    assert "找不到页面" in page
    assert ways_back(page) == {"list": "/service-requests/", "home": "/"}

    english = engineer_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Page not found" in english and "Back to the list" in english


def test_the_way_back_is_the_referring_page_of_this_site_only(engineer_client):
    url = "/devices/999999/"
    came_from = engineer_client.get(
        url, HTTP_REFERER="http://testserver/service-requests/?status=open"
    ).content.decode()
    assert ways_back(came_from) == {
        "came-from": "/service-requests/?status=open",
        "list": "/devices/",
        "home": "/",
    }
    elsewhere = engineer_client.get(url, HTTP_REFERER="https://evil.example/x/").content.decode()
    assert ways_back(elsewhere) == {"list": "/devices/", "home": "/"}
    # A segment that is no list of its own leads to the list of its section.
    assert ways_back(engineer_client.get("/departments/999999/").content.decode()) == {
        "list": reverse("customers:hospital_list"),
        "home": "/",
    }


def test_a_refusal_is_a_page_with_the_ways_back_and_one_line_in_the_log(
    urls, engineer_client, caplog
):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = engineer_client.get("/service-requests/refused/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Not allowed" in page and 'id="mainnav"' in page
    assert ways_back(page) == {"list": "/service-requests/", "home": "/"}
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is None and record.stack_info is None
    line = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    assert "\n" not in line and "Traceback" not in line
    assert line == (
        "WARNING django.request Forbidden (Permission denied): "
        "user=wang path=/service-requests/refused/"
    )


def test_a_failure_is_the_500_page_in_the_layout_and_language(urls, client, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(vendor_user(VendorRole.ENGINEER))
    response = client.get("/service-requests/failing/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert response.status_code == 500
    assert "服务器出错" in page and "navbar" in page  # the layout, without the user's menu
    assert ways_back(page) == {"list": "/service-requests/", "home": "/"}


def test_the_500_page_needs_no_database(django_assert_num_queries):
    request = RequestFactory().get("/visits/12/", HTTP_REFERER="http://testserver/visits/today/")
    with django_assert_num_queries(0):
        response = errors.server_error(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert ways_back(page) == {"came-from": "/visits/today/", "list": "/visits/", "home": "/"}


def test_the_500_page_never_raises(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the template cannot be rendered")

    monkeypatch.setattr(errors, "render_to_string", broken)
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Server error" in response.content.decode()


def test_a_favicon_is_linked_and_favicon_ico_is_never_a_404(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    assert client.get(response["Location"]).status_code == 200
