"""Writes of the monthly return visits (回访, R-7.1): plan them ahead, report the overdue
ones once, add one by hand, cancel one. The sheet itself (record, sign, PDF) is
``return_visits.sheet``; its functions are re-exported here, so callers import every write
from one place.

Generation is idempotent: a department has at most one return visit per month that is not
cancelled (a unique constraint), and the job creates only the (department, month) pairs
that have no visit at all, so a second run creates nothing and a cancelled visit is never
planned again.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User, VendorRole
from contracts.models import Contract
from contracts.selectors import ServiceManagers
from core.errors import Conflict
from core.sweeps import sweep_windows_ended
from core.timeutil import local_today
from customers.models import Department, Hospital
from notify.services import Notice, notices_send

from .models import ReturnVisit, ReturnVisitState
from .schedule import months_ahead, slot
from .selectors import (
    default_engineer_ids,
    department_contracts,
    departments_to_visit,
    return_visit_numbers,
)
from .sheet import return_visit_pdf, return_visit_record, return_visit_sign

__all__ = [
    "KIND_OVERDUE",
    "GenerationResult",
    "return_visit_cancel",
    "return_visit_create",
    "return_visit_pdf",
    "return_visit_record",
    "return_visit_sign",
    "return_visit_sweep_overdue",
    "return_visits_generate",
]

logger = logging.getLogger(__name__)

KIND_OVERDUE = "return_visit_overdue"
SWEEP_BATCH_SIZE = 200
Assignment = ReturnVisit.engineers.through


@dataclass(frozen=True)
class GenerationResult:
    created: int = 0
    months: tuple[date, ...] = ()


# --- planning ahead ------------------------------------------------------------------------
def _insert(visits: list[ReturnVisit]) -> list[ReturnVisit]:
    """Insert ``visits``; those a concurrent run inserted first are skipped."""
    if not visits:
        return []
    try:
        with transaction.atomic():
            return ReturnVisit.objects.bulk_create(visits)
    except IntegrityError:
        pass
    saved = []
    for visit in visits:
        try:
            with transaction.atomic():
                visit.save(force_insert=True)
        except IntegrityError:
            visit.pk = None
            continue
        saved.append(visit)
    return saved


def return_visits_generate(
    *,
    today: date | None = None,
    horizon_days: int | None = None,
    due_day: int | None = None,
    department_ids: Collection[int] | None = None,
) -> GenerationResult:
    """Plan the return visits of this month and of the months due within the horizon (the
    configured numbers unless given), one per department with a device in service cover,
    assigned to the dedicated engineers of the department's contracts. ``today`` defaults
    to each hospital's own today; ``department_ids`` limits the planning to those
    departments (the demo's history plans past months for a few). Creates only what is
    missing."""
    numbers = return_visit_numbers()
    horizon = numbers.horizon_days if horizon_days is None else horizon_days
    day_of_month = due_day or numbers.due_day
    created = 0
    months: set[date] = set()
    zones = sorted(set(Hospital.objects.values_list("time_zone", flat=True)))
    for zone in zones:
        slots = months_ahead(today or local_today(zone), horizon_days=horizon, due_day=day_of_month)
        months.update(s.month for s in slots)
        wanted = departments_to_visit(time_zone=zone, slots=slots)
        if department_ids is not None:
            wanted = {
                month: {d: h for d, h in chosen.items() if d in department_ids}
                for month, chosen in wanted.items()
            }
        with transaction.atomic():
            existing = set(
                ReturnVisit.objects.filter(
                    month__in=[s.month for s in slots], department_id__in=_ids(wanted)
                ).values_list("department_id", "month")
            )
            new = [
                ReturnVisit(
                    hospital_id=hospital_id,
                    department_id=department_id,
                    month=s.month,
                    due_on=s.due_on,
                    window_start=s.window_start,
                    window_end=s.window_end,
                    scheduled=True,
                )
                for s in slots
                for department_id, hospital_id in sorted(wanted[s.month].items())
                if (department_id, s.month) not in existing
            ]
            saved = _insert(new)
            engineers = default_engineer_ids({v.department_id for v in saved})
            Assignment.objects.bulk_create(
                [
                    Assignment(returnvisit_id=v.pk, user_id=user_id)
                    for v in saved
                    for user_id in engineers.get(v.department_id, [])
                ],
                ignore_conflicts=True,
            )
        created += len(saved)
    if created:
        logger.info("return visits planned: %s", created)
    return GenerationResult(created=created, months=tuple(sorted(months)))


def _ids(wanted: dict[date, dict[int, int]]) -> set[int]:
    return {department_id for chosen in wanted.values() for department_id in chosen}


def _engineers_clean(engineers: Iterable[User]) -> list[User]:
    people = list(dict.fromkeys(engineers))
    wrong = [u for u in people if not u.is_active or u.vendor_role != VendorRole.ENGINEER]
    if wrong:
        raise ValidationError(
            {
                "engineers": _("Only active service engineers can be assigned: %(names)s.")
                % {"names": ", ".join(str(u) for u in wrong)}
            }
        )
    return people


def return_visit_create(
    *,
    department: Department,
    month: date,
    user: User,
    due_on: date | None = None,
    engineers: Iterable[User] | None = None,
) -> ReturnVisit:
    """A return visit added by hand for ``department`` in ``month`` (any day of it): this
    month or a later one. ``Conflict`` when the department already has one that month."""
    hospital = department.hospital
    numbers = return_visit_numbers()
    planned = slot(month, numbers.due_day)
    today = local_today(hospital.time_zone)
    errors: dict[str, str] = {}
    if planned.window_end < today:
        errors["month"] = _("That month is over: choose this month or a later one.")
    if due_on is not None and not planned.window_start <= due_on <= planned.window_end:
        errors["due_on"] = _("The due date must fall within the month.")
    people: list[User] | None = None
    if engineers is not None:
        try:
            people = _engineers_clean(engineers)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    if people is None:
        ids = default_engineer_ids([department.pk]).get(department.pk, [])
        people = list(User.objects.filter(pk__in=ids))
    taken = Conflict(
        "return_visit_exists",
        _("%(department)s already has a return visit in %(month)s.")
        % {"department": department.name, "month": planned.month.strftime("%Y-%m")},
    )
    with transaction.atomic():
        active = ReturnVisit.objects.filter(department=department, month=planned.month)
        if active.exclude(state=ReturnVisitState.CANCELLED).exists():
            raise taken
        visit = ReturnVisit(
            hospital=hospital,
            department=department,
            month=planned.month,
            due_on=due_on or planned.due_on,
            window_start=planned.window_start,
            window_end=planned.window_end,
            scheduled=False,
            created_by=user,
        )
        try:
            with transaction.atomic():
                visit.save(force_insert=True)
        except IntegrityError as exc:
            raise taken from exc
        visit.engineers.set(people)
    return visit


def return_visit_cancel(*, visit: ReturnVisit, user: User, reason: str) -> ReturnVisit:
    """Cancel a planned return visit (the department is closed that month, …): it is never
    planned again, and another may be added by hand."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"cancelled_reason": _("Say why the return visit is cancelled.")})
    with transaction.atomic():
        locked = ReturnVisit.objects.select_for_update().get(pk=visit.pk)
        if locked.state != ReturnVisitState.PLANNED:
            raise Conflict("not_planned", _("Only a planned return visit can be cancelled."))
        locked.state = ReturnVisitState.CANCELLED
        locked.cancelled_reason = reason
        locked.save(update_fields=["state", "cancelled_reason", "updated_at"])
    logger.info("return visit %s cancelled by %s", locked.pk, user.pk)
    return locked


# --- the overdue sweep ---------------------------------------------------------------------
def _overdue_notice(visit: ReturnVisit, managers: ServiceManagers) -> Notice:
    people = [u for u in visit.engineers.all() if u.is_active]
    contracts: list[Contract | None] = [*department_contracts(visit.department_id)]
    for contract in contracts or [None]:
        people += managers.of(contract)
    facts = {
        "hospital": visit.hospital.name,
        "department": visit.department.name,
        "month": visit.month.strftime("%Y-%m"),
        "due": visit.due_on.isoformat(),
        "end": visit.window_end.isoformat(),
    }
    return Notice(
        users=list({u.pk: u for u in people}.values()),
        kind=KIND_OVERDUE,
        subject=_("Overdue: return visit of %(department)s (%(hospital)s), %(month)s") % facts,
        body=_(
            "The return visit of %(department)s (%(hospital)s) for %(month)s was due on "
            "%(due)s and is not done: its month ended on %(end)s."
        )
        % facts,
        url=reverse("return_visits:return_visit_detail", args=[visit.pk]),
        dedupe_key_prefix=f"{KIND_OVERDUE}:{visit.pk}",
    )


def _tell_overdue(pks: list[int], *, now, managers: ServiceManagers) -> None:
    visits = (
        ReturnVisit.objects.filter(pk__in=pks)
        .select_related("hospital", "department")
        .prefetch_related("engineers")
        .order_by("window_end", "pk")
    )
    with translation.override(settings.LANGUAGE_CODE):
        notices = [_overdue_notice(visit, managers) for visit in visits]
    notices_send(notices, now=now)


def return_visit_sweep_overdue(
    *, today: date | None = None, batch_size: int = SWEEP_BATCH_SIZE
) -> int:
    """Tell the engineers and the service manager of every planned return visit whose month
    is over (in the hospital's zone), once: a conditional UPDATE claims each alert, so many
    sweepers at once send each one exactly once. Returns how many visits were claimed."""
    now = timezone.now()
    managers = ServiceManagers()
    total = sweep_windows_ended(
        ReturnVisit.objects.filter(state=ReturnVisitState.PLANNED),
        zones=Hospital.objects.values_list("time_zone", flat=True).distinct().order_by(),
        today=today,
        now=now,
        batch_size=batch_size,
        tell=lambda pks: _tell_overdue(pks, now=now, managers=managers),
    )
    if total:
        logger.info("overdue return visits reported: %s", total)
    return total
