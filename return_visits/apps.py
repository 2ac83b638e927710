from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnVisitsConfig(AppConfig):
    name = "return_visits"
    verbose_name = _("Return visits")

    def ready(self) -> None:
        # Its signed-document kind, so that the outbox can archive its PDFs in any process.
        from . import sheet  # noqa: F401
