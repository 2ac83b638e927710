"""Sent twice, done once. A write that carries a key (an API client's ``Idempotency-Key``, a
form's one-time submission token) runs in one transaction with a claim on (user, key); the
same key again, at once or later, from a second connection or the same one, gets the first
answer back instead of doing the work again. A key reused for another request is refused.

Only answers below 400 are kept: a refused write changed nothing, so it may be sent again.
Domain-free: the caller says who the user is and what was asked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone

from .models import IdempotentRequest

KEY_MAX_LENGTH = 100
# The field every form that writes carries (``{% submission_token %}``).
SUBMISSION_FIELD = "submission_token"
KEEP_FOR = timedelta(hours=24)
# Larger answers are not replayed byte for byte: the second send is told it was done.
MAX_STORED_BODY = 2 * 1024 * 1024
REPLAYED_HEADER = "Idempotent-Replayed"
# Headers an answer needs to mean the same thing again (no cookies: never replay a session).
KEPT_HEADERS = ("Content-Type", "Location", "HX-Redirect", "HX-Refresh", "HX-Trigger")


def fingerprint(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def key_is_valid(key: str) -> bool:
    return 0 < len(key) <= KEY_MAX_LENGTH and key.isprintable()


def _replay(stored: IdempotentRequest, *, too_large: Callable[[], HttpResponse]) -> HttpResponse:
    if stored.status_code is None:
        return too_large()
    response = HttpResponse(bytes(stored.body), status=stored.status_code)
    for name, value in stored.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _keep(claim: IdempotentRequest, response: HttpResponseBase) -> None:
    body = b"" if response.streaming else response.content  # type: ignore[attr-defined]
    if response.streaming or len(body) > MAX_STORED_BODY:
        return  # the claim stays with no answer: a second send is told it was done
    claim.status_code = response.status_code
    claim.headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    claim.body = body
    claim.save(update_fields=["status_code", "headers", "body"])


def run_once(
    *,
    user_id: int,
    key: str,
    fingerprint: str,
    run: Callable[[], HttpResponseBase],
    reused: Callable[[], HttpResponse],
    already_done: Callable[[], HttpResponse],
) -> HttpResponseBase:
    """Run ``run`` once for (``user_id``, ``key``), in one transaction with the claim.

    A concurrent second send waits for the first one's transaction (the unique claim on
    PostgreSQL, the write lock on SQLite) and then replays its answer. ``reused`` answers a
    key sent before with another ``fingerprint``; ``already_done`` a key whose answer was
    too large to keep.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    user_id=user_id, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            stored = IdempotentRequest.objects.get(user_id=user_id, key=key)
            if stored.fingerprint != fingerprint:
                return reused()
            return _replay(stored, too_large=already_done)
        response = run()
        if response.status_code >= 400:
            # Refused: nothing it did stays, the claim included, so it may be sent again.
            transaction.set_rollback(True)
            return response
        _keep(claim, response)
        return response


def forget_old(*, now=None) -> int:
    """Drop the answers older than ``KEEP_FOR``; returns how many."""
    now = now or timezone.now()
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=now - KEEP_FOR).delete()
    return deleted
