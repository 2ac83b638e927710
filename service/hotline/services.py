"""Writes of the hotline desk (issue 13 §3, R-6.6): log a call; turn it into a service
request in one step, add it to the device's open request instead, close it as solved by
phone, or close it. Keyword-only, atomic; the request's own rules stay
``service.services``' (opening, the timeline, who records which step)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from assets.models import Device
from core import phones
from core.bounds import day_error
from core.errors import Conflict
from customers.models import Contact, Department, Hospital

from .. import services as requests
from ..models import Call, CallKind, CallOutcome, Channel, ServiceRequest, Severity
from ..timeline import EventType
from .selectors import open_request_on

TEXT_MAX = 5000


class DuplicateRequest(Conflict):
    """The device already has an open request (HTTP 409): nothing was opened. The desk
    offers to add the call to ``request`` instead, or to open a new one anyway."""

    def __init__(self, request: ServiceRequest) -> None:
        super().__init__(
            "open_request_exists",
            _(
                "%(device)s already has an open request, %(number)s: add the call to it, or "
                "open a new request anyway."
            )
            % {"device": request.device, "number": request.number},
        )
        self.request = request


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _require(user: User, perm: str, obj: Any = None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("Only the vendor's staff answer the hotline."))


def _check_moment(errors: dict[str, str], name: str, moment: datetime | None, now: datetime):
    if moment is None:
        return
    if timezone.is_naive(moment):
        errors[name] = _("Give the time with its time zone.")
    elif moment > now + requests.MAX_FUTURE:
        errors[name] = _("The time cannot be in the future.")
    elif problem := day_error(moment):
        errors[name] = problem


@transaction.atomic
def call_log(
    *,
    user: User,
    kind: str,
    said: str,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    caller_name: str = "",
    phone: str = "",
    hospital: Hospital | None = None,
    department: Department | None = None,
    device: Device | None = None,
    contact: Contact | None = None,
    guidance: str = "",
    now: datetime | None = None,
) -> Call:
    """Record a call as it was taken. The device, else the contact, says the hospital and
    department when the agent gave none; given ones must agree with them."""
    _require(user, "service.add_call")
    now = _now(now)
    started_at = started_at or now
    errors: dict[str, str] = {}
    if kind not in CallKind.values:
        errors["kind"] = _("Choose consultation, fault, complaint or follow-up.")
    if not (said or "").strip():
        errors["said"] = _("Write down what the caller said.")
    elif len(said) > TEXT_MAX:
        errors["said"] = _("Use at most %(count)d characters.") % {"count": TEXT_MAX}
    if len(guidance or "") > TEXT_MAX:
        errors["guidance"] = _("Use at most %(count)d characters.") % {"count": TEXT_MAX}
    _check_moment(errors, "started_at", started_at, now)
    _check_moment(errors, "ended_at", ended_at, now)
    if (
        ended_at is not None
        and not {"started_at", "ended_at"} & errors.keys()
        and ended_at < started_at
    ):
        errors["ended_at"] = _("The call cannot end before it started.")
    if device is not None:
        if hospital is not None and hospital.pk != device.hospital_id:
            errors["device"] = _("This device is not at the caller's hospital.")
        elif department is not None and department.pk != device.department_id:
            errors["device"] = _("This device is not in the caller's department.")
        hospital = hospital or device.hospital
        department = department or device.department
    if contact is not None:
        if hospital is not None and contact.hospital_id != hospital.pk:
            errors["contact"] = _("This contact belongs to another hospital.")
        hospital = hospital or contact.hospital
        if department is None and contact.department_id:
            department = contact.department
    if department is not None:
        if hospital is None:
            hospital = department.hospital
        elif department.hospital_id != hospital.pk:
            errors["department"] = _("This department belongs to another hospital.")
    if errors:
        raise ValidationError(errors)
    return Call.objects.create(
        started_at=started_at,
        ended_at=ended_at,
        kind=kind,
        caller_name=(caller_name or "").strip()[:100],
        phone=(phone or "").strip()[:60],
        phone_normalised=phones.normalise(phone)[:60],
        hospital=hospital,
        department=department,
        device=device,
        contact=contact,
        said=said.strip(),
        guidance=(guidance or "").strip(),
        recorded_by=user,
    )


def _locked(call: Call) -> Call:
    # ``of``: PostgreSQL locks no row of an outer join (the device may be none).
    return (
        Call.objects.select_for_update(of=("self",))
        .select_related("device__hospital")
        .get(pk=call.pk)
    )


def _refuse_if_done(call: Call) -> None:
    if call.outcome != CallOutcome.OPEN:
        raise Conflict(
            "call_done",
            _("This call is already dealt with (%(outcome)s).")
            % {"outcome": call.get_outcome_display()},
        )


@transaction.atomic
def call_open_request(
    *,
    call: Call,
    user: User,
    severity: str = Severity.NORMAL,
    force: bool = False,
    now: datetime | None = None,
) -> ServiceRequest:
    """One step from a call to a request: channel hotline, reported when the call started,
    the symptom what the caller said. A device with an open request raises
    ``DuplicateRequest`` unless ``force``. Sent twice, the second time returns the request
    the first one opened."""
    _require(user, "service.change_call", call)
    call = _locked(call)
    if call.outcome == CallOutcome.REQUEST_OPENED and call.request_id:
        return ServiceRequest.objects.get(pk=call.request_id)
    _refuse_if_done(call)
    if call.device is None:
        raise ValidationError({"device": _("Pick the device the call is about first.")})
    if not user.has_perm("service.add_servicerequest", call.device):
        raise PermissionDenied(_("You may not open a request on this device."))
    if not force and (existing := open_request_on(call.device_id, user=user)) is not None:
        raise DuplicateRequest(existing)
    created = requests.service_request_open(
        device=call.device,
        severity=severity,
        channel=Channel.HOTLINE,
        description=call.said,
        reported_at=call.started_at,
        reporter_name=call.caller_name,
        reporter_phone=call.phone,
        recorded_by=user,
        now=now,
    )
    call.request = created
    call.outcome = CallOutcome.REQUEST_OPENED
    call.save(update_fields=["request", "outcome", "updated_at"])
    return created


@transaction.atomic
def call_add_to_request(
    *, call: Call, user: User, request: ServiceRequest, now: datetime | None = None
) -> ServiceRequest:
    """Note the call on ``request``'s timeline (a ``call`` step) instead of opening another
    request for the same fault. Sent twice, noted once."""
    _require(user, "service.change_call", call)
    call = _locked(call)
    if call.outcome == CallOutcome.ADDED_TO_REQUEST and call.request_id == request.pk:
        return request
    _refuse_if_done(call)
    if call.device_id is not None and request.device_id != call.device_id:
        raise ValidationError({"request_id": _("This request is about another device.")})
    if call.hospital_id is not None and request.hospital_id != call.hospital_id:
        raise ValidationError({"request_id": _("This request belongs to another hospital.")})
    if not request.is_open:
        raise Conflict("request_closed", _("This request is closed: open a new one instead."))
    now = _now(now)
    who = call.caller_name or call.phone or _("unknown caller")
    note = _("%(kind)s call from %(who)s: %(said)s") % {
        "kind": call.get_kind_display(),
        "who": who,
        "said": call.said,
    }
    if call.guidance:
        note += "\n" + _("Guidance given: %(guidance)s") % {"guidance": call.guidance}
    requests.service_request_record_event(
        request=request,
        type=EventType.CALL,
        occurred_at=max(call.started_at, request.reported_at),
        actor=user,
        data={"note": note, "call_id": call.pk},
        idempotency_key=f"call-{call.pk}",
        now=now,
    )
    call.request = request
    call.outcome = CallOutcome.ADDED_TO_REQUEST
    call.save(update_fields=["request", "outcome", "updated_at"])
    return request


@transaction.atomic
def call_solve_by_phone(
    *, call: Call, user: User, guidance: str = "", now: datetime | None = None
) -> Call:
    """The caller's problem was solved by phone: the call is closed and, when it has an
    open request, the request's ``remote_resolved`` step is recorded (by those who may
    record it: an engineer of the request or a manager). Sent twice, done once."""
    _require(user, "service.change_call", call)
    now = _now(now)
    call = _locked(call)
    if call.outcome == CallOutcome.SOLVED_BY_PHONE:
        return call
    if call.outcome == CallOutcome.CLOSED:
        _refuse_if_done(call)
    guidance = (guidance or "").strip()
    if len(guidance) > TEXT_MAX:
        raise ValidationError(
            {"guidance": _("Use at most %(count)d characters.") % {"count": TEXT_MAX}}
        )
    if guidance:
        call.guidance = guidance
    if call.request_id is not None:
        request = ServiceRequest.objects.get(pk=call.request_id)
        if request.is_open:
            requests.service_request_record_event(
                request=request,
                type=EventType.REMOTE_RESOLVED,
                occurred_at=now,
                actor=user,
                data={"note": call.guidance},
                idempotency_key=f"call-{call.pk}-solved",
                now=now,
            )
    call.outcome = CallOutcome.SOLVED_BY_PHONE
    call.ended_at = call.ended_at or now
    call.save(update_fields=["guidance", "outcome", "ended_at", "updated_at"])
    return call


@transaction.atomic
def call_close(*, call: Call, user: User, now: datetime | None = None) -> Call:
    """Close a call that needs nothing more (a consultation answered, a follow-up noted)."""
    _require(user, "service.change_call", call)
    call = _locked(call)
    if call.outcome == CallOutcome.CLOSED:
        return call
    _refuse_if_done(call)
    call.outcome = CallOutcome.CLOSED
    call.ended_at = call.ended_at or _now(now)
    call.save(update_fields=["outcome", "ended_at", "updated_at"])
    return call


@transaction.atomic
def call_act(
    *,
    call: Call,
    user: User,
    action: str,
    severity: str = Severity.NORMAL,
    guidance: str = "",
    open_request: ServiceRequest | None = None,
    now: datetime | None = None,
) -> Call:
    """One of the desk's buttons on a logged call: ``open_request`` (refused with
    ``DuplicateRequest`` when the device has an open request), ``open_request_anyway``,
    ``add_to_request`` (to ``open_request``), ``solved`` (by phone), ``close``;
    ``save`` does nothing more."""
    if action in ("open_request", "open_request_anyway"):
        call_open_request(
            call=call,
            user=user,
            severity=severity,
            force=action == "open_request_anyway",
            now=now,
        )
    elif action == "add_to_request":
        if open_request is None:
            raise ValidationError({"open_request": _("Choose the open request to add to.")})
        call_add_to_request(call=call, user=user, request=open_request, now=now)
    elif action == "solved":
        call_solve_by_phone(call=call, user=user, guidance=guidance, now=now)
    elif action == "close":
        call_close(call=call, user=user, now=now)
    elif action != "save":
        raise ValidationError({"action": _("Unknown action.")})
    call.refresh_from_db()
    return call


@transaction.atomic
def call_take(*, user: User, action: str, call_fields: dict[str, Any], **act: Any) -> Call:
    """The desk's form in one step: log the call and do what its button asks, or neither
    (a refused action leaves no call behind: the agent sees the warning and chooses)."""
    call = call_log(user=user, **call_fields)
    return call_act(call=call, user=user, action=action, **act)
