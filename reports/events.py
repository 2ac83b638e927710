"""Who is told of a new monthly report (``notify.routing``): the hospital's equipment
administrators on their channels, and its contacts with an e-mail address, with a link they
can open without an account (``reports.links``). Once per report version (the outbox event
is the key)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import outbox
from core.models import OutboxEvent
from customers.models import Contact, HospitalMembership, HospitalRole
from notify import routing
from notify.routing import Audience, Message, Recipients

from .links import shared_url
from .models import MonthlyReport

REPORT_READY = "reports.monthly_report_ready"
NOTIFY_HOSPITAL = "reports.notify_hospital"
KIND_READY = "reports.monthly_report_ready"


def publish_ready(report: MonthlyReport) -> None:
    outbox.publish(REPORT_READY, {"report_id": report.pk})


def _equipment_admins(report: MonthlyReport) -> Recipients:
    memberships = HospitalMembership.objects.filter(
        hospital_id=report.hospital_id, role=HospitalRole.EQUIPMENT_ADMIN, user__is_active=True
    ).select_related("user")
    return Recipients(users=[m.user for m in memberships.order_by("pk")])


def _contacts(report: MonthlyReport) -> Recipients:
    emails = (
        Contact.objects.filter(hospital_id=report.hospital_id)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    return Recipients(emails=list(emails))


EQUIPMENT_ADMINS = Audience(
    "reports.equipment_admins",
    gettext_lazy("The hospital's equipment administrators"),
    _equipment_admins,
)
CONTACTS = Audience("reports.contacts", gettext_lazy("The hospital's contacts (e-mail)"), _contacts)


def register_routes() -> None:
    """From ``ReportsConfig.ready``."""
    routing.register(
        KIND_READY, gettext_lazy("A monthly service report is ready"), [EQUIPMENT_ADMINS, CONTACTS]
    )


def notify_hospital(event: OutboxEvent) -> None:
    report = (
        MonthlyReport.objects.select_related("hospital")
        .filter(pk=event.payload["report_id"])
        .first()
    )
    if report is None:
        return
    facts = {"hospital": report.hospital.name, "month": f"{report.month:%Y-%m}"}
    with translation.override(settings.LANGUAGE_CODE):
        message = Message(
            subject=_("Monthly service report %(month)s for %(hospital)s") % facts,
            body="\n".join(
                [
                    _("The service report of %(month)s for %(hospital)s is ready.") % facts,
                    _(
                        "It shows each promise's on-time rate, the visits done and due, "
                        "the open issues, the satisfaction and the parts replaced."
                    ),
                ]
            ),
            # The contacts have no account: the link carries its own signed permission.
            url=shared_url(report),
            hospital_id=report.hospital_id,
        )
    routing.tell(kind=KIND_READY, subject=report, message=message, key=str(event.pk))
