from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .deliveries import deliveries_retry
from .models import (
    Delivery,
    GroupRobot,
    InboxMessage,
    NotificationPreference,
    NotificationRoute,
    SmsGateway,
    WebhookDelivery,
    WebhookSubscription,
)
from .routing import routed_kinds
from .webhooks import webhook_redeliver


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "user", "kind", "created_at", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject", "user__username", "dedupe_key"]
    raw_id_fields = ["user"]
    readonly_fields = ["dedupe_key", "created_at"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "channels"]
    search_fields = ["user__username", "kind"]
    raw_id_fields = ["user"]


@admin.register(NotificationRoute)
class NotificationRouteAdmin(admin.ModelAdmin):
    """Who is told of what: one row per kind of event and audience, switched on or off.
    The pairs come from the apps (``notify.routing``), so rows are neither added nor
    deleted here."""

    list_display = ["kind_label", "audience_label", "active"]
    list_editable = ["active"]
    list_filter = ["kind", "active"]
    fields = ["kind_label", "audience_label", "active"]
    readonly_fields = ["kind_label", "audience_label"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, route: NotificationRoute) -> str:
        kind = routed_kinds().get(route.kind)
        return f"{kind.label} ({route.kind})" if kind else route.kind

    @admin.display(description=_("who is told"), ordering="audience")
    def audience_label(self, route: NotificationRoute) -> str:
        kind = routed_kinds().get(route.kind)
        audience = kind.audiences.get(route.audience) if kind else None
        return str(audience.label) if audience else route.audience


@admin.register(GroupRobot)
class GroupRobotAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "hospital", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]


@admin.register(SmsGateway)
class SmsGatewayAdmin(admin.ModelAdmin):
    list_display = ["url", "method", "active"]


class ReadOnlyLogAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyLogAdmin):
    """The delivery log: every message on every channel, with its state and last error."""

    list_display = ["created_at", "recipient", "channel", "subject", "state", "attempts",
                    "response_code", "sent_at"]  # fmt: skip
    list_filter = ["channel", "state", "kind"]
    search_fields = ["recipient", "address", "subject", "key"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]

    @admin.action(description=_("Try again now"))
    def retry_now(self, request, queryset):
        count = deliveries_retry(deliveries=queryset)
        self.message_user(
            request,
            ngettext("%(count)d delivery queued.", "%(count)d deliveries queued.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyLogAdmin):
    list_display = ["created_at", "subscription", "event_kind", "state", "attempts",
                    "response_code", "sent_at", "delivery_id"]  # fmt: skip
    list_filter = ["state", "event_kind", "subscription"]
    search_fields = ["delivery_id", "event_kind"]
    date_hierarchy = "created_at"
    actions = ["redeliver"]

    @admin.action(description=_("Redeliver"))
    def redeliver(self, request, queryset):
        count = 0
        for delivery in queryset:
            webhook_redeliver(delivery=delivery)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d delivery queued.", "%(count)d deliveries queued.", count)
            % {"count": count},
            messages.SUCCESS,
        )
