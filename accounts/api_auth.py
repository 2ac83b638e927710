"""API authentication with bearer tokens, throttled per client address.

Here rather than in ``core.api``: it needs the token store (``accounts.services``) and the
failed-attempt store (``accounts.lockout``), and core imports no app.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from .lockout import bearer_token_check, bearer_token_failed
from .models import User
from .services import api_token_authenticate


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a token from ``create_api_token`` or the
    tokens page. An address that sent ``LOGIN_FAILURE_LIMIT`` wrong tokens within
    ``LOGIN_LOCKOUT_MINUTES`` is answered 429 (``core.errors.TooManyAttempts``) for every
    token until the oldest of those failures is that old."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        bearer_token_check(request)
        user = api_token_authenticate(raw_token=token)
        if user is None:
            bearer_token_failed(request)
            return None
        request.user = user
        return user
