"""Who hears of a service request (issue 13 §2, R-6.2, R-6.3): the routed kinds of service
and their audiences (``notify.routing``), and the outbox handler that tells them.

- a new request (any channel) → the on-duty engineers of its region, the contract's
  dedicated engineers and the on-duty manager: the four hours on site start at the call,
  so the right engineer must know within the minute (the handler runs on the commit's
  nudge; the minute sweep is the fallback);
- engineers assigned → each of them, with the device, the hospital, the symptom, the next
  deadline and the caller's phone;
- an engineer arrived, the request resolved → the hospital user who reported it and the
  department's responsible contact.

The at-risk and breach alerts stay with the escalation sweep (``service.escalation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from contracts.selectors import ServiceManagers
from core.models import OutboxEvent
from duty.selectors import OnDuty, on_duty
from notify import routing
from notify.routing import Audience, Message, Recipients

from . import events
from .models import Milestone, ServiceEvent, ServiceRequest
from .timeline import EventType

HANDLER = "service.route_notices"
OPENED = events.REQUEST_OPENED
ASSIGNED = events.ENGINEERS_ASSIGNED
ARRIVED = events.step_recorded(EventType.ARRIVED)
RESOLVED = events.step_recorded(EventType.RESOLVED)
ROUTED_EVENTS = (OPENED, ASSIGNED, ARRIVED, RESOLVED)
# A step recorded this long after it happened is history, not news (``route``).
STALE_AFTER = timedelta(days=1)

DEDICATED = "service.dedicated_engineers"


@dataclass(frozen=True)
class Told:
    """What an audience is asked about: the request, and the engineers an assignment
    named (empty for the other kinds)."""

    request: ServiceRequest
    assigned: Sequence[User] = ()

    @cached_property
    def on_duty(self) -> OnDuty:
        # Read once for both on-duty audiences (cached_property writes past frozen).
        return on_duty(hospital=self.request.hospital)


# --- audiences ----------------------------------------------------------------------------
def _on_duty_engineers(told: Told) -> Recipients:
    return Recipients(users=told.on_duty.engineers)


def _on_duty_manager(told: Told) -> Recipients:
    manager = told.on_duty.manager
    return Recipients(users=[manager] if manager else [])


def _dedicated_engineers(told: Told) -> Recipients:
    contract_id = told.request.contract_id
    if contract_id is None:
        return Recipients()
    return Recipients(users=list(User.objects.filter(dedicated_contracts=contract_id)))


def _service_manager(told: Told) -> Recipients:
    request = told.request
    return Recipients(users=ServiceManagers().of(request.contract))


def _assigned_engineers(told: Told) -> Recipients:
    return Recipients(users=told.assigned)


def reporter_of(request: ServiceRequest) -> Recipients:
    """The hospital user who reported ``request``: the one who recorded it, else (a call
    taken by the hotline) the hospital's user with the caller's phone number. Charges
    tells the same person of a statement."""
    recorder = request.recorded_by
    if not recorder.is_vendor_staff:
        return Recipients(users=[recorder])
    phone = "".join(ch for ch in request.reporter_phone if ch.isdigit())
    if len(phone) < 7:
        return Recipients()
    users = User.objects.filter(
        hospital_membership__hospital_id=request.hospital_id, is_active=True
    ).exclude(phone="")
    return Recipients(
        users=[u for u in users if "".join(ch for ch in u.phone if ch.isdigit()) == phone]
    )


def department_contact_of(request: ServiceRequest) -> Recipients:
    """The department's responsible contact, who has no account: by e-mail."""
    contact = request.department.responsible_contact
    return Recipients(emails=[contact.email] if contact and contact.email else [])


def _reporter(told: Told) -> Recipients:
    return reporter_of(told.request)


def _department_contact(told: Told) -> Recipients:
    return department_contact_of(told.request)


ON_DUTY_ENGINEERS = Audience(
    "service.on_duty_engineers",
    gettext_lazy("The engineers on duty in the hospital's region"),
    _on_duty_engineers,
)
ON_DUTY_MANAGER = Audience(
    "service.on_duty_manager",
    gettext_lazy("The manager on duty in the hospital's region"),
    _on_duty_manager,
)
DEDICATED_ENGINEERS = Audience(
    DEDICATED, gettext_lazy("The contract's dedicated engineers"), _dedicated_engineers
)
SERVICE_MANAGER = Audience(
    "service.service_manager",
    gettext_lazy("The contract's service manager"),
    _service_manager,
    default=False,
)
ASSIGNED_ENGINEERS = Audience(
    "service.assigned_engineers", gettext_lazy("The engineers assigned"), _assigned_engineers
)
REPORTER = Audience(
    "service.reporter", gettext_lazy("The hospital user who reported it"), _reporter
)
DEPARTMENT_CONTACT = Audience(
    "service.department_contact",
    gettext_lazy("The department's responsible contact (e-mail)"),
    _department_contact,
)


def register() -> None:
    """From ``ServiceConfig.ready``: the kinds, their audiences, the handler."""
    from core import outbox

    routing.register(
        OPENED,
        gettext_lazy("A new service request"),
        [ON_DUTY_ENGINEERS, DEDICATED_ENGINEERS, ON_DUTY_MANAGER, SERVICE_MANAGER],
    )
    routing.register(
        ASSIGNED, gettext_lazy("You were assigned to a service request"), [ASSIGNED_ENGINEERS]
    )
    routing.register(
        ARRIVED, gettext_lazy("The engineer arrived on site"), [REPORTER, DEPARTMENT_CONTACT]
    )
    routing.register(
        RESOLVED, gettext_lazy("A service request was resolved"), [REPORTER, DEPARTMENT_CONTACT]
    )
    outbox.register(HANDLER, events=ROUTED_EVENTS, func=route, database_only=True)


