"""The outbox in the admin: what is waiting, what failed and why, and "retry now". Nothing
here is edited by hand: events are facts, deliveries change only through the worker and
the retry action (``core.outbox``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import OutboxDelivery, OutboxEvent
from .outbox import deliveries_retry


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # The list's actions need "change"; a row's own page is for reading only.
        return obj is None and super().has_change_permission(request)


class DeliveryInline(admin.TabularInline):
    model = OutboxDelivery
    fields = readonly_fields = (
        "handler",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_error",
    )
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(_ReadOnly):
    list_display = ["pk", "name", "created_at"]
    list_filter = ["name"]
    search_fields = ["name"]
    fields = readonly_fields = ("name", "payload", "created_at")
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(_ReadOnly):
    list_display = [
        "pk",
        "event_name",
        "handler",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "error_line",
    ]
    list_filter = ["state", "handler"]
    search_fields = ["handler", "event__name", "last_error"]
    list_select_related = ["event"]
    fields = readonly_fields = (
        "event",
        "event_payload",
        "handler",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_error",
    )
    actions = ["retry_now"]

    @admin.display(description=_("event name"), ordering="event__name")
    def event_name(self, delivery: OutboxDelivery) -> str:
        return delivery.event.name

    @admin.display(description=_("payload"))
    def event_payload(self, delivery: OutboxDelivery) -> object:
        return delivery.event.payload

    @admin.display(description=_("last error"))
    def error_line(self, delivery: OutboxDelivery) -> str:
        """The exception's own line: the last line of the kept traceback."""
        lines = delivery.last_error.strip().splitlines()
        return lines[-1][:200] if lines else ""

    @admin.action(description=_("Retry now"), permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxDelivery]) -> None:
        count = deliveries_retry(deliveries=queryset)
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery will be tried again now.",
                "%(count)d deliveries will be tried again now.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        if skipped > 0:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery was already delivered and is left alone.",
                    "%(count)d deliveries were already delivered and are left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
