from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    name = "parts"
    verbose_name = _("Spare parts")

    def ready(self) -> None:
        from service.signals import request_event_recorded

        from . import receivers

        # Service publishes its timeline; parts reacts (docs/decisions.md, issue 5 §1).
        request_event_recorded.connect(receivers.reserve_on_dispatch, dispatch_uid="parts-dispatch")
        request_event_recorded.connect(receivers.release_on_close, dispatch_uid="parts-close")