# --- messages -----------------------------------------------------------------------------
def _request(request_id: int) -> ServiceRequest | None:
    """What every message names; the rest (the contract, the recorder, the department's
    contact) is read by the audience that needs it: PostgreSQL took longer to plan the
    ten-table join than to run it, a third of telling a new request."""
    return (
        ServiceRequest.objects.select_related(
            "device__product_model", "hospital__region", "department"
        )
        .filter(pk=request_id)
        .first()
    )


def _next_promise(request: ServiceRequest) -> Milestone | None:
    return (
        request.milestones.filter(met_at__isnull=True, due_at__isnull=False)
        .exclude(state="not_applicable")
        .order_by("due_at", "position")
        .first()
    )


def _facts(request: ServiceRequest) -> list[str]:
    """What an engineer needs to act without opening the page."""
    zone = request.hospital.time_zone
    facts = {
        "number": request.number,
        "device": str(request.device),
        "hospital": request.hospital.name,
        "department": request.department.name,
        "symptom": request.description,
        "severity": request.get_severity_display(),
        "caller": " ".join(p for p in (request.reporter_name, request.reporter_phone) if p) or "—",
    }
    lines = [
        _("Device: %(device)s") % facts,
        _("Hospital: %(hospital)s, %(department)s") % facts,
        _("Severity: %(severity)s") % facts,
        _("Symptom: %(symptom)s") % facts,
        _("Caller: %(caller)s") % facts,
    ]
    promise = _next_promise(request)
    if promise is not None and promise.due_at is not None:
        due = promise.due_at.astimezone(ZoneInfo(zone))
        lines.append(
            _("Next promise: %(promise)s by %(deadline)s")
            % {"promise": promise.name, "deadline": f"{due:%Y-%m-%d %H:%M} ({zone})"}
        )
    return lines


def _message(request: ServiceRequest, subject: str, lead: str) -> Message:
    from django.urls import reverse

    return Message(
        subject=subject,
        body="\n".join([lead, "", *_facts(request)]),
        url=reverse("service:request_detail", args=[request.pk]),
        about=request,
        hospital_id=request.hospital_id,
    )


def _hospital_message(request: ServiceRequest, subject: str, lead: str) -> Message:
    """For the hospital: no caller or deadline arithmetic, the device and the step."""
    from django.urls import reverse

    facts = {"device": str(request.device), "department": request.department.name}
    return Message(
        subject=subject,
        body="\n".join([lead, "", _("Device: %(device)s (%(department)s)") % facts]),
        url=reverse("service:request_detail", args=[request.pk]),
        about=request,
        hospital_id=request.hospital_id,
    )


def _happened_at(event: OutboxEvent, request: ServiceRequest) -> datetime:
    """When the step of ``event`` happened: its timeline entry's time, or the report's."""
    event_id = event.payload.get("event_id")
    if event_id is not None:
        occurred = (
            ServiceEvent.objects.filter(pk=event_id).values_list("occurred_at", flat=True).first()
        )
        if occurred is not None:
            return occurred
    return request.reported_at


def route(event: OutboxEvent) -> None:
    """The outbox handler of the routed service events: once per event (the notices are
    keyed by it), in the worker's transaction."""
    if (
        event.name == ASSIGNED
        and event.payload.get("event_id") is None
        and routing.is_active(OPENED, DEDICATED)
    ):
        # Taken at opening by the contract's dedicated engineers, who are told of the new
        # request itself: one message, not two.
        return
    request = _request(event.payload["request_id"])
    if request is None:
        return
    if event.created_at - _happened_at(event, request) > STALE_AFTER:
        # Written down long after it happened (a past year typed in, the demo's history):
        # news to nobody. A step recorded within the day is told, however late the worker.
        return
    facts = {"number": request.number, "hospital": request.hospital.name}
    exclude: set[int] = set()
    assigned: list[User] = []
    with translation.override(settings.LANGUAGE_CODE):
        if event.name == OPENED:
            subject = _("New service request %(number)s at %(hospital)s") % facts
            if request.severity == "emergency":
                subject = _("Emergency: %(subject)s") % {"subject": subject}
            message = _message(request, subject, _("A fault was reported; please take it."))
        elif event.name == ASSIGNED:
            assigned = list(User.objects.filter(pk__in=event.payload.get("engineer_ids") or []))
            subject = _("You are assigned to %(number)s at %(hospital)s") % facts
            message = _message(request, subject, _("You were assigned to this service request."))
        elif event.name == ARRIVED:
            subject = _("%(number)s: the engineer has arrived") % facts
            message = _hospital_message(
                request, subject, _("The vendor's engineer arrived on site.")
            )
            exclude.add(event.payload.get("actor_id") or 0)
        else:
            subject = _("%(number)s: resolved") % facts
            message = _hospital_message(
                request, subject, _("The engineer recorded the fault as resolved.")
            )
            exclude.add(event.payload.get("actor_id") or 0)
    told = Told(request=request, assigned=assigned)
    routing.tell(kind=event.name, subject=told, message=message, key=str(event.pk),
                 exclude=exclude)  # fmt: skip
