"""The durable outbox: what has to happen because a change committed (GUIDE 3).

Writing. The service that makes a change calls ``publish(name, payload)`` inside its
transaction: an ``OutboxEvent`` row ("service.request_dispatched", ids in the payload) and one
``OutboxDelivery`` row per handler registered for that name. They commit or roll back with
the change, so an event exists exactly when its cause does.

Handlers. Apps register them in their ``AppConfig.ready`` with ``register(name, events=…,
func=…)``; core knows no app. The name is stored in the delivery rows, so it must stay stable
across releases. A handler receives the ``OutboxEvent`` and must be idempotent, keyed by the
event id: the protocol below delivers database effects once, but a handler may be run again
after its effects outside the database happened (see "Guarantees").

Delivering. ``deliver_due`` takes the due pending rows in small batches, each batch in ONE
transaction:

1. claim: ``SELECT … FOR UPDATE SKIP LOCKED`` of the oldest due pending rows (at most
   ``CLAIM_BATCH``), so concurrent deliverers each take other rows (PostgreSQL). SQLite has
   no row locks and Django drops ``FOR UPDATE`` there; the transaction (IMMEDIATE, see
   settings) holds the database's write lock from its start instead, so deliverers simply
   take turns, and the second one sees the rows already delivered;
2. run each row's handler in its own savepoint, in order: the rows of handlers registered
   ``database_only`` (their every effect is a write in this transaction) one after the
   other, for at most ``BATCH_SECONDS``; a row whose handler acts outside the database (an
   e-mail, a webhook) only as the first of a batch, and alone: the batch ends with it;
3. mark the rows delivered (one UPDATE), or keep a row's error, count the attempt and
   schedule the next one (``backoff``), or mark it failed after ``OUTBOX_MAX_ATTEMPTS``;
   commit. Claimed rows not run are released by the commit and taken by the next batch.

The handlers' writes and the "delivered" marks commit together: a worker killed in the
middle rolls them all back and releases the locks, and the rows are delivered again later.
A handler that raises is never swallowed: its error is kept on the row (admin: "Outbox
deliveries") and the row is tried again with exponential backoff; the other rows of its
batch are not affected.

Why batches: a burst of a thousand new requests makes six rows each, and one transaction
a row spent more on claiming, marking and committing than on the work (docs/benchmarks.md).

Triggers. ``publish`` asks, once per transaction, for ``core.tasks.outbox_deliver`` to be
enqueued after the commit: a best-effort nudge (the queue may be down, the process may die
first). ``core.tasks.outbox_sweep`` runs every minute and is the durable path: no pending row
waits more than a minute past its time while a worker runs.

Guarantees. Database effects of a handler: exactly once. Effects outside the database (an
e-mail, a webhook): at least once. They happen before the commit that marks the row, so
a process that dies in between (after the mail server accepted, before the commit) sends it
again on the next attempt. That window is one commit long (such a row runs alone in its
transaction); an e-mail carries a Message-ID made from the event id so that the copy is
recognisably the same message.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from .models import DeliveryState, OutboxDelivery, OutboxEvent

logger = logging.getLogger(__name__)

HandlerFunc = Callable[[OutboxEvent], None]

# Defaults of the settings of the same name (settings.py may override them).
OUTBOX_MAX_ATTEMPTS = 10
OUTBOX_RETRY_BASE_SECONDS = 30
OUTBOX_RETRY_CAP_SECONDS = 3600
OUTBOX_KEEP_DAYS = 30
# One run of the worker delivers at most this many rows; the minute sweep does the rest.
RUN_LIMIT = 1000
# Rows claimed by one transaction, and the time its database-only handlers may take: on
# SQLite the transaction holds the write lock, which a web request may be waiting for.
CLAIM_BATCH = 20
BATCH_SECONDS = 0.25
# SQLite has one writer at a time and no queue: a waiting writer polls, and a worker that
# begins its next transaction the moment it commits wins every time. After a long
# transaction (a PDF rendered, a message sent) the worker leaves the lock free for a
# moment, so the pages' writes (a log-in, a step) and the heartbeat get their turn while a
# backlog of PDFs is worked off (the demo's first minutes had "database is locked").
SQLITE_LONG_TRANSACTION = 0.25
SQLITE_BREATHER = 0.15
MAX_ERROR_LENGTH = 10_000


@dataclass(frozen=True)
class Handler:
    name: str
    events: frozenset[str]
    func: HandlerFunc
    # Every effect is a write in the delivering transaction: safe to batch (see above).
    database_only: bool = False


_handlers: dict[str, Handler] = {}


def register(
    name: str, *, events: Iterable[str], func: HandlerFunc, database_only: bool = False
) -> None:
    """Deliver every event named in ``events`` to ``func`` under the stable ``name``.
    ``database_only``: the handler's every effect is a database write (no e-mail, no HTTP,
    no file), so its rows may share a transaction. Registering the same function again is a
    no-op (``ready`` may run more than once); another function under a name already taken
    is a configuration error."""
    handler = Handler(name=name, events=frozenset(events), func=func, database_only=database_only)
    existing = _handlers.get(name)
    if existing is not None and existing != handler:
        raise ImproperlyConfigured(f"outbox handler {name!r} is already registered")
    _handlers[name] = handler


def unregister(name: str) -> None:
    """Forget a handler (tests register their own and clean up after them)."""
    _handlers.pop(name, None)


def handlers_for(event_name: str) -> list[Handler]:
    return sorted((h for h in _handlers.values() if event_name in h.events), key=lambda h: h.name)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# --- writing ---------------------------------------------------------------------------
def publish(name: str, payload: Mapping[str, Any] | None = None) -> OutboxEvent:
    """Write the event ``name`` and its deliveries in the caller's transaction."""
    return publish_many(name, [payload or {}])[0]


