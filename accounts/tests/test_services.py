"""API tokens: per user, shown once, stored hashed, revocable (issue 2 §2)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine

from accounts.models import ApiToken, VendorRole
from accounts.services import api_token_authenticate, api_token_create, api_token_revoke

from .factories import UserFactory, vendor_user

pytestmark = pytest.mark.django_db


def test_create_returns_the_secret_once_and_stores_only_its_hash():
    user = vendor_user(VendorRole.ENGINEER)
    token, raw = api_token_create(user=user, name="  LIS integration ")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith("ms_") and len(raw) > 40
    assert stored.prefix == raw[:10]
    assert stored.name == "LIS integration"
    for value in (stored.name, stored.prefix, stored.key_hash):
        assert raw not in value  # the secret itself is stored nowhere
    assert stored.is_active


def test_tokens_differ_and_blank_name_gets_a_default():
    user = UserFactory()
    first, raw_first = api_token_create(user=user, name="")
    second, raw_second = api_token_create(user=user, name="b")
    assert raw_first != raw_second
    assert first.key_hash != second.key_hash
    assert first.name == "api"


def test_authenticate_finds_the_user():
    user = UserFactory()
    _token, raw = api_token_create(user=user, name="x")
    assert api_token_authenticate(raw_token=raw) == user


@pytest.mark.parametrize(
    "mangle",
    [lambda raw: raw + "x", lambda raw: raw[:-1], lambda raw: raw[3:], lambda raw: ""],
    ids=["appended", "truncated", "without-prefix", "empty"],
)
def test_authenticate_refuses_altered_tokens(mangle):
    _token, raw = api_token_create(user=UserFactory(), name="x")
    assert api_token_authenticate(raw_token=mangle(raw)) is None


def test_revoked_token_no_longer_authenticates_and_revoke_is_idempotent():
    token, raw = api_token_create(user=UserFactory(), name="x")
    api_token_revoke(token=token)
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    assert revoked_at is not None
    assert api_token_authenticate(raw_token=raw) is None
    api_token_revoke(token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at


def test_inactive_user_token_does_not_authenticate():
    user = UserFactory(is_active=False)
    _token, raw = api_token_create(user=user, name="x")
    assert api_token_authenticate(raw_token=raw) is None


def test_last_used_is_touched_at_most_once_a_minute():
    token, raw = api_token_create(user=UserFactory(), name="x")
    start = dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        api_token_authenticate(raw_token=raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        api_token_authenticate(raw_token=raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        api_token_authenticate(raw_token=raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == start + dt.timedelta(seconds=61)


def test_superuser_acts_as_vendor_admin():
    """Issue 2 §2: a Django superuser acts as a vendor admin."""
    user = UserFactory(is_superuser=True)
    assert user.effective_vendor_role == VendorRole.ADMIN
    assert user.is_vendor_staff
    assert not UserFactory().is_vendor_staff
