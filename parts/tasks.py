"""Daily job: tell the service managers what fell below its reorder point (issue 5 §1).

A reorder point is claimed with a conditional UPDATE on ``notified_on`` before the notice
is sent, so several workers (or a rerun) tell each part × location once per day."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from accounts.models import User, VendorRole
from notify.services import Notice, notices_send

from .models import ReorderPoint
from .selectors import below_reorder, reserved_by_open_requests


@transaction.atomic
def reorder_notices_send(*, today: date) -> int:
    """Send one inbox notice per newly low part × location; returns how many."""
    low = below_reorder()
    managers = list(User.objects.filter(vendor_role=VendorRole.MANAGER, is_active=True))
    reserved = reserved_by_open_requests()
    notices = []
    for item in low:
        claimed = (
            ReorderPoint.objects.filter(part=item.part, location=item.location)
            .exclude(notified_on=today)
            .update(notified_on=today)
        )
        if not claimed:
            continue
        held = [
            r["request__number"]
            for r in reserved
            if r["part_id"] == item.part.pk and r["from_location_id"] == item.location.pk
        ]
        body = _(
            "%(part)s at %(location)s: %(available)s free (%(on_hand)s on hand, %(reserved)s "
            "reserved), reorder point %(minimum)s."
        ) % {
            "part": str(item.part),
            "location": item.location.name,
            "available": item.available,
            "on_hand": item.on_hand,
            "reserved": item.reserved,
            "minimum": item.minimum,
        }
        if held:
            body += " " + _("Reserved by open requests: %(numbers)s.") % {
                "numbers": ", ".join(held)
            }
        notices.append(
            Notice(
                users=managers,
                kind="parts_below_reorder",
                subject=_("Low stock: %(part)s at %(location)s")
                % {"part": item.part.part_number, "location": item.location.name},
                body=body,
                url=reverse("parts:stock") + f"?location={item.location.pk}",
                dedupe_key_prefix=f"reorder:{item.part.pk}:{item.location.pk}:{today.isoformat()}",
            )
        )
    notices_send(notices)
    return len(notices)


@db_periodic_task(crontab(hour="7", minute="0"))
def reorder_check() -> None:
    from django.conf import settings

    from core.timeutil import local_today

    reorder_notices_send(today=local_today(settings.TIME_ZONE))


# The catalogue import's background steps live with the import; importing them here lets
# the huey consumer (which autodiscovers ``tasks`` modules) know them.
from .catalogue_import.jobs import import_files_sweep, import_run, import_validate  # noqa: E402, F401
