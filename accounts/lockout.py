"""Too many failed logins: who is locked out, until when, and what they are told.

django-axes counts the failures in the database (``axes.AccessAttempt``), so every gunicorn
process sees the same counts. A password login counts against its account (from any
address) and its address (for any account). A wrong API bearer token counts against its
address only, under a username no account can have (``BEARER_TOKEN_CLIENT``); an address
that keeps guessing tokens is also refused password logins, while password typos behind a
hospital's shared address never stop that hospital's integrations.

The settings point here: ``AXES_LOCKOUT_PARAMETERS``, ``AXES_CLIENT_IP_CALLABLE`` and
``AXES_LOCKOUT_CALLABLE``.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.errors import TooManyAttempts

# Django usernames allow letters, digits and @.+-_ only, so no account can be called this.
BEARER_TOKEN_CLIENT = "(API bearer token)"  # noqa: S105 (a label, not a secret)

_PER_ACCOUNT_AND_PER_ADDRESS = ["username", "ip_address"]
_BEARER_TOKENS_PER_ADDRESS = [["username", "ip_address"]]


def _is_bearer(credentials: dict[str, Any] | None) -> bool:
    return credentials is not None and credentials.get("username") == BEARER_TOKEN_CLIENT


def lockout_parameters(request_or_attempt: Any, credentials: dict[str, Any] | None = None):
    """What failures are counted together (``AXES_LOCKOUT_PARAMETERS``)."""
    if _is_bearer(credentials):
        return _BEARER_TOKENS_PER_ADDRESS
    return _PER_ACCOUNT_AND_PER_ADDRESS


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address (``AXES_CLIENT_IP_CALLABLE``).

    Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each appending the address it was called
    from to X-Forwarded-For, the client is the entry that many from the right; whatever the
    client wrote there itself stands further left and is ignored. Anything that is not an
    address falls back to the connection's address.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def lockout_ends_at(request: HttpRequest, credentials: dict[str, Any] | None) -> datetime | None:
    """When the lockout that refused ``request`` ends, or None if it is not locked out.

    A failure counts for ``AXES_COOLOFF_TIME`` after the last failure of its row (account,
    address, browser). Newest rows first, the row that brings the sum to the limit is the
    one whose expiry ends the lockout; with both an account and an address over the limit,
    the later of the two ends it.
    """
    AxesProxyHandler.update_request(request)
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    limit = get_failure_limit(request, credentials)
    handler = AxesProxyHandler.get_implementation()
    ends: list[datetime] = []
    for attempts in handler.get_user_attempts(request, credentials):  # type: ignore[attr-defined]
        total = 0
        for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
            "attempt_time", "failures_since_start"
        ):
            total += failures
            if total >= limit:
                ends.append(attempt_time + cool_off)
                break
    return max(ends, default=None)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page shown instead of the login form (``AXES_LOCKOUT_CALLABLE``).

    The API answers a locked-out bearer token itself, in its own error shape.
    """
    if _is_bearer(credentials) and original_response is not None:
        return original_response
    ends_at = lockout_ends_at(request, credentials) or timezone.now() + (
        get_cool_off(request) or settings.AXES_COOLOFF_TIME
    )
    minutes = max(1, math.ceil((ends_at - timezone.now()).total_seconds() / 60))
    return render(
        request,
        "accounts/lockout.html",
        {
            "ends_at": ends_at,
            "minutes": minutes,
            "username": get_client_username(request, credentials) or "",
        },
        status=429,  # Too Many Requests, as axes answers by default
    )


def bearer_token_check(request: HttpRequest) -> None:
    """Refuse every bearer token from an address that guessed too many: a brute force over
    tokens gets no answer about any token, right or wrong, until the lockout ends."""
    credentials = {"username": BEARER_TOKEN_CLIENT}
    if not AxesProxyHandler.is_allowed(request, credentials):
        raise TooManyAttempts(retry_after=_seconds_until_unlocked(request, credentials))


def bearer_token_failed(request: HttpRequest) -> None:
    """Count a wrong bearer token against the caller's address; the one that reaches the
    limit is already answered as locked out."""
    credentials = {"username": BEARER_TOKEN_CLIENT}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        raise TooManyAttempts(retry_after=_seconds_until_unlocked(request, credentials))


def _seconds_until_unlocked(request: HttpRequest, credentials: dict[str, Any]) -> int:
    ends_at = lockout_ends_at(request, credentials)
    if ends_at is None:
        return 1
    return max(1, math.ceil((ends_at - timezone.now()).total_seconds()))


def login_failures_forget(*, username: str) -> int:
    """Forget an account's failed logins (after its password was reset by e-mail: whoever
    reset it holds the mailbox). Returns how many attempt rows were removed."""
    return AxesProxyHandler.reset_attempts(username=username)
