"""Who may call the API: bearer tokens throttled per address, a session with its CSRF token,
and 401 (not a CSRF 403) for a request without credentials."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from accounts.models import VendorRole
from accounts.services import api_token_create
from accounts.tests.factories import UserFactory, vendor_user

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
ATTACKER = "203.0.113.7"
INTEGRATION = "198.51.100.20"
WRONG = "ms_" + "x" * 43


def me(client, token, address=ATTACKER):
    return client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, REMOTE_ADDR=address
    )


def assert_error_shape(response, status):
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"]
    return body


@pytest.fixture
def token():
    _token, raw = api_token_create(user=vendor_user(VendorRole.ENGINEER), name="HIS")
    return raw


def test_twenty_wrong_tokens_are_refused_after_the_limit(client, token):
    with time_machine.travel(T0, tick=False):
        responses = [me(client, f"{WRONG[:-2]}{n:02d}") for n in range(20)]
        assert [r.status_code for r in responses[:9]] == [401] * 9
        assert [r.status_code for r in responses[9:]] == [429] * 11
        body = assert_error_shape(responses[-1], 429)
        assert "Too many wrong tokens from this address" in body["detail"]
        assert "15 minutes" in body["detail"]
        assert responses[-1]["Retry-After"] == str(15 * 60)

        # The right token from that address gets no answer about itself either.
        assert_error_shape(me(client, token), 429)
        # The integration at its own address works on.
        assert me(client, token, address=INTEGRATION).status_code == 200


def test_the_token_lockout_ends_after_the_cool_off(client, token):
    with time_machine.travel(T0, tick=False):
        for _ in range(10):
            me(client, WRONG)
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        response = me(client, token)
        assert response.status_code == 429
        assert response["Retry-After"] == str(10 * 60)
    with time_machine.travel(T0 + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert me(client, token).status_code == 200


def test_mistyped_passwords_behind_a_shared_address_do_not_stop_its_integrations(client, token):
    with time_machine.travel(T0, tick=False):
        for n in range(10):
            client.post(
                "/accounts/login/",
                {"username": f"nurse{n}", "password": "typo"},
                REMOTE_ADDR=ATTACKER,
            )
        assert me(client, token).status_code == 200


def test_an_address_guessing_tokens_is_refused_password_logins_too(client):
    UserFactory(username="alice", password="right-horse-battery")
    with time_machine.travel(T0, tick=False):
        for _ in range(10):
            me(client, WRONG)
        response = client.post(
            "/accounts/login/",
            {"username": "alice", "password": "right-horse-battery"},
            REMOTE_ADDR=ATTACKER,
        )
    assert response.status_code == 429


def test_the_openapi_declares_429_wherever_it_declares_401(client):
    spec = client.get("/api/v1/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]
    assert operations
    for path, method, operation in operations:
        codes = set(operation["responses"])
        assert "401" in codes, (method, path)
        assert "429" in codes, (method, path)


# --- unauthenticated writes and the session's CSRF check -------------------------------
def test_a_write_without_credentials_is_401_in_the_error_shape():
    anonymous = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = anonymous.post(
        "/api/v1/service-requests", {"device_id": 1}, content_type="application/json"
    )
    body = assert_error_shape(response, 401)
    assert body["detail"] == "Authentication required."
    assert anonymous.get("/api/v1/me").status_code == 401


def test_a_write_with_a_wrong_token_is_401():
    anonymous = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = anonymous.post(
        "/api/v1/service-requests",
        {"device_id": 1},
        content_type="application/json",
        headers={"Authorization": f"Bearer {WRONG}"},
    )
    assert_error_shape(response, 401)


def test_a_logged_in_session_without_the_csrf_token_is_still_refused():
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(vendor_user(VendorRole.DISPATCHER))
    response = browser.post(
        "/api/v1/service-requests", {"device_id": 1}, content_type="application/json"
    )
    body = assert_error_shape(response, 403)
    assert "CSRF" in body["detail"]
    # Reading needs no token.
    assert browser.get("/api/v1/me").status_code == 200


def test_a_logged_in_session_with_the_csrf_token_may_write():
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(vendor_user(VendorRole.DISPATCHER))
    browser.get("/accounts/tokens/")  # any page sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/v1/service-requests",
        {"device_id": 999999},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    # Past authentication: the body is checked (there is no such device).
    assert_error_shape(response, 422)
