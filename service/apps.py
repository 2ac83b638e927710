from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from . import notices

        # Who hears of a new request, an assignment, an arrival, a resolution.
        notices.register()
