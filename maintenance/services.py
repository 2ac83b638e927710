"""Writes of planned maintenance: plan templates and per-contract numbers, the generation
of visits ahead of time, and the overdue sweep.

Generation (issue 4 §1) works per batch of devices with a fixed handful of queries per
batch. It is idempotent: a visit is identified by ``schedule.visit_key``, unique in the
database, so a second run (or a concurrent one) creates nothing. When a plan changes, only
future untouched visits (planned, due after today, never started) are updated or
cancelled; past, done and started visits are never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User, VendorRole
from assets.models import Device, ProductModel
from contracts.models import Contract
from core.timeutil import local_today
from customers.models import Hospital
from notify.services import Notice, notices_send

from .models import (
    ChecklistItemType,
    ContractPlanOverride,
    MaintenancePlanTemplate,
    Visit,
    VisitObligation,
    VisitState,
)
from .schedule import PlannedVisit, VisitKind, plan_visits, visit_key
from .selectors import PlanBook, device_contract_id, plan_book

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
SWEEP_BATCH_SIZE = 200
KIND_OVERDUE = "visit_overdue"


# --- templates and contract numbers --------------------------------------------------------


def checklist_clean(items: Iterable[Any]) -> list[dict[str, Any]]:
    """The checklist items in their stored shape, or a ValidationError naming the item."""
    cleaned: list[dict[str, Any]] = []
    keys: set[str] = set()
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValidationError(_("Checklist item %(n)s is not an object.") % {"n": n})
        key, label = str(item.get("key") or "").strip(), str(item.get("label") or "").strip()
        kind = item.get("type")
        if not key or not label:
            raise ValidationError(_("Checklist item %(n)s needs a key and a label.") % {"n": n})
        if key in keys:
            raise ValidationError(_("Checklist key “%(key)s” is used twice.") % {"key": key})
        if kind not in ChecklistItemType.values:
            raise ValidationError(_("Checklist item “%(key)s” has an unknown type.") % {"key": key})
        keys.add(key)
        clean: dict[str, Any] = {"key": key, "label": label, "type": kind}
        if kind == ChecklistItemType.NUMBER:
            clean["unit"] = str(item.get("unit") or "")
            for bound in ("min", "max"):
                value = item.get(bound)
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValidationError(
                        _("Checklist item “%(key)s”: %(bound)s must be a number.")
                        % {"key": key, "bound": bound}
                    )
                clean[bound] = value
            if "min" in clean and "max" in clean and clean["min"] > clean["max"]:
                raise ValidationError(
                    _("Checklist item “%(key)s”: the minimum is above the maximum.") % {"key": key}
                )
        cleaned.append(clean)
    return cleaned


def _numbers(kind: str, interval_months: int | None, tolerance_days: int | None) -> dict:
    visit_kind = VisitKind(kind)
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
    out take the kind's defaults."""
    if product_model is not None and category:
        raise ValidationError(_("Choose a product model or a category, not both."))
    template = MaintenancePlanTemplate(
        kind=kind,
        product_model=product_model,
        category=category,
        checklist=checklist_clean(checklist),
        active=active,
        **_numbers(kind, interval_months, tolerance_days),
    )
    template.full_clean()
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


# --- generation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationResult:
    created: int = 0
    updated: int = 0
    cancelled: int = 0

    def __add__(self, other: GenerationResult) -> GenerationResult:
        return GenerationResult(
            created=self.created + other.created,
            updated=self.updated + other.updated,
            cancelled=self.cancelled + other.cancelled,
        )


def _kinds(planned: PlannedVisit) -> list[str]:
    return sorted((k.value for k in planned.kinds), key=lambda k: -VisitKind(k).rank)


def _obligations(visit_id: int, planned: PlannedVisit) -> list[VisitObligation]:
    return [
        VisitObligation(visit_id=visit_id, kind=o.kind.value, due_on=o.due_on)
        for o in planned.obligations
    ]