def publish_many(name: str, payloads: Iterable[Mapping[str, Any]]) -> list[OutboxEvent]:
    """``publish`` for many events of one name, in a few INSERTs (a sweep's e-mails)."""
    now = timezone.now()
    rows = [OutboxEvent(name=name, payload=dict(p), created_at=now) for p in payloads]
    if not rows:
        return []
    # No savepoint inside the caller's transaction (two round trips): an error here fails
    # the caller's change, which is what must happen to an event that cannot be written.
    with transaction.atomic(savepoint=False):
        if connection.features.can_return_rows_from_bulk_insert:
            OutboxEvent.objects.bulk_create(rows)
        else:  # pragma: no cover - every database we support returns the ids
            for row in rows:
                row.save()
        handlers = handlers_for(name)
        if handlers:
            OutboxDelivery.objects.bulk_create(
                OutboxDelivery(event=row, handler=h.name, next_attempt_at=now)
                for row in rows
                for h in handlers
            )
            _nudge_after_commit()
    return rows


# --- the nudge -------------------------------------------------------------------------
_local = threading.local()


class _Nudge:
    """One enqueue per committed transaction, however many events it published: every
    ``publish`` registers this object's ``fire`` with ``on_commit`` (so a callback survives
    the rollback of a savepoint that held an earlier one), and the first call does it."""

    def __init__(self) -> None:
        self.fired = False

    def fire(self) -> None:
        if self.fired:
            return
        self.fired = True
        if getattr(_local, "delivering", False):
            return  # the running delivery loop takes the new rows itself
        try:
            from .tasks import outbox_deliver

            outbox_deliver()
        except Exception:
            # Best effort only: the minute sweep delivers what this nudge would have.
            logger.warning("outbox: could not enqueue a delivery run", exc_info=True)


def _nudge_after_commit() -> None:
    conn = transaction.get_connection()
    nudge = getattr(conn, "_outbox_nudge", None)
    if nudge is None or nudge.fired:
        nudge = _Nudge()
        conn._outbox_nudge = nudge  # type: ignore[attr-defined]
    transaction.on_commit(nudge.fire, robust=True)


# --- delivering ------------------------------------------------------------------------
def backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """How long to wait after ``attempts`` failed tries: base, 2×base, 4×base … at most cap."""
    return min(cap, base * 2 ** max(attempts - 1, 0))


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"delivered: {self.delivered}, retried: {self.retried}, failed: {self.failed}"


def _error_text(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc))
    return text[-MAX_ERROR_LENGTH:]


