from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core import outbox

        from . import deliveries, emails, routing, webhooks

        post_migrate.connect(routing.routes_seed, sender=self)

        # E-mails queued before deliveries existed (issue 11) are still sent by this one.
        outbox.register(emails.HANDLER, events=[emails.EMAIL_QUEUED], func=emails.email_send)
        outbox.register(
            deliveries.HANDLER, events=[deliveries.DELIVERY_DUE], func=deliveries.delivery_send
        )
        outbox.register(
            webhooks.SEND_HANDLER, events=[webhooks.WEBHOOK_DUE], func=webhooks.webhook_send
        )
        # The relay writes the webhook deliveries; sending them is ``webhook_send``'s.
        outbox.register(
            webhooks.RELAY_HANDLER,
            events=webhooks.EVENT_KINDS,
            func=webhooks.relay,
            database_only=True,
        )