def _device_ids(devices) -> list[int]:
    if devices is None:
        return list(Device.objects.order_by("pk").values_list("pk", flat=True))
    if isinstance(devices, QuerySet):
        return sorted(devices.values_list("pk", flat=True))
    return sorted({d.pk for d in devices})


def _generate_batch(
    device_ids: list[int], *, templates: list[MaintenancePlanTemplate], today: date, end: date
) -> GenerationResult:
    devices = list(
        Device.objects.filter(pk__in=device_ids).select_related("product_model", "contract_line")
    )
    contract_of = {d.pk: device_contract_id(d) for d in devices}
    contract_ids = {c for c in contract_of.values() if c is not None}
    book = PlanBook(templates=templates, overrides=plan_book(contract_ids=contract_ids).overrides)
    engineers: dict[int, list[int]] = {}
    for contract_id, user_id in Contract.dedicated_engineers.through.objects.filter(
        contract_id__in=contract_ids
    ).values_list("contract_id", "user_id"):
        engineers.setdefault(contract_id, []).append(user_id)
    existing = {
        v.key: v
        for v in Visit.objects.filter(device_id__in=device_ids, due_on__gte=today, due_on__lte=end)
    }

    def untouched_future(visit: Visit) -> bool:
        return visit.due_on > today and visit.started_at is None and visit.done_at is None

    new: list[tuple[Visit, PlannedVisit]] = []
    changed: list[tuple[Visit, PlannedVisit]] = []
    wanted: set[str] = set()
    for device in devices:
        rules = book.rules_for(device, contract_of[device.pk])
        for planned in plan_visits(rules, start=today, end=end):
            key = visit_key(device.pk, planned)
            wanted.add(key)
            visit = existing.get(key)
            if visit is None:
                new.append((_visit(device, key, planned, contract_of[device.pk]), planned))
            elif untouched_future(visit) and (
                visit.state == VisitState.CANCELLED
                or visit.kinds != _kinds(planned)
                or (visit.window_start, visit.window_end)
                != (planned.window_start, planned.window_end)
            ):
                visit.state = VisitState.PLANNED
                visit.kinds = _kinds(planned)
                visit.window_start, visit.window_end = planned.window_start, planned.window_end
                changed.append((visit, planned))
    stale = [
        v.pk
        for key, v in existing.items()
        if key not in wanted and v.state == VisitState.PLANNED and untouched_future(v)
    ]

    # Concurrent runs: the unique key lets the first insert win; the others' rows are
    # ignored, and their obligations and engineers collide on unique constraints too.
    Visit.objects.bulk_create([v for v, _p in new], ignore_conflicts=True)
    pks = dict(Visit.objects.filter(key__in=[v.key for v, _p in new]).values_list("key", "pk"))
    obligations: list[VisitObligation] = []
    assignments = []
    Assignment = Visit.engineers.through
    for visit, planned in new:
        pk = pks[visit.key]
        obligations += _obligations(pk, planned)
        assignments += [
            Assignment(visit_id=pk, user_id=user_id)
            for user_id in engineers.get(visit.contract_id or 0, [])
        ]
    if changed:
        Visit.objects.bulk_update(
            [v for v, _p in changed], ["state", "kinds", "window_start", "window_end"]
        )
        VisitObligation.objects.filter(visit_id__in=[v.pk for v, _p in changed]).delete()
        obligations += [o for v, p in changed for o in _obligations(v.pk, p)]
    VisitObligation.objects.bulk_create(obligations, ignore_conflicts=True)
    Assignment.objects.bulk_create(assignments, ignore_conflicts=True)
    cancelled = 0
    if stale:
        cancelled = Visit.objects.filter(
            pk__in=stale, state=VisitState.PLANNED, started_at__isnull=True, done_at__isnull=True
        ).update(state=VisitState.CANCELLED)
    return GenerationResult(created=len(new), updated=len(changed), cancelled=cancelled)


