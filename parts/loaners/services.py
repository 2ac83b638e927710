"""Loaner units (备件先行, issue 5 §3, R-7.3): register a unit, install it at a hospital for a
request, take it back; and the reads that say who has which loaner since when.

Installing records the request's ``loaner_installed`` event through
``service.services.service_request_record_event`` (it meets the ``restored`` milestone), so
the SLA sees the loaner exactly as if the engineer had logged that step. The timeline has no
"loaner removed" event: the loan's ``returned_at`` is the record of the return
(docs/decisions.md). Every write locks the loaner row first, so two installs of one unit
queue up and the second sees it on loan; the partial unique index on open loans is the
backstop ("a loaner cannot be in two places").
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from assets.models import ProductModel
from core.errors import Conflict
from core.modeling import validated_save
from service.models import ServiceRequest
from service.services import service_request_record_event
from service.timeline import EventType

from ..models import Loan, LoanerState, LoanerUnit, StockLocation

MAX_FUTURE = timedelta(minutes=5)


class LoanerUnavailable(ValidationError):
    """The unit is not on a shelf (on loan, in repair, retired): nothing was written.
    Forms show it on ``loaner``; the API answers 409 ``loaner_unavailable``."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__({"loaner": ValidationError(text, code="loaner_unavailable")})


class LoanerStateConflict(Conflict):
    """The unit's state refuses this step (HTTP 409): nothing was written. Codes:
    ``on_loan`` (take it back first) and ``wrong_state``."""


def _check_time(when: datetime, field: str, *, now: datetime) -> None:
    if timezone.is_naive(when):
        raise ValidationError({field: _("Give the time with its time zone.")})
    if when > now + MAX_FUTURE:
        raise ValidationError({field: _("The time cannot be in the future.")})


def _check_location(location: StockLocation | None) -> StockLocation:
    if location is None:
        raise ValidationError({"location": _("Choose a stock location.")})
    if not location.active:
        raise ValidationError({"location": _("This stock location is closed.")})
    return location


# --- writes -------------------------------------------------------------------------------
@transaction.atomic
def loaner_create(
    *,
    product_model: ProductModel,
    serial_number: str,
    location: StockLocation | None,
    asset_tag: str = "",
    notes: str = "",
) -> LoanerUnit:
    """Register a vendor-owned unit, available at ``location``."""
    _check_location(location)
    return validated_save(
        LoanerUnit(
            product_model=product_model,
            serial_number=serial_number.strip(),
            asset_tag=asset_tag.strip(),
            location=location,
            notes=notes.strip(),
            state=LoanerState.AVAILABLE,
        )
    )


