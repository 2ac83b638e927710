"""What the views of every app share about requests and answers."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go back to after a form (``?next=`` or a hidden ``next``): a path of this
    site, or ``fallback``. Not another site (an open redirect), and not a bare word, which
    ``redirect`` would take for a view's name."""
    target = request.POST.get("next") or request.GET.get("next")
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback


def safe_referer(request: HttpRequest) -> str | None:
    """The page the user came from (the ``Referer``), as a path of this site, or None: a
    link to another site, a malformed header or the current page itself is no way back."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return None
    try:
        host = request.get_host()
    except DisallowedHost:  # no comparison possible, so no way back by the header
        return None
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != host:
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or path == request.path:
        return None
    return path + (f"?{parts.query}" if parts.query else "")
