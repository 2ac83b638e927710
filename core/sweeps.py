"""Claiming work in a periodic sweep so that each alert fires exactly once, however many
sweepers run at once (GUIDE 6; healthchecks ``sendalerts``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import QuerySet


def claim_batch(
    candidates: QuerySet, *, flag: str, now: datetime, size: int, order_by: Sequence[str]
) -> list[int]:
    """Lock up to ``size`` of ``candidates`` (which must exclude rows whose ``flag`` is set)
    and stamp ``flag = now`` on them; return their pks. Call it inside the transaction that
    also records what the claim is for, so a crash loses neither the claim nor the alert.

    ``SKIP LOCKED`` lets concurrent sweepers share the work; the lock re-checks the
    candidates' condition, so one UPDATE claims the whole batch."""
    locked = list(
        candidates.select_for_update(skip_locked=True, of=("self",))
        .order_by(*order_by)
        .values_list("pk", flat=True)[:size]
    )
    if not locked:
        return []
    unclaimed = candidates.model._default_manager.filter(**{f"{flag}__isnull": True})
    if unclaimed.filter(pk__in=locked).update(**{flag: now}) == len(locked):
        return locked
    # Only a claim outside this protocol (a row stamped without its lock) gets here.
    return [pk for pk in locked if unclaimed.filter(pk=pk).update(**{flag: now})]
