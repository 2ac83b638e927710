"""A failed safety item on a visit tells the manager (issue 13 §2, R-4.2): the device is
out of use (停用) from that moment, and someone must decide what happens to it.

``visit_complete`` publishes ``maintenance.safety_failed`` with the out-of-use mark, in its
transaction; this handler tells the routed audiences (``notify.routing``) once per event.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.selectors import ServiceManagers
from core import outbox
from core.models import OutboxEvent
from notify import routing
from notify.routing import Audience, Message, Recipients

from .models import Visit

SAFETY_FAILED = "maintenance.safety_failed"
HANDLER = "maintenance.notify_safety_failed"


def publish_safety_failed(*, visit: Visit, reason: str) -> None:
    outbox.publish(SAFETY_FAILED, {"visit_id": visit.pk, "device_id": visit.device_id,
                                   "reason": reason})  # fmt: skip


def _service_manager(visit: Visit) -> Recipients:
    return Recipients(users=ServiceManagers().of(visit.contract))


def _visit_engineers(visit: Visit) -> Recipients:
    return Recipients(users=list(visit.engineers.all()))


SERVICE_MANAGER = Audience(
    "maintenance.service_manager", gettext_lazy("The contract's service manager"),
    _service_manager,
)  # fmt: skip
VISIT_ENGINEERS = Audience(
    "maintenance.visit_engineers", gettext_lazy("The visit's engineers"), _visit_engineers,
    default=False,
)  # fmt: skip


def register() -> None:
    """From ``MaintenanceConfig.ready``."""
    routing.register(
        SAFETY_FAILED,
        gettext_lazy("A safety check failed on a visit"),
        [SERVICE_MANAGER, VISIT_ENGINEERS],
    )
    outbox.register(HANDLER, events=[SAFETY_FAILED], func=notify_safety_failed, database_only=True)


def notify_safety_failed(event: OutboxEvent) -> None:
    visit = (
        Visit.objects.select_related(
            "device", "hospital", "department", "contract__service_manager"
        )
        .filter(pk=event.payload["visit_id"])
        .first()
    )
    if visit is None:
        return
    facts = {
        "device": str(visit.device),
        "hospital": visit.hospital.name,
        "department": visit.department.name,
        "reason": event.payload.get("reason", ""),
    }
    with translation.override(settings.LANGUAGE_CODE):
        message = Message(
            subject=_("Out of use: %(device)s at %(hospital)s") % facts,
            body="\n".join(
                [
                    _("A safety check failed on a visit; the device is out of use."),
                    "",
                    _("Hospital: %(hospital)s, %(department)s") % facts,
                    facts["reason"],
                ]
            ),
            url=reverse("assets:device_detail", args=[visit.device_id]),
            about=visit,
            hospital_id=visit.hospital_id,
        )
    routing.tell(kind=SAFETY_FAILED, subject=visit, message=message, key=str(event.pk))