def _visit(device: Device, key: str, planned: PlannedVisit, contract_id: int | None) -> Visit:
    return Visit(
        device_id=device.pk,
        hospital_id=device.hospital_id,
        department_id=device.department_id,
        contract_id=contract_id,
        key=key,
        main_kind=planned.main_kind.value,
        kinds=_kinds(planned),
        due_on=planned.due_on,
        window_start=planned.window_start,
        window_end=planned.window_end,
    )


def visits_generate(
    *,
    today: date | None = None,
    horizon_days: int = 90,
    devices: Iterable[Device] | QuerySet[Device] | None = None,
    batch_size: int = BATCH_SIZE,
) -> GenerationResult:
    """Create the visits due in [today, today + horizon] of ``devices`` (default: all) that
    do not exist yet, and bring future untouched visits in line with changed plans. Each
    batch of devices is one transaction."""
    today = today or timezone.localdate()
    end = today + timedelta(days=horizon_days)
    templates = list(MaintenancePlanTemplate.objects.filter(active=True).order_by("pk"))
    ids = _device_ids(devices)
    result = GenerationResult()
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            result += _generate_batch(
                ids[start : start + batch_size], templates=templates, today=today, end=end
            )
    if result != GenerationResult():
        logger.info("visits generated up to %s: %s", end.isoformat(), result)
    return result


# --- the overdue sweep ---------------------------------------------------------------------


class _Managers:
    """The contract's service manager, else every active manager (read once)."""

    def __init__(self) -> None:
        self._all: list[User] | None = None

    def of(self, visit: Visit) -> list[User]:
        manager = visit.contract.service_manager if visit.contract else None
        if manager is not None and manager.is_active:
            return [manager]
        if self._all is None:
            self._all = list(
                User.objects.filter(is_active=True, vendor_role=VendorRole.MANAGER).order_by("pk")
            )
        return self._all


def _overdue_notice(visit: Visit, managers: _Managers) -> Notice:
    people = [u for u in visit.engineers.all() if u.is_active] + managers.of(visit)
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


def _sweep_batch(candidates: QuerySet[Visit], *, now, size: int, managers: _Managers) -> int:
    """Claim up to ``size`` overdue visits and tell their people, in one transaction."""
    with transaction.atomic():
        locked = list(
            candidates.select_for_update(skip_locked=True, of=("self",))
            .order_by("window_end", "pk")
            .values_list("pk", flat=True)[:size]
        )
        if not locked:
            return 0
        unclaimed = Visit.objects.filter(overdue_notified_at__isnull=True)
        if unclaimed.filter(pk__in=locked).update(overdue_notified_at=now) == len(locked):
            claimed = locked
        else:  # pragma: no cover - a claim outside the locking protocol
            claimed = [
                pk for pk in locked if unclaimed.filter(pk=pk).update(overdue_notified_at=now)
            ]
        visits = (
            Visit.objects.filter(pk__in=claimed)
            .select_related(
                "device__product_model", "hospital", "department", "contract__service_manager"
            )
            .prefetch_related("engineers")
            .order_by("window_end", "pk")
        )
        with translation.override(settings.LANGUAGE_CODE):
            notices = [_overdue_notice(visit, managers) for visit in visits]
        notices_send(notices, now=now)
    return len(claimed)


def visits_sweep_overdue(*, today: date | None = None, batch_size: int = SWEEP_BATCH_SIZE) -> int:
    """Tell the engineers and the manager of each planned visit whose window ended before
    the hospital's today (in its own zone), once: a conditional UPDATE claims each alert, so
    many sweepers at once send each one exactly once. Returns how many visits were claimed."""
    now = timezone.now()
    managers = _Managers()
    total = 0
    zones = sorted(set(Hospital.objects.values_list("time_zone", flat=True)))
    for zone in zones:
        day = today or local_today(zone)
        candidates = Visit.objects.filter(
            state=VisitState.PLANNED,
            overdue_notified_at__isnull=True,
            window_end__lt=day,
            hospital__time_zone=zone,
        )
        while claimed := _sweep_batch(candidates, now=now, size=batch_size, managers=managers):
            total += claimed
    if total:
        logger.info("overdue visits reported: %s", total)
    return total
