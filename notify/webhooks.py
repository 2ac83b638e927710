"""Outbound webhooks for integrators (issue 13 §2).

A ``WebhookSubscription`` names event kinds (``EVENT_KINDS``). ``publish(kind=…,
payload=…)`` writes one ``WebhookDelivery`` per subscription that wants the kind, in the
caller's transaction, and one outbox event (``notify.webhook_due``) per delivery. The
domain events already on the outbox reach it through the handler ``notify.webhooks_relay``
(registered in ``NotifyConfig.ready`` for every kind of ``EVENT_KINDS``).

The request, documented in docs/webhooks.md:

    POST <url>
    Content-Type: application/json
    X-Medservice-Event: service.request_opened
    X-Medservice-Delivery: 6f1c…               (the same on every attempt: drop repeats)
    X-Medservice-Timestamp: 1765094400          (unix seconds of this attempt)
    X-Medservice-Signature: sha256=<hex>        (HMAC-SHA256 with the subscription's secret
                                                 over "<timestamp>.<raw body>")

    {"id": "<delivery id>", "event": "<kind>", "occurred_at": "<ISO 8601 UTC>",
     "data": {…ids of the event…}}

A receiver recomputes the signature over the raw body and refuses a timestamp older than a
few minutes (a replay). Any 2xx is success; anything else, or no answer within
``CHANNEL_HTTP_TIMEOUT``, is retried with exponential backoff (1 min, 2, 4 … at most an
hour) for ``WEBHOOK_RETRY_HOURS`` (24) after the event; then the delivery is failed. The
target is checked again at every attempt (``notify.outbound``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import OutboxEvent

from .deliveries import MAX_ERROR, schedule
from .models import DeliveryState, WebhookDelivery, WebhookSubscription
from .outbound import ChannelError, request

WEBHOOK_DUE = "notify.webhook_due"
SEND_HANDLER = "notify.send_webhook"
RELAY_HANDLER = "notify.webhooks_relay"

# The event kinds an integrator can subscribe to, with what "data" holds.
EVENT_KINDS: dict[str, Any] = {
    "service.request_opened": gettext_lazy("A service request was opened"),
    "service.engineers_assigned": gettext_lazy("Engineers were assigned to a request"),
    "service.request_dispatched": gettext_lazy("An engineer was dispatched"),
    "service.request_arrived": gettext_lazy("The engineer arrived on site"),
    "service.request_resolved": gettext_lazy("A request was resolved"),
    "service.request_closed": gettext_lazy("A request was closed"),
    "service.milestone_at_risk": gettext_lazy("A promise is at risk"),
    "service.milestone_breached": gettext_lazy("A promise was missed"),
    "charges.statement_sent": gettext_lazy("A charge statement was sent"),
    "charges.statement_accepted": gettext_lazy("A charge statement was accepted"),
    "charges.statement_disputed": gettext_lazy("A charge statement was disputed"),
}


def event_kinds_check(kinds: Any) -> None:
    if not isinstance(kinds, list) or not kinds:
        raise ValidationError({"event_kinds": _("Choose at least one event kind.")})
    unknown = [k for k in kinds if k not in EVENT_KINDS]
    if unknown:
        raise ValidationError(
            {
                "event_kinds": _("Unknown event kinds: %(kinds)s.")
                % {"kinds": ", ".join(map(str, unknown))}
            }
        )


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def body_of(*, delivery_id: uuid.UUID, kind: str, occurred_at: datetime, payload: Mapping) -> str:
    return json.dumps(
        {
            "id": str(delivery_id),
            "event": kind,
            "occurred_at": occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": dict(payload),
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


@transaction.atomic(savepoint=False)  # inside the caller's transaction: all or nothing
def publish(
    *,
    kind: str,
    payload: Mapping[str, Any],
    source_key: str | None = None,
    occurred_at: datetime | None = None,
) -> list[WebhookDelivery]:
    """Tell every active subscription of ``kind``: one delivery each, sent by the worker.
    ``source_key`` (e.g. the domain event's id) makes a second call for one event a no-op."""
    occurred_at = occurred_at or timezone.now()
    source_key = source_key or f"call:{uuid.uuid4()}"
    subscriptions = [
        s for s in WebhookSubscription.objects.filter(active=True) if kind in s.event_kinds
    ]
    done = set(
        WebhookDelivery.objects.filter(
            subscription__in=subscriptions, source_key=source_key
        ).values_list("subscription_id", flat=True)
    )
    rows = []
    for subscription in subscriptions:
        if subscription.pk in done:
            continue
        delivery_id = uuid.uuid4()
        rows.append(
            WebhookDelivery(
                delivery_id=delivery_id,
                subscription=subscription,
                source_key=source_key,
                event_kind=kind,
                body=body_of(
                    delivery_id=delivery_id, kind=kind, occurred_at=occurred_at, payload=payload
                ),
                created_at=timezone.now(),
            )
        )
    for row in rows:
        row.save()
    schedule(WEBHOOK_DUE, [{"webhook_delivery_id": row.pk} for row in rows])
    return rows


def relay(event: OutboxEvent) -> None:
    """The outbox handler that hands a domain event to the webhooks."""
    publish(
        kind=event.name,
        payload=event.payload,
        source_key=f"outbox:{event.pk}",
        occurred_at=event.created_at,
    )


def webhook_send(event: OutboxEvent) -> None:
    """The outbox handler of ``notify.webhook_due``: one attempt, marked in the claim's
    transaction; a failure schedules the next attempt (see the module's docstring)."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("subscription")
        .filter(pk=event.payload["webhook_delivery_id"])
        .first()
    )
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return
    now = timezone.now()
    delivery.attempts += 1
    subscription = delivery.subscription
    body = delivery.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "medservice-webhooks/1",
        "X-Medservice-Event": delivery.event_kind,
        "X-Medservice-Delivery": str(delivery.delivery_id),
        "X-Medservice-Timestamp": str(timestamp),
        "X-Medservice-Signature": signature(
            secret=subscription.secret, timestamp=timestamp, body=body
        ),
    }
    try:
        if not subscription.active:
            raise ChannelError(_("The subscription is switched off."))
        response = request("POST", subscription.url, body=body, headers=headers)
    except ChannelError as exc:
        delivery.response_code = exc.status
        delivery.last_error = str(exc)[:MAX_ERROR]
        wait = min(
            timedelta(seconds=int(getattr(settings, "WEBHOOK_RETRY_CAP_SECONDS", 3600))),
            timedelta(seconds=int(getattr(settings, "WEBHOOK_RETRY_BASE_SECONDS", 60)))
            * 2 ** (delivery.attempts - 1),
        )
        window = timedelta(hours=int(getattr(settings, "WEBHOOK_RETRY_HOURS", 24)))
        if not subscription.active or now + wait > delivery.created_at + window:
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + wait
            schedule(
                WEBHOOK_DUE, [{"webhook_delivery_id": delivery.pk}], at=delivery.next_attempt_at
            )
    else:
        delivery.response_code = response.status
        delivery.state = DeliveryState.SENT
        delivery.sent_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.last_error = ""
    delivery.save()


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send ``delivery`` again now, with the same id and body (a receiver that already has
    it drops it). A delivery waiting for its next attempt is simply made due now."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.PENDING, next_attempt_at=timezone.now()
    )
    schedule(WEBHOOK_DUE, [{"webhook_delivery_id": delivery.pk}])
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def webhook_subscription_save(
    *, subscription: WebhookSubscription | None = None, **fields: Any
) -> WebhookSubscription:
    """Create or change a subscription; the target address and kinds are checked."""
    subscription = subscription or WebhookSubscription()
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.full_clean()
    subscription.save()
    return subscription
