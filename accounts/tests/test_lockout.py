"""Guessing passwords: after LOGIN_FAILURE_LIMIT failures an account (from any address) and
an address (for any account) are refused, the right password included, until the lockout
ends; the page says so and when to try again, in Chinese and in English."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.lockout import client_address
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
ATTACKER = "203.0.113.7"
COLLEAGUE = "198.51.100.20"


@pytest.fixture
def alice():
    return UserFactory(username="alice", password="right-horse-battery")


@pytest.fixture
def bob():
    return UserFactory(username="bob", password="another-long-secret")


def login(client, username, password, address=ATTACKER, url=LOGIN):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_twenty_wrong_passwords_are_refused_after_the_limit(client, alice, settings):
    assert settings.AXES_FAILURE_LIMIT == 10
    with time_machine.travel(T0, tick=False):
        statuses = [login(client, "alice", f"guess-{n}").status_code for n in range(20)]
        assert statuses[:9] == [200] * 9  # the form again, with its error
        assert statuses[9:] == [429] * 11

        response = login(client, "alice", "right-horse-battery")
    assert response.status_code == 429
    assert not is_logged_in(client)


def test_the_account_is_locked_from_every_address(client, alice):
    with time_machine.travel(T0, tick=False):
        for n in range(10):
            login(client, "alice", f"guess-{n}")
        elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en")
        response = login(elsewhere, "alice", "right-horse-battery", address=COLLEAGUE)
    assert response.status_code == 429
    assert not is_logged_in(elsewhere)


def test_the_address_is_locked_for_every_account(client, alice, bob):
    with time_machine.travel(T0, tick=False):
        for n in range(10):
            login(client, f"someone{n}", "guess")  # ten accounts, one failure each
        response = login(client, "bob", "another-long-secret")
    assert response.status_code == 429
    assert not is_logged_in(client)


def test_another_account_from_another_address_is_unaffected(client, alice, bob):
    with time_machine.travel(T0, tick=False):
        for n in range(20):
            login(client, "alice", f"guess-{n}")
        colleague = Client(HTTP_ACCEPT_LANGUAGE="en")
        response = login(colleague, "bob", "another-long-secret", address=COLLEAGUE)
        assert response.status_code == 302
        assert is_logged_in(colleague)


def test_the_lockout_ends_after_the_cool_off(client, alice, settings):
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    with time_machine.travel(T0, tick=False):
        for n in range(10):
            login(client, "alice", f"guess-{n}")
    # Trying again while locked out does not push the end further away.
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        assert login(client, "alice", "right-horse-battery").status_code == 429
        assert login(client, "alice", "still-guessing").status_code == 429
    with time_machine.travel(T0 + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert login(client, "alice", "right-horse-battery").status_code == 429
    with time_machine.travel(T0 + dt.timedelta(minutes=15, seconds=1), tick=False):
        response = login(client, "alice", "right-horse-battery")
        assert response.status_code == 302
        assert is_logged_in(client)


def test_the_admin_login_is_locked_too(client):
    UserFactory(username="root", password="root-secret-words", is_staff=True, is_superuser=True)
    with time_machine.travel(T0, tick=False):
        statuses = [
            login(client, "root", f"guess-{n}", url=ADMIN_LOGIN).status_code for n in range(12)
        ]
        assert statuses[:9] == [200] * 9
        assert statuses[9:] == [429] * 3
        response = login(client, "root", "root-secret-words", url=ADMIN_LOGIN)
        assert response.status_code == 429
        assert not is_logged_in(client)
        # The same account is locked on the site's own login page as well.
        assert login(client, "root", "root-secret-words").status_code == 429


def test_the_lockout_page_says_what_happened_and_when_to_try_again(client, alice):
    with time_machine.travel(T0, tick=False):
        for n in range(9):
            login(client, "alice", f"guess-{n}")
    with time_machine.travel(T0 + dt.timedelta(minutes=3), tick=False):
        response = login(client, "alice", "guess-9")  # the tenth: 09:03 + 15 min
    page = response.content.decode()
    assert response.status_code == 429
    assert "Logging in is paused" in page
    assert "too many wrong passwords" in page
    assert "Try again after 09:18 (in 15 minutes)." in page
    assert reverse("accounts:password_reset") in page
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_lockout_page_is_in_chinese_by_default(alice):
    chinese = Client()
    with time_machine.travel(T0, tick=False):
        for n in range(9):
            login(chinese, "alice", f"guess-{n}")
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        response = login(chinese, "alice", "guess-9")
    page = response.content.decode()
    assert response.status_code == 429
    assert "登录已暂停" in page
    assert "09:20" in page
    assert "15 分钟" in page


def test_the_page_counts_down_to_the_oldest_failure_that_still_counts(client, alice):
    """Nine failures at 09:00 and one at 09:10: the lockout ends at 09:25, when the ten
    failures stop counting (those of one browser count from its last failure)."""
    with time_machine.travel(T0, tick=False):
        for n in range(9):
            login(client, "alice", f"guess-{n}")
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        response = login(client, "alice", "guess-9")
    assert "Try again after 09:25 (in 15 minutes)." in response.content.decode()


def test_a_password_reset_by_e_mail_ends_the_accounts_lockout(client, alice):
    alice.email = "alice@hospital.example"
    alice.save()
    with time_machine.travel(T0, tick=False):
        for n in range(10):
            login(client, "alice", f"guess-{n}")
        assert login(client, "alice", "right-horse-battery").status_code == 429

        from django.contrib.auth.tokens import default_token_generator
        from django.utils.encoding import force_bytes
        from django.utils.http import urlsafe_base64_encode

        uid = urlsafe_base64_encode(force_bytes(alice.pk))
        token = default_token_generator.make_token(alice)
        url = reverse("accounts:password_reset_confirm", args=[uid, token])
        form_url = client.get(url)["Location"]  # Django hides the token behind a redirect
        response = client.post(
            form_url, {"new_password1": "a-new-long-phrase", "new_password2": "a-new-long-phrase"}
        )
        assert response.status_code == 302
        assert login(client, "alice", "a-new-long-phrase").status_code == 302
        assert is_logged_in(client)


def test_a_lower_limit_from_the_environment_is_honoured(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 3
    with time_machine.travel(T0, tick=False):
        statuses = [login(client, "alice", f"guess-{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_a_right_password_below_the_limit_logs_in(client, alice):
    for n in range(9):
        login(client, "alice", f"guess-{n}")
    assert login(client, "alice", "right-horse-battery").status_code == 302


# --- the client's address ---------------------------------------------------------------
def _request(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_connection_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(_request(forwarded="1.2.3.4")) == "10.0.0.1"


def test_behind_proxies_the_client_is_counted_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # Whatever the client wrote itself stands left of what our proxy appended.
    assert client_address(_request(forwarded="6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(_request(forwarded="6.6.6.6, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"


def test_a_forwarded_value_that_is_no_address_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(_request(forwarded="<script>")) == "10.0.0.1"
    assert client_address(_request(forwarded="")) == "10.0.0.1"


def test_failures_are_counted_per_forwarded_client_behind_a_proxy(client, alice, bob, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    with time_machine.travel(T0, tick=False):
        for n in range(10):
            client.post(
                LOGIN,
                {"username": f"someone{n}", "password": "guess"},
                REMOTE_ADDR=proxy,
                HTTP_X_FORWARDED_FOR=ATTACKER,
            )
        colleague = Client(HTTP_ACCEPT_LANGUAGE="en")
        response = colleague.post(
            LOGIN,
            {"username": "bob", "password": "another-long-secret"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=COLLEAGUE,
        )
    assert response.status_code == 302
