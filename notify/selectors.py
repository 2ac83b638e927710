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
