from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    name = "parts"
    verbose_name = _("Spare parts")

    def ready(self) -> None:
        from core import outbox

        from .reservations import handlers

        # Service publishes its timeline; parts reacts (docs/architecture.md, the outbox).
        outbox.register(
            handlers.RESERVE_ON_DISPATCH,
            events=[handlers.DISPATCHED],
            func=handlers.reserve_on_dispatch,
            database_only=True,
        )
        outbox.register(
            handlers.RELEASE_ON_CLOSE,
            events=[handlers.CLOSED],
            func=handlers.release_on_close,
            database_only=True,
        )
