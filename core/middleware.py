"""Request-wide guards: activate the viewer's time zone so every page shows local time
(storage stays UTC); refuse a NUL character anywhere in what was sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .bounds import text_error


class TimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone_name = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone_name = user.display_time_zone()
        if zone_name:
            timezone.activate(ZoneInfo(zone_name))
        else:
            timezone.deactivate()
        return self.get_response(request)


def _nul_path(value: Any, path: list[str | int]) -> list[str | int] | None:
    """The path of the first string holding a NUL in a parsed JSON body, or None."""
    if isinstance(value, str):
        return path if text_error(value) else None
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            found = _nul_path(item, [*path, key])
            if found is not None:
                return found
    return None


class RefuseNulMiddleware:
    """A NUL character is never text: PostgreSQL refuses to store or compare it (a 500
    deep in a query), SQLite stores it and cuts the string short elsewhere. Refused at the
    door, in the query string and in a JSON body, with the API's error shape (422 on the
    field) or a page; forms refuse it in their fields already (Django's CharField)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        loc = self._nul_in_query(request) or self._nul_in_json(request)
        if loc is None:
            return self.get_response(request)
        message = _("The text contains a NUL character.")
        if request.path.startswith("/api/"):
            error = {"loc": loc, "msg": message, "type": "nul_character"}
            return JsonResponse(
                {"detail": _("The request is not valid."), "errors": [error]}, status=422
            )
        return render(request, "core/bad_input.html", {"message": message}, status=422)

    @staticmethod
    def _nul_in_query(request: HttpRequest) -> list[str | int] | None:
        for key, values in request.GET.lists():
            if text_error(key) or any(text_error(v) for v in values):
                return ["query", key.replace("\x00", "")]
        return None

    @staticmethod
    def _nul_in_json(request: HttpRequest) -> list[str | int] | None:
        if request.method not in ("POST", "PUT", "PATCH") or request.content_type != (
            "application/json"
        ):
            return None
        body = request.body
        # Cheap first: JSON writes a NUL as an escape (a raw one is not valid JSON at all).
        if b"\\u0000" not in body:
            return None
        try:
            parsed = json.loads(body)
        except ValueError:
            return None  # the API answers malformed JSON itself
        return _nul_path(parsed, ["body"]) or ["body"]
