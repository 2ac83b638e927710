from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Service archive")

    def ready(self) -> None:
        """What the archive shows is kept: each source's ``RETAINED`` models are guarded
        against every delete (``core.retention``)."""
        from core import retention

        from .sources import installed_sources

        for source in installed_sources():
            for model, when in getattr(source, "RETAINED", {}).items():
                retention.retain(model, when=when)
