"""Idempotent writes at the edge: an API ``POST`` with an ``Idempotency-Key`` header, or a
form carrying its one-time submission token, is done once per user and key
(``core.idempotency.run_once``). Here because it needs to know the caller before the view
runs, and the API's bearer tokens are accounts' business."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.idempotency import SUBMISSION_FIELD, fingerprint, key_is_valid, run_once

from .models import User
from .services import api_token_authenticate

API_PREFIX = "/api/"
HEADER = "Idempotency-Key"


def _api_error(status: int, message: str, error_type: str) -> JsonResponse:
    """The API's one error shape (``core.api.ErrorOut``), located at the header."""
    error = {"loc": ["header", HEADER], "msg": message, "type": error_type}
    return JsonResponse({"detail": message, "errors": [error]}, status=status)


def _api_caller(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    scheme, _sep, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return api_token_authenticate(raw_token=credentials.strip())
    return None


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.method != "POST":
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            return self._api(request)
        return self._form(request)

    def _api(self, request: HttpRequest):
        key = request.headers.get(HEADER)
        if key is None:
            return self.get_response(request)
        if not key_is_valid(key):
            return _api_error(
                422,
                _("The Idempotency-Key is 1 to 100 printable characters."),
                "idempotency_key_invalid",
            )
        user = _api_caller(request)
        if user is None:  # the view answers 401
            return self.get_response(request)
        return run_once(
            user_id=user.pk,
            key=f"api:{key}",
            fingerprint=fingerprint(request.method or "", request.get_full_path(), request.body),
            run=lambda: self.get_response(request),
            reused=lambda: _api_error(
                409,
                _("This Idempotency-Key was already used for another request."),
                "idempotency_key_reused",
            ),
            already_done=lambda: _api_error(
                409, _("This request was already done."), "idempotency_key_done"
            ),
        )

    def _form(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        token = request.POST.get(SUBMISSION_FIELD, "")
        if not token or not key_is_valid(token):
            return self.get_response(request)

        def already_sent() -> HttpResponse:
            return render(request, "core/already_sent.html", status=409)

        return run_once(
            user_id=user.pk,
            key=f"form:{token}",
            fingerprint=fingerprint(request.path),
            run=lambda: self.get_response(request),
            reused=already_sent,
            already_done=already_sent,
        )
