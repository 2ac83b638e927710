"""Writes of planned maintenance: plan templates and per-contract numbers, the overdue
sweep, special inspections and assignment. The generation of visits is
``maintenance.generation``; the visit's record and signature ``maintenance.visit_records``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User, VendorRole
from assets.models import Device, DeviceStatus, ProductModel
from contracts.models import Contract
from contracts.selectors import ServiceManagers
from core.sweeps import sweep_windows_ended
from core.timeutil import local_today
from customers.models import Hospital
from notify.services import Notice, notices_send

from .models import (
    ChecklistItemType,
    ContractPlanOverride,
    Kind,
    MaintenancePlanTemplate,
    Visit,
    VisitState,
)
from .schedule import VisitKind
from .selectors import device_contract_id

logger = logging.getLogger(__name__)

SWEEP_BATCH_SIZE = 200
# The items that can fail, hence be safety items (electrical safety, alarms, self-test).
SAFETY_TYPES = {ChecklistItemType.PASS_FAIL.value, ChecklistItemType.NUMBER.value}
KIND_OVERDUE = "visit_overdue"


# --- templates and contract numbers --------------------------------------------------------


@dataclass(frozen=True)
class ChecklistProblem:
    """What is wrong with one checklist item: its index (from 0), the item's field at fault
    (empty: the item as a whole) and the message."""

    index: int
    field: str
    message: str


def _checklist_parse(items: Iterable[Any]) -> tuple[list[dict[str, Any]], list[ChecklistProblem]]:
    cleaned: list[dict[str, Any]] = []
    problems: list[ChecklistProblem] = []
    keys: set[str] = set()
    for index, item in enumerate(items):
        n = index + 1

        def problem(field: str, message: str, index: int = index) -> None:
            problems.append(ChecklistProblem(index, field, message))

        if not isinstance(item, dict):
            problem("", _("Checklist item %(n)s is not an object.") % {"n": n})
            continue
        key, label = str(item.get("key") or "").strip(), str(item.get("label") or "").strip()
        kind = item.get("type")
        if not key:
            problem("key", _("Checklist item %(n)s needs a key.") % {"n": n})
        elif key in keys:
            problem("key", _("Checklist key “%(key)s” is used twice.") % {"key": key})
        if not label:
            problem("label", _("Checklist item %(n)s needs a label.") % {"n": n})
        if kind not in ChecklistItemType.values:
            problem("type", _("Checklist item %(n)s has an unknown type.") % {"n": n})
        keys.add(key)
        clean: dict[str, Any] = {"key": key, "label": label, "type": kind}
        safety = item.get("safety", False)
        if not isinstance(safety, bool):
            problem("safety", _("Checklist item %(n)s: safety is yes or no.") % {"n": n})
        elif safety and kind not in SAFETY_TYPES:
            problem(
                "safety",
                _("Checklist item %(n)s: only a pass/fail or number item can be a safety item.")
                % {"n": n},
            )
        elif safety:
            # Failing it puts the device out of use (visit_records.visit_complete).
            clean["safety"] = True
        if kind == ChecklistItemType.NUMBER:
            clean["unit"] = str(item.get("unit") or "")
            for bound in ("min", "max"):
                value = item.get(bound)
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float):
                    problem(
                        bound,
                        _("Checklist item %(n)s: %(bound)s must be a number.")
                        % {"n": n, "bound": bound},
                    )
                    continue
                clean[bound] = value
            if "min" in clean and "max" in clean and clean["min"] > clean["max"]:
                problem(
                    "min", _("Checklist item %(n)s: the minimum is above the maximum.") % {"n": n}
                )
        cleaned.append(clean)
    return cleaned, problems


def checklist_problems(items: Iterable[Any]) -> list[ChecklistProblem]:
    """Every problem of a checklist, item by item (the API locates each one)."""
    return _checklist_parse(items)[1]


def checklist_clean(items: Iterable[Any]) -> list[dict[str, Any]]:
    """The checklist items in their stored shape, or a ValidationError on ``checklist``
    naming each faulty item."""
    cleaned, problems = _checklist_parse(items)
    if problems:
        raise ValidationError({"checklist": [p.message for p in problems]})
    return cleaned


def _numbers(kind: str, interval_months: int | None, tolerance_days: int | None) -> dict:
    try:
        visit_kind = VisitKind(kind)
    except ValueError:
        raise ValidationError({"kind": _("Choose a planned kind of visit.")}) from None
    interval = visit_kind.default_interval_months if interval_months is None else interval_months
    tolerance = visit_kind.default_tolerance_days if tolerance_days is None else tolerance_days
    if interval < 1:
        raise ValidationError({"interval_months": _("Must be at least one month.")})
    if tolerance < 0:
        raise ValidationError({"tolerance_days": _("Must not be negative.")})
    return {"interval_months": interval, "tolerance_days": tolerance}


@transaction.atomic
def plan_template_create(
    *,
    kind: str,
    product_model: ProductModel | None = None,
    category: str = "",
    interval_months: int | None = None,
    tolerance_days: int | None = None,
    checklist: Sequence[Any] = (),
    active: bool = True,
) -> MaintenancePlanTemplate:
    """A template for a product model, a category, or (neither) every device; numbers left
    out take the kind's defaults. An active template replaces the active one of the same
    kind and target, which is kept, inactive, for the record: this is how a plan changes
    (the next generation applies it to future untouched visits)."""
    errors: dict[str, str] = {}
    if product_model is not None and category:
        errors["category"] = _("Choose a product model or a category, not both.")
    try:
        numbers = _numbers(kind, interval_months, tolerance_days)
    except ValidationError as exc:
        errors.update({field: messages[0] for field, messages in exc.message_dict.items()})
    try:
        cleaned = checklist_clean(checklist)
    except ValidationError as exc:
        errors["checklist"] = " ".join(exc.message_dict["checklist"])
    if errors:
        raise ValidationError(errors)
    template = MaintenancePlanTemplate(
        kind=kind,
        product_model=product_model,
        category=category,
        checklist=cleaned,
        active=active,
        **numbers,
    )
    template.full_clean(validate_constraints=False)
    if active:
        replaced = MaintenancePlanTemplate.objects.select_for_update().filter(
            kind=kind, product_model=product_model, category=category, active=True
        )
        for old in replaced:  # one by one: the history records each change
            old.active = False
            old.save(update_fields=["active", "updated_at"])
    template.save()
    return template


@transaction.atomic
def contract_plan_override_set(
    *,
    contract: Contract,
    kind: str,
    interval_months: int | None = None,
    tolerance_days: int | None = None,
) -> ContractPlanOverride:
    """The contract's own numbers for ``kind``; the next generation applies them to future
    untouched visits."""
    override, _created = ContractPlanOverride.objects.update_or_create(
        contract=contract, kind=kind, defaults=_numbers(kind, interval_months, tolerance_days)
    )
    return override


# --- the overdue sweep ---------------------------------------------------------------------


def _overdue_notice(visit: Visit, managers: ServiceManagers) -> Notice:
    people = [u for u in visit.engineers.all() if u.is_active] + managers.of(visit.contract)
    facts = {
        "kind": visit.get_main_kind_display(),
        "device": str(visit.device),
        "hospital": visit.hospital.name,
        "department": visit.department.name,
        "start": visit.window_start.isoformat(),
        "end": visit.window_end.isoformat(),
        "due": visit.due_on.isoformat(),
    }
    return Notice(
        users=list({u.pk: u for u in people}.values()),
        kind=KIND_OVERDUE,
        subject=_("Overdue: %(kind)s of %(device)s") % facts,
        body=_(
            "The %(kind)s of %(device)s (%(hospital)s, %(department)s) was due on %(due)s, "
            "within %(start)s to %(end)s, and is not done."
        )
        % facts,
        url=reverse("assets:device_detail", args=[visit.device_id]),
        dedupe_key_prefix=f"{KIND_OVERDUE}:{visit.pk}",
    )


def _tell_overdue(pks: list[int], *, now, managers: ServiceManagers) -> None:
    visits = (
        Visit.objects.filter(pk__in=pks)
        .select_related(
            "device__product_model", "hospital", "department", "contract__service_manager"
        )
        .prefetch_related("engineers")
        .order_by("window_end", "pk")
    )
    with translation.override(settings.LANGUAGE_CODE):
        notices = [_overdue_notice(visit, managers) for visit in visits]
    notices_send(notices, now=now)


def visits_sweep_overdue(*, today: date | None = None, batch_size: int = SWEEP_BATCH_SIZE) -> int:
    """Tell the engineers and the manager of each planned visit whose window ended before
    the hospital's today (in its own zone), once: a conditional UPDATE claims each alert, so
    many sweepers at once send each one exactly once. Returns how many visits were claimed."""
    now = timezone.now()
    managers = ServiceManagers()
    total = sweep_windows_ended(
        Visit.objects.filter(state=VisitState.PLANNED),
        zones=Hospital.objects.values_list("time_zone", flat=True).distinct().order_by(),
        today=today,
        now=now,
        batch_size=batch_size,
        tell=lambda pks: _tell_overdue(pks, now=now, managers=managers),
    )
    if total:
        logger.info("overdue visits reported: %s", total)
    return total


# --- special inspections and assignment ----------------------------------------------------

SPECIAL_WINDOW_DAYS = 7
TECHNICAL_ROLES = {VendorRole.ADMIN, VendorRole.MANAGER, VendorRole.ENGINEER}


def _engineers_clean(engineers: Iterable[User], errors: dict[str, str]) -> list[User]:
    chosen = list({user.pk: user for user in engineers}.values())
    if any(not (u.is_active and u.effective_vendor_role in TECHNICAL_ROLES) for u in chosen):
        errors["engineers"] = _("Only active engineers and managers of the vendor can be assigned.")
    return chosen


def visit_special_create(
    *,
    device: Device,
    user: User,
    reason: str,
    due_on: date | None = None,
    engineers: Iterable[User] = (),
) -> Visit:
    """An ad-hoc special inspection (R-4.1: when something abnormal shows), with the same
    record as a planned visit (the device's inspection checklist, results, signature). Due
    today in the hospital's zone unless ``due_on`` is given (not in the past), to be done
    within seven days; assigned to ``engineers``, by default the contract's dedicated
    engineers. No plan schedules it, so it fulfils no obligation."""
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say what is abnormal.")
    if device.status == DeviceStatus.RETIRED:
        errors["device"] = _("The device is retired.")
    today = local_today(device.hospital.time_zone)
    due_on = due_on or today
    if due_on < today:
        errors["due_on"] = _("A special inspection cannot be due in the past.")
    chosen = _engineers_clean(engineers, errors)
    if errors:
        raise ValidationError(errors)
    contract_id = device_contract_id(device)
    with transaction.atomic():
        if not chosen and contract_id is not None:
            chosen = list(
                Contract.objects.get(pk=contract_id).dedicated_engineers.filter(is_active=True)
            )
        visit = Visit.objects.create(
            device=device,
            hospital_id=device.hospital_id,
            department_id=device.department_id,
            contract_id=contract_id,
            key=f"special-{uuid.uuid4().hex}",
            main_kind=Kind.SPECIAL,
            kinds=[Kind.SPECIAL.value],
            due_on=due_on,
            window_start=due_on,
            window_end=due_on + timedelta(days=SPECIAL_WINDOW_DAYS),
            reason=reason,
            created_by=user,
        )
        visit.engineers.set(chosen)
    return visit


def visit_assign(*, visit: Visit, user: User, engineers: Iterable[User]) -> Visit:
    """Who goes: the engineers of a planned visit (none leaves it unassigned)."""
    errors: dict[str, str] = {}
    chosen = _engineers_clean(engineers, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.state != VisitState.PLANNED:
            raise ValidationError({"state": _("Only a planned visit can be assigned.")})
        locked.engineers.set(chosen)
        locked.save(update_fields=["updated_at"])
    logger.info("visit %s assigned by user %s", visit.pk, user.pk)
    visit.refresh_from_db()
    return visit
