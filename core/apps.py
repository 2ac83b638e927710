from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import outbox
        from .signing import workflow

        outbox.register(
            workflow.ARCHIVE_PDF,
            events=[workflow.DOCUMENT_SIGNED],
            func=workflow.archive_pdf_delivered,
        )
