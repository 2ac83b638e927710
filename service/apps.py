from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        # Its signed-document kind, so that the outbox can archive its PDFs in any process.
        pass
