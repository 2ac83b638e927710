from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Monthly service reports")

    def ready(self) -> None:
        from core import outbox, retention

        from . import events, rules  # noqa: F401 - the permissions
        from .models import MonthlyReport

        # A report sent to a hospital is part of what the vendor proves: kept like a record.
        retention.retain(MonthlyReport)
        events.register_routes()
        outbox.register(
            events.NOTIFY_HOSPITAL,
            events=[events.REPORT_READY],
            func=events.notify_hospital,
            database_only=True,
        )
