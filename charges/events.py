"""The domain events of charge statements (``core.outbox``), and charges' own handlers.

Accepting a statement writes ``charges.statement_accepted`` in its transaction; the worker
then renders and stores the PDF (``render_statement_pdf``). Disputing writes
``charges.statement_disputed``: the service managers are told (inbox and e-mail,
``notify_dispute``). Sending and answering a dispute (a message or a credit note) write
``charges.statement_sent`` / ``charges.statement_answered``: the hospital's users who may
accept are told (``notify_hospital``). Payloads: {statement_id, request_id, user_id}.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from contracts.selectors import ServiceManagers
from core import outbox
from core.models import OutboxEvent
from customers.models import HospitalMembership, HospitalRole
from notify import routing
from notify.routing import Audience, Message, Recipients
from service.notices import department_contact_of, reporter_of

from .models import ChargeStatement

STATEMENT_ACCEPTED = "charges.statement_accepted"
STATEMENT_DISPUTED = "charges.statement_disputed"
STATEMENT_SENT = "charges.statement_sent"
STATEMENT_ANSWERED = "charges.statement_answered"
RENDER_PDF = "charges.render_statement_pdf"
NOTIFY_DISPUTE = "charges.notify_dispute"
NOTIFY_HOSPITAL = "charges.notify_hospital"
KIND_DISPUTED = "charges.statement_disputed"
KIND_SENT = "charges.statement_sent"


def publish(name: str, *, statement: ChargeStatement, user_id: int | None) -> None:
    outbox.publish(
        name,
        {"statement_id": statement.pk, "request_id": statement.request_id, "user_id": user_id},
    )


def render_statement_pdf(event: OutboxEvent) -> None:
    """Idempotent: a statement that has its PDF (an earlier delivery, or the download that
    renders a missing one on demand) is left as it is; accepted content never changes."""
    from .services import charge_statement_render_pdf

    statement_id = event.payload["statement_id"]
    if ChargeStatement.objects.filter(pk=statement_id).exclude(pdf="").exists():
        return
    charge_statement_render_pdf(statement_id=statement_id)


def _statement(event: OutboxEvent) -> ChargeStatement | None:
    return (
        ChargeStatement.objects.select_related(
            "request__hospital",
            "request__department__responsible_contact",
            "request__contract__service_manager",
            "request__recorded_by",
        )
        .filter(pk=event.payload["statement_id"])
        .first()
    )


# --- who is told (``notify.routing``) -----------------------------------------------------
def _service_manager(statement: ChargeStatement) -> Recipients:
    return Recipients(users=ServiceManagers().of(statement.request.contract))


def hospital_recipients(statement: ChargeStatement) -> list[User]:
    """Who may accept: the hospital's equipment administrators and the users of the
    request's department."""
    request = statement.request
    memberships = HospitalMembership.objects.filter(
        Q(role=HospitalRole.EQUIPMENT_ADMIN) | Q(departments=request.department_id),
        hospital_id=request.hospital_id,
        user__is_active=True,
    ).select_related("user")
    return list({m.user.pk: m.user for m in memberships.order_by("pk")}.values())


def _acceptors(statement: ChargeStatement) -> Recipients:
    return Recipients(users=hospital_recipients(statement))


def _reporter(statement: ChargeStatement) -> Recipients:
    return reporter_of(statement.request)


def _department_contact(statement: ChargeStatement) -> Recipients:
    return department_contact_of(statement.request)


SERVICE_MANAGER = Audience(
    "charges.service_manager", gettext_lazy("The contract's service manager"), _service_manager
)
ACCEPTORS = Audience(
    "charges.acceptors",
    gettext_lazy("The hospital users who may accept the statement"),
    _acceptors,
)
REPORTER = Audience(
    "charges.reporter", gettext_lazy("The hospital user who reported the fault"), _reporter
)
DEPARTMENT_CONTACT = Audience(
    "charges.department_contact",
    gettext_lazy("The department's responsible contact (e-mail)"),
    _department_contact,
)


def register_routes() -> None:
    """From ``ChargesConfig.ready``."""
    routing.register(KIND_DISPUTED, gettext_lazy("A charge statement is disputed"),
                     [SERVICE_MANAGER])  # fmt: skip
    hospital_side = [ACCEPTORS, REPORTER, DEPARTMENT_CONTACT]
    routing.register(KIND_SENT, gettext_lazy("A charge statement was sent"), hospital_side)
    routing.register(
        STATEMENT_ANSWERED, gettext_lazy("The vendor answered a disputed statement"), hospital_side
    )


def notify_dispute(event: OutboxEvent) -> None:
    """Tell the service manager what the hospital disputes, with its reason and a link to
    the answer form; once per dispute (keyed by the event)."""
    statement = _statement(event)
    if statement is None:
        return
    facts = {
        "number": statement.display_number,
        "hospital": statement.request.hospital.name,
        "department": statement.request.department.name,
        "reason": statement.dispute_comment,
    }
    url = reverse("charges:statement", args=[statement.request_id]) + "#answer"
    with translation.override(settings.LANGUAGE_CODE):
        message = Message(
            subject=_("Statement %(number)s disputed by %(hospital)s") % facts,
            body="\n".join(
                [
                    _("%(hospital)s (%(department)s) disputes statement %(number)s: %(reason)s")
                    % facts,
                    "",
                    _("Answer it with a message, a corrected statement or a credit note."),
                ]
            ),
            url=url,
            about=statement.request,
            hospital_id=statement.request.hospital_id,
        )
    routing.tell(kind=KIND_DISPUTED, subject=statement, message=message, key=str(event.pk))


def notify_hospital(event: OutboxEvent) -> None:
    """Tell the hospital a statement was sent to it, or that the vendor answered its
    dispute; once per event."""
    statement = _statement(event)
    if statement is None:
        return
    facts = {"number": statement.display_number, "request": statement.request.number}
    with translation.override(settings.LANGUAGE_CODE):
        if event.name == STATEMENT_SENT:
            subject = _("Charge statement %(number)s for %(request)s") % facts
            body = _("The vendor sent charge statement %(number)s: please accept or dispute it.")
        else:
            subject = _("Answer to your dispute of statement %(number)s") % facts
            body = _("The vendor answered your dispute of statement %(number)s.")
        message = Message(
            subject=subject,
            body=body % facts,
            url=reverse("charges:statement", args=[statement.request_id]),
            about=statement.request,
        )
    kind = KIND_SENT if event.name == STATEMENT_SENT else STATEMENT_ANSWERED
    routing.tell(kind=kind, subject=statement, message=message, key=str(event.pk))
