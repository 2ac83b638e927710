"""The pages of a refusal, a missing page and a failure: in the app's layout and the user's
language, each with a way back (home, and the list the user came from), so nobody is left
stranded on a bare error.

The way back is the ``Referer`` when it is a page of this site (``core.http.safe_referer``),
and else the list of the section the address belongs to (its first path segment, when that
is a page: ``/service-requests/12/`` → ``/service-requests/``).

The 500 page is rendered without the request's context processors, the user or the database
(whatever failed may be the database), and if even that fails, a fixed text is sent.
"""

from __future__ import annotations

import logging

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from core.http import safe_referer

logger = logging.getLogger(__name__)

# Sections whose addresses start with a segment that is not a list page of its own.
SECTION_ALIASES = {
    "requests": "service:request_list",
    "components": "assets:device_list",
    "d": "assets:device_list",
    "departments": "customers:hospital_list",
    "contacts": "customers:hospital_list",
    "regime-documents": "regimes:overview",
    "regime-versions": "regimes:overview",
    "regime-receipts": "regimes:overview",
}


def section_list(path: str) -> str | None:
    """The list page of the section ``path`` belongs to, or None (the home page, an address
    outside any section, or the list itself)."""
    segment = path.lstrip("/").split("/", 1)[0]
    if not segment:
        return None
    if segment in SECTION_ALIASES:
        try:
            candidate = reverse(SECTION_ALIASES[segment])
        except NoReverseMatch:
            return None
    else:
        candidate = f"/{segment}/"
        try:
            match = resolve(candidate)
        except Resolver404:
            return None
        # A page that needs no argument (a list), not the admin or the API.
        if match.args or match.kwargs or match.namespace in {"admin", "api-1.0.0"}:
            return None
    return None if candidate == path else candidate


def ways_back(request: HttpRequest) -> dict[str, str | None]:
    came_from = safe_referer(request)
    section = section_list(request.path)
    return {
        "came_from": came_from,
        "section_list": section if section != came_from else None,
    }


def _render(request: HttpRequest, template: str, status_title: str) -> str:
    return render_to_string(
        template, {**ways_back(request), "status_title": status_title}, request=request
    )


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponseForbidden(_render(request, "403.html", _("Not allowed")))


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponseNotFound(_render(request, "404.html", _("Page not found")))


# What is sent when the 500 page itself cannot be rendered.
FALLBACK_500 = (
    "<!doctype html><html><head><meta charset='utf-8'><title>500</title></head><body>"
    "<h1>服务器出错 · Server error</h1><p><a href='/'>首页 · Home</a></p></body></html>"
)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """No context processors, no user, no query: only the language (already chosen by the
    middleware) and the ways back read from the request's own headers."""
    html: str
    try:
        context = {**ways_back(request), "status_title": _("Server error")}
        html = render_to_string("500.html", context)
    except Exception:  # the error page must never fail in turn
        logger.exception("The 500 page could not be rendered")
        html = FALLBACK_500
    return HttpResponseServerError(html)
