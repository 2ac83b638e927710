"""Writes about users, their passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import ApiToken, User

TOKEN_PREFIX = "ms_"  # noqa: S105 (a label, not a secret)


def _hash(raw_token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (no password stretching).
    return hashlib.sha256(raw_token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret; the secret is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip() or "api", prefix=raw[:10], key_hash=_hash(raw)
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw_token: str) -> User | None:
    if not raw_token.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw_token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch at most once a minute: a busy integration should not write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def password_reset_mail_send(*, email: str, base_url: str) -> int:
    """E-mail a password-reset link to each active account with this address and a usable
    password; returns how many were sent. Nobody is told whether any account matched.

    ``base_url`` ("https://service.example.com") starts the link: SITE_URL when set, else
    the address the request came to (Django checked its host against ALLOWED_HOSTS).
    """
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return 0
    parts = urlsplit(base_url)
    users = list(form.get_users(form.cleaned_data["email"]))
    for user in users:
        context = {
            "email": user.email,
            "base_url": f"{parts.scheme}://{parts.netloc}",
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
        }
        form.send_mail(
            "accounts/password_reset_subject.txt",
            "accounts/password_reset_email.txt",
            context,
            settings.DEFAULT_FROM_EMAIL,
            user.email,
        )
    return len(users)
