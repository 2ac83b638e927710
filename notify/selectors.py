"""Reads of the inbox."""

from __future__ import annotations

from django.db.models import Case, QuerySet, Value, When

from accounts.models import User

from .models import InboxMessage


def inbox_of(user: User) -> QuerySet[InboxMessage]:
    """The user's messages, unread first, newest first within each."""
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1))
    return InboxMessage.objects.for_user(user).order_by(unread_first, "-created_at", "-pk")


def unread_count(user: User) -> int:
    return InboxMessage.objects.for_user(user).unread().count()


def preferences_of(user: User) -> list[dict]:
    """Every kind with the channels ``user`` gets for it (the defaults where unset)."""
    from .kinds import KINDS
    from .models import DEFAULT_CHANNELS, NotificationPreference

    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channels"))
    return [
        {
            "kind": kind,
            "label": str(label),
            "channels": list(chosen.get(kind, [str(c) for c in DEFAULT_CHANNELS])),
        }
        for kind, label in KINDS.items()
    ]


def webhook_subscriptions_for(user: User):
    """The vendor's administrators see the subscriptions; nobody else has any."""
    from .models import WebhookSubscription

    if not user.has_perm("notify.manage_webhooks"):
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.order_by("name", "pk")


def webhook_deliveries_for(user: User):
    from .models import WebhookDelivery

    if not user.has_perm("notify.manage_webhooks"):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.select_related("subscription")


def deliveries_about(*, about_type: str, about_id: int, user: User):
    """Who was told of one record, newest first; a hospital's user sees only their own."""
    from .models import Delivery

    rows = Delivery.objects.filter(about_type=about_type, about_id=about_id)
    if not user.has_perm("notify.view_delivery"):
        rows = rows.filter(user=user)
    return rows.select_related("user", "robot").order_by("-created_at", "-pk")
