from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChargesConfig(AppConfig):
    name = "charges"
    verbose_name = _("Charges")

    def ready(self) -> None:
        from core import outbox

        from . import events

        events.register_routes()

        outbox.register(
            events.RENDER_PDF,
            events=[events.STATEMENT_ACCEPTED],
            func=events.render_statement_pdf,
        )
        outbox.register(
            events.NOTIFY_DISPUTE,
            events=[events.STATEMENT_DISPUTED],
            func=events.notify_dispute,
            database_only=True,  # an inbox row and the deliveries' rows: sent by notify
        )
        outbox.register(
            events.NOTIFY_HOSPITAL,
            events=[events.STATEMENT_SENT, events.STATEMENT_ANSWERED],
            func=events.notify_hospital,
            database_only=True,
        )