@transaction.atomic
def loaner_install(
    *,
    loaner: LoanerUnit,
    request: ServiceRequest,
    user: User,
    installed_at: datetime | None = None,
    notes: str = "",
    late_reason: str = "",
    now: datetime | None = None,
) -> Loan:
    """Put ``loaner`` in at the request's hospital: the ``loaner_installed`` event, the unit
    on loan, an open loan. Raises ``LoanerUnavailable`` when the unit is not available (a
    second submit of the same install included) and ``ValidationError`` by field for a
    closed request or a bad time (an install dated more than 15 minutes ago needs
    ``late_reason``, like any step recorded late); ``PermissionDenied`` for a user who does
    not record this request's steps; ``service.services.TimelineConflict`` if the timeline
    refuses the event."""
    now = now or timezone.now()
    installed_at = installed_at or now
    # The loaner row first: a second install of the same unit waits here, then sees it gone.
    loaner = LoanerUnit.objects.select_for_update().get(pk=loaner.pk)
    if loaner.state != LoanerState.AVAILABLE:
        current = Loan.objects.open().filter(loaner=loaner).select_related("request").first()
        if current is not None and current.request_id == request.pk:
            raise LoanerUnavailable(
                _("Loaner %(serial)s is already installed for %(number)s since %(since)s.")
                % {
                    "serial": loaner.serial_number,
                    "number": current.request.number,
                    "since": timezone.localtime(current.installed_at).strftime("%Y-%m-%d %H:%M"),
                }
            )
        if current is not None:
            raise LoanerUnavailable(
                _("Loaner %(serial)s is on loan for %(number)s.")
                % {"serial": loaner.serial_number, "number": current.request.number}
            )
        raise LoanerUnavailable(
            _("Loaner %(serial)s is not available (%(state)s).")
            % {"serial": loaner.serial_number, "state": loaner.get_state_display()}
        )
    if not ServiceRequest.objects.filter(pk=request.pk, is_open=True).exists():
        raise ValidationError({"request": _("This service request is closed.")})
    _check_time(installed_at, "installed_at", now=now)
    if installed_at < request.reported_at:
        raise ValidationError(
            {"installed_at": _("The time cannot be before the fault was reported.")}
        )
    try:
        service_request_record_event(
            request=request,
            type=EventType.LOANER_INSTALLED,
            occurred_at=installed_at,
            actor=user,
            data={"note": _("Loaner %(serial)s installed.") % {"serial": loaner.serial_number}},
            late_reason=late_reason,
            now=now,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "occurred_at" in exc.error_dict:
            raise ValidationError({"installed_at": exc.error_dict["occurred_at"]}) from exc
        raise
    taken_from = loaner.location
    loaner.state, loaner.location = LoanerState.ON_LOAN, None
    loaner._history_user = user  # type: ignore[attr-defined]
    loaner.save(update_fields=["state", "location", "updated_at"])
    try:
        with transaction.atomic():
            return Loan.objects.create(
                loaner=loaner,
                request=request,
                hospital_id=request.hospital_id,
                department_id=request.department_id,
                taken_from=taken_from,
                installed_at=installed_at,
                installed_by=user,
                notes=notes.strip(),
            )
    except IntegrityError:  # pragma: no cover - the row lock makes this unreachable
        raise LoanerUnavailable(
            _("Loaner %(serial)s is on loan.") % {"serial": loaner.serial_number}
        ) from None


@transaction.atomic
def loaner_return(
    *,
    loan: Loan,
    user: User,
    location: StockLocation | None = None,
    returned_at: datetime | None = None,
    notes: str = "",
) -> Loan:
    """Close ``loan``: the unit is back on the shelf at ``location`` (default: where it was
    taken from). A loan already closed (a second submit) is refused by field ``loan``."""
    now = timezone.now()
    returned_at = returned_at or now
    # Same lock order as an install: the loaner, then its loan.
    LoanerUnit.objects.select_for_update().filter(pk=loan.loaner_id).first()
    loan = Loan.objects.select_for_update().select_related("loaner").get(pk=loan.pk)
    if loan.returned_at is not None:
        raise ValidationError(
            {
                "loan": ValidationError(
                    _("This loan was already closed on %(when)s.")
                    % {"when": timezone.localtime(loan.returned_at).strftime("%Y-%m-%d %H:%M")},
                    code="loan_closed",
                )
            }
        )
    location = _check_location(location or loan.taken_from)
    _check_time(returned_at, "returned_at", now=now)
    if returned_at < loan.installed_at:
        raise ValidationError(
            {"returned_at": _("The unit cannot come back before it was installed.")}
        )
    loan.returned_at, loan.returned_by, loan.returned_to = returned_at, user, location
    if notes.strip():
        loan.notes = "\n".join(filter(None, [loan.notes, notes.strip()]))
    loan.save(update_fields=["returned_at", "returned_by", "returned_to", "notes", "updated_at"])
    loaner = loan.loaner
    loaner.state, loaner.location = LoanerState.AVAILABLE, location
    loaner._history_user = user  # type: ignore[attr-defined]
    loaner.save(update_fields=["state", "location", "updated_at"])
    return loan


# --- state changes: in repair, back in service, retired ---------------------------
# Who and when is kept by django-simple-history (``LoanerUnit.history``); the note is appended
# to ``notes`` with the day and the step, so it shows on the unit and in every later history
# row, and its first 100 characters are the history row's change reason.
def _lock_for_change(loaner: LoanerUnit, allowed: tuple[str, ...], refused: str) -> LoanerUnit:
    """The loaner row, locked: an install and a retire of one unit queue up here and the
    second sees the first one's state. ``refused`` is the message for a wrong state."""
    loaner = LoanerUnit.objects.select_for_update().get(pk=loaner.pk)
    if loaner.state in allowed:
        return loaner
    if loaner.state == LoanerState.ON_LOAN:
        raise LoanerStateConflict(
            "on_loan",
            _("Loaner %(serial)s is on loan: take it back first.")
            % {"serial": loaner.serial_number},
        )
    raise LoanerStateConflict(
        "wrong_state",
        refused % {"serial": loaner.serial_number, "state": loaner.get_state_display()},
    )


def _change_state(
    loaner: LoanerUnit,
    *,
    user: User,
    state: str,
    location: StockLocation | None,
    step: str,
    note: str,
) -> LoanerUnit:
    note = note.strip()
    if note:
        stamp = timezone.localtime().strftime("%Y-%m-%d")
        loaner.notes = "\n".join(filter(None, [loaner.notes, f"{stamp} {step}: {note}"]))
        loaner._change_reason = note[:100]  # type: ignore[attr-defined]
    loaner.state, loaner.location = state, location
    loaner._history_user = user  # type: ignore[attr-defined]
    loaner.save(update_fields=["state", "location", "notes", "updated_at"])
    return loaner


@transaction.atomic
def loaner_send_to_repair(*, loaner: LoanerUnit, user: User, note: str = "") -> LoanerUnit:
    """An available unit goes to the workshop: off the shelf until it is back in service.
    Raises ``LoanerStateConflict`` (``on_loan``, ``wrong_state``)."""
    loaner = _lock_for_change(
        loaner,
        (LoanerState.AVAILABLE,),
        _("Loaner %(serial)s is %(state)s: only an available unit can go to repair."),
    )
    return _change_state(
        loaner,
        user=user,
        state=LoanerState.IN_REPAIR,
        location=None,
        step=_("Sent to repair"),
        note=note,
    )


@transaction.atomic
def loaner_back_in_service(
    *, loaner: LoanerUnit, location: StockLocation | None, user: User, note: str = ""
) -> LoanerUnit:
    """A repaired unit is available again at an active ``location``. Raises
    ``ValidationError`` on ``location`` and ``LoanerStateConflict``."""
    loaner = _lock_for_change(
        loaner,
        (LoanerState.IN_REPAIR,),
        _("Loaner %(serial)s is %(state)s: only a unit in repair can be put back in service."),
    )
    location = _check_location(location)
    return _change_state(
        loaner,
        user=user,
        state=LoanerState.AVAILABLE,
        location=location,
        step=_("Back in service"),
        note=note,
    )


@transaction.atomic
def loaner_retire(*, loaner: LoanerUnit, user: User, note: str = "") -> LoanerUnit:
    """The unit leaves the pool for good (scrapped, sold): final, it is never lent again.
    Available or in repair only; a unit on loan is taken back first."""
    loaner = _lock_for_change(
        loaner,
        (LoanerState.AVAILABLE, LoanerState.IN_REPAIR),
        _("Loaner %(serial)s is already %(state)s."),
    )
    return _change_state(
        loaner,
        user=user,
        state=LoanerState.RETIRED,
        location=None,
        step=_("Retired"),
        note=note,
    )


# --- reads --------------------------------------------------------------------------------
def loans_open() -> QuerySet[Loan]:
    """Loans not yet returned, the longest out first: who has which loaner since when."""
    return (
        Loan.objects.open()
        .select_related(
            "loaner__product_model", "request", "hospital", "department", "installed_by"
        )
        .order_by("installed_at", "pk")
    )


def loans_for_request(request: ServiceRequest) -> QuerySet[Loan]:
    return (
        Loan.objects.filter(request=request)
        .select_related("loaner__product_model", "installed_by", "returned_by", "returned_to")
        .order_by("-installed_at", "-pk")
    )


def loaners_with_loan(queryset: QuerySet[LoanerUnit] | None = None) -> QuerySet[LoanerUnit]:
    """Loaner units with ``open_loans`` (a list of at most one) prefetched."""
    units = LoanerUnit.objects.all() if queryset is None else queryset
    return units.select_related("product_model", "location").prefetch_related(
        Prefetch(
            "loans",
            queryset=Loan.objects.open().select_related("request", "hospital", "department"),
            to_attr="open_loans",
        )
    )


def loaner_state_history(loaner: LoanerUnit) -> list[dict[str, object]]:
    """The unit's state over time from its history rows, the newest first: one entry per
    change of state (edits that keep the state are left out)."""
    rows = list(
        loaner.history.select_related("history_user", "location").order_by(
            "history_date", "history_id"
        )
    )
    entries: list[dict[str, object]] = []
    previous = None
    for row in rows:
        if row.state != previous:
            entries.append(
                {
                    "at": row.history_date,
                    "user": row.history_user,
                    "state": row.state,
                    "state_label": LoanerState(row.state).label,
                    "location": row.location,
                    "reason": row.history_change_reason or "",
                }
            )
            previous = row.state
    return entries[::-1]


def current_loan(loaner: LoanerUnit) -> Loan | None:
    prefetched = getattr(loaner, "open_loans", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return Loan.objects.open().filter(loaner=loaner).first()


def requests_for_install(user: User) -> QuerySet[ServiceRequest]:
    """Open requests in the user's scope, the newest first: where a loaner may go."""
    return (
        ServiceRequest.objects.for_user(user)
        .open()
        .select_related("hospital", "device__product_model")
        .order_by("-reported_at")
    )
