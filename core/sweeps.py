"""Claiming work in a periodic sweep so that each alert fires exactly once, however many
sweepers run at once (GUIDE 6; healthchecks ``sendalerts``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from django.db import transaction
from django.db.models import QuerySet

from .timeutil import local_today


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


def sweep_windows_ended(
    planned: QuerySet,
    *,
    zones: Iterable[str],
    today: date | None,
    now: datetime,
    batch_size: int,
    tell: Callable[[list[int]], None],
) -> int:
    """Claim, batch by batch, the ``planned`` rows whose window ended before their hospital's
    today (``window_end`` < the local date in each of ``zones``) and that were never reported
    (``overdue_notified_at``), and hand each claimed batch to ``tell`` inside the claiming
    transaction. Returns how many rows were claimed. Planned visits and return visits share
    these field names on purpose."""
    total = 0
    for zone in zones:
        day = today or local_today(zone)
        candidates = planned.filter(
            overdue_notified_at__isnull=True, window_end__lt=day, hospital__time_zone=zone
        )
        while True:
            with transaction.atomic():
                claimed = claim_batch(
                    candidates,
                    flag="overdue_notified_at",
                    now=now,
                    size=batch_size,
                    order_by=("window_end", "pk"),
                )
                if not claimed:
                    break
                tell(claimed)
            total += len(claimed)
    return total
