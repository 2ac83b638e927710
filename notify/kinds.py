"""The kinds of notification a person can choose channels for (the "my notifications"
page). Apps above notify name their kinds by string; the ones known here get a label, an
unknown kind still works with the default channels."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

KINDS: dict[str, Promise] = {
    "sla_at_risk": _("A promise is at risk"),
    "sla_breached": _("A promise was missed"),
    "sla_spare_parts_first": _("Spare parts first: put in a spare"),
    "visit_overdue": _("A maintenance visit is overdue"),
    "return_visit_overdue": _("A return visit is overdue"),
    "parts_below_reorder": _("Spare parts below the reorder level"),
}


def register(kind: str, label: Promise) -> None:
    """Make ``kind`` choosable on the preferences page (``notify.routing.register`` adds
    the routed kinds this way from the apps' ``AppConfig.ready``)."""
    KINDS.setdefault(kind, label)
