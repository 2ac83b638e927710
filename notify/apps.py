from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from core import outbox

        from . import emails

        outbox.register(emails.HANDLER, events=[emails.EMAIL_QUEUED], func=emails.email_send)
