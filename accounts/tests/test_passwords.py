"""Passwords: common and all-digit ones are refused, a logged-in user changes theirs, a
forgotten one is reset through a link sent by e-mail (a real SMTP server on loopback), and
the reset page never tells whether an address belongs to an account."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from core.tests.smtp import loopback_smtp
from demo.catalogue import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


# --- a real SMTP server on loopback -----------------------------------------------------
@pytest.fixture
def mailbox(settings):
    with loopback_smtp(settings) as box:
        yield box


# --- validators -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "code"),
    [("password123", "password_too_common"), ("73926481057", "password_entirely_numeric")],
)
def test_common_and_all_digit_passwords_are_refused(password, code):
    with pytest.raises(ValidationError) as exc_info:
        validate_password(password, User(username="wang"))
    assert code in {error.code for error in exc_info.value.error_list}


def test_the_demo_password_passes_the_validators():
    for username in ("admin", "manager", "engineer1", "h1-admin", "h1-icu"):
        user = User(username=username, email=f"{username}@qingdun-med.example")
        validate_password(DEMO_PASSWORD, user)


# --- change -----------------------------------------------------------------------------
def test_changing_the_password_needs_a_login(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_logged_in_user_changes_the_password(client):
    user = UserFactory(username="alice", password="right-horse-battery")
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    assert reverse("accounts:password_change") in page  # the user menu links it

    url = reverse("accounts:password_change")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "old_password": "right-horse-battery",
            "new_password1": "quiet-river-lantern",
            "new_password2": "quiet-river-lantern",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    assert client.get(response["Location"]).status_code == 200  # still logged in
    user.refresh_from_db()
    assert user.check_password("quiet-river-lantern")


def test_a_common_new_password_is_refused_on_the_page(client):
    user = UserFactory(username="alice", password="right-horse-battery")
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "right-horse-battery",
            "new_password1": "password123",
            "new_password2": "password123",
        },
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("right-horse-battery")


# --- reset by e-mail --------------------------------------------------------------------
def test_the_login_page_links_the_reset(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("accounts:password_reset") in page
    assert "Forgot your password?" in page


def _reset_link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://[^\s]+/accounts/password/reset/[^\s]+/", body)
    assert match, body
    return match.group(0)


def test_a_forgotten_password_is_reset_through_the_e_mailed_link(client, mailbox):
    user = UserFactory(
        username="alice", email="alice@hospital.example", password="right-horse-battery"
    )
    response = client.post(reverse("accounts:password_reset"), {"email": "alice@hospital.example"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")

    [(recipients, message)] = mailbox.messages()
    assert recipients == ["alice@hospital.example"]
    assert "set a new password" in message["subject"]
    link = _reset_link(message)
    assert link.startswith("http://testserver/")
    assert "alice" in message.get_body(preferencelist=("plain",)).get_content()

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_url, {"new_password1": "quiet-river-lantern", "new_password2": "quiet-river-lantern"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("quiet-river-lantern")

    # The link works once.
    assert client.get(link, follow=True).context["validlink"] is False
    fresh = Client(HTTP_ACCEPT_LANGUAGE="en")
    login = fresh.post(
        reverse("accounts:login"), {"username": "alice", "password": "quiet-river-lantern"}
    )
    assert login.status_code == 302


def test_the_link_uses_site_url_when_set(client, mailbox, settings):
    settings.SITE_URL = "https://service.example.com"
    UserFactory(username="alice", email="alice@hospital.example")
    client.post(reverse("accounts:password_reset"), {"email": "alice@hospital.example"})
    [(_to, message)] = mailbox.messages()
    assert _reset_link(message).startswith("https://service.example.com/accounts/password/")


def test_the_e_mail_is_in_the_language_of_the_page(mailbox):
    UserFactory(username="alice", email="alice@hospital.example")
    Client().post(reverse("accounts:password_reset"), {"email": "alice@hospital.example"})
    [(_to, message)] = mailbox.messages()
    assert "设置新密码" in message["subject"]


def test_the_reset_page_does_not_tell_whether_an_address_is_known(client, mailbox):
    UserFactory(username="alice", email="alice@hospital.example")
    UserFactory(username="gone", email="gone@hospital.example", is_active=False)
    url = reverse("accounts:password_reset")

    addresses = ("alice@hospital.example", "nobody@hospital.example", "gone@hospital.example")
    answers = [client.post(url, {"email": address}, follow=True) for address in addresses]
    assert {answer.redirect_chain[-1][0] for answer in answers} == {
        reverse("accounts:password_reset_done")
    }
    # The same page but for the CSRF token, which is masked afresh on every response.
    pages = {re.sub(r"[A-Za-z0-9]{64}", "", answer.content.decode()) for answer in answers}
    assert len(pages) == 1, "the pages differ"
    # Only the active account got a mail.
    assert [recipients for recipients, _message in mailbox.messages()] == [
        ["alice@hospital.example"]
    ]


def test_a_forged_reset_link_sets_nothing(client):
    user = UserFactory(username="alice", password="right-horse-battery")
    response = client.get(
        reverse("accounts:password_reset_confirm", args=["MQ", "abc-0123456789abcdef"]),
        follow=True,
    )
    assert response.context["validlink"] is False
    assert reverse("accounts:password_reset") in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("right-horse-battery")