def _claim_due(limit: int) -> list[OutboxDelivery]:
    return list(
        OutboxDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("event")
        .filter(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")[:limit]
    )


def _handler(delivery: OutboxDelivery) -> Handler:
    handler = _handlers.get(delivery.handler)
    if handler is None:
        raise LookupError(f"no outbox handler is registered as {delivery.handler!r}")
    return handler


def _database_only(delivery: OutboxDelivery) -> bool:
    handler = _handlers.get(delivery.handler)
    return handler is not None and handler.database_only


def _failed(delivery: OutboxDelivery, exc: Exception) -> str:
    """Keep the error on ``delivery`` and schedule its next attempt, or give up; saved."""
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_error = _error_text(exc)
    if delivery.attempts >= _setting("OUTBOX_MAX_ATTEMPTS", OUTBOX_MAX_ATTEMPTS):
        delivery.state = DeliveryState.FAILED
        outcome = "failed"
        logger.error(
            "outbox: %s gave up on event %s after %d attempts",
            delivery.handler,
            delivery.event_id,
            delivery.attempts,
            exc_info=exc,
        )
    else:
        delivery.next_attempt_at = now + backoff(
            delivery.attempts,
            base=timedelta(
                seconds=_setting("OUTBOX_RETRY_BASE_SECONDS", OUTBOX_RETRY_BASE_SECONDS)
            ),
            cap=timedelta(seconds=_setting("OUTBOX_RETRY_CAP_SECONDS", OUTBOX_RETRY_CAP_SECONDS)),
        )
        outcome = "retried"
        logger.warning(
            "outbox: %s failed on event %s (attempt %d), next at %s",
            delivery.handler,
            delivery.event_id,
            delivery.attempts,
            delivery.next_attempt_at.isoformat(),
            exc_info=exc,
        )
    delivery.save(update_fields=["attempts", "state", "next_attempt_at", "last_error"])
    return outcome


def _deliver_batch(limit: int) -> tuple[Counter[str], bool]:
    """Claim, run and mark a batch of due rows in one transaction (see the module's
    docstring): the outcomes, and whether the batch was one row acting outside the
    database (the next batch then claims one row too: such rows tend to come in runs)."""
    outcomes: Counter[str] = Counter()
    with transaction.atomic():
        claimed = _claim_due(limit)
        started = time.monotonic()
        delivered: list[int] = []
        for position, delivery in enumerate(claimed):
            alone = not _database_only(delivery)
            if position and (alone or time.monotonic() - started > BATCH_SECONDS):
                break  # released by the commit, taken by the next batch
            try:
                handler = _handler(delivery)
                with transaction.atomic():  # the handler's writes go if it raises
                    handler.func(delivery.event)
            except Exception as exc:
                outcomes[_failed(delivery, exc)] += 1
            else:
                delivered.append(delivery.pk)
                outcomes["delivered"] += 1
            if alone:
                break
        if delivered:
            OutboxDelivery.objects.filter(pk__in=delivered).update(
                state=DeliveryState.DELIVERED,
                delivered_at=timezone.now(),
                attempts=F("attempts") + 1,
            )
    return outcomes, bool(claimed) and not _database_only(claimed[0])


def _one_writer_at_a_time() -> bool:
    return connection.vendor == "sqlite"


def deliver_due(*, limit: int = RUN_LIMIT) -> DeliveryReport:
    """Deliver the pending rows whose time has come (at most ``limit``); safe to run in
    many processes at once."""
    counts: Counter[str] = Counter()
    outer = getattr(_local, "delivering", False)
    _local.delivering = True
    claim = CLAIM_BATCH
    try:
        while counts.total() < limit:
            started = time.monotonic()
            try:
                outcomes, ran_alone = _deliver_batch(min(claim, limit - counts.total()))
            except Exception:
                # The transaction itself failed (the database went away, a handler broke
                # the connection): nothing was marked; the rows are due again next run.
                logger.exception("outbox: a delivery run stopped")
                break
            if not outcomes:
                break
            counts.update(outcomes)
            claim = 1 if ran_alone else CLAIM_BATCH
            if _one_writer_at_a_time() and time.monotonic() - started > SQLITE_LONG_TRANSACTION:
                time.sleep(SQLITE_BREATHER)
    finally:
        _local.delivering = outer
    return DeliveryReport(**counts)


# --- operating -------------------------------------------------------------------------
def deliveries_retry(*, deliveries: QuerySet[OutboxDelivery], now: datetime | None = None) -> int:
    """Make ``deliveries`` due now (the admin's "retry now"). A delivered row is left alone:
    delivering it again would do its work twice. A failed row gets one more attempt (and is
    failed again if that fails too). Returns how many rows were made due."""
    now = now or timezone.now()
    with transaction.atomic():
        count = deliveries.exclude(state=DeliveryState.DELIVERED).update(
            state=DeliveryState.PENDING, next_attempt_at=now
        )
        if count:
            _nudge_after_commit()
    return count


def forget_delivered(*, now: datetime | None = None) -> int:
    """Drop the events older than ``OUTBOX_KEEP_DAYS`` whose every delivery is done (events
    with a pending or failed delivery stay in sight). Returns how many events went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=_setting("OUTBOX_KEEP_DAYS", OUTBOX_KEEP_DAYS))
    old = OutboxEvent.objects.filter(created_at__lt=cutoff).exclude(
        deliveries__state__in=[DeliveryState.PENDING, DeliveryState.FAILED]
    )
    _total, by_model = old.delete()
    return by_model.get(OutboxEvent._meta.label, 0)
