"""What the views of every app share about requests and answers."""

from __future__ import annotations

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
