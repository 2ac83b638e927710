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
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from assets.models import Device, ProductModel
from contracts.models import Contract
from contracts.selectors import ServiceManagers
from core.signatures import SignatureImageError, content_hash, decode_signature_data_url
from core.timeutil import local_today
from customers.models import Hospital
from notify.services import Notice, notices_send
from service.models import Channel, Severity
from service.records import signature_error_message
from service.services import service_request_open

from .models import (
    ChecklistItemType,
    ContractPlanOverride,
    MaintenancePlanTemplate,
    Visit,
    VisitFinding,
    VisitObligation,
    VisitState,
)
from .schedule import PlannedVisit, VisitKind, plan_visits, visit_key
from .selectors import PlanBook, checklist_for, device_contract_id, plan_book

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


def _sweep_batch(candidates: QuerySet[Visit], *, now, size: int, managers: ServiceManagers) -> int:
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
    managers = ServiceManagers()
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


# --- completing a visit --------------------------------------------------------------------

REQUIRED_TYPES = {ChecklistItemType.PASS_FAIL.value, ChecklistItemType.NUMBER.value}
PASS_VALUES = {True, "pass"}
FAIL_VALUES = {False, "fail"}


def _number(value: Any) -> int | float | None:
    """The reading as a finite number, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            return None
        if not parsed.is_finite():
            return None
        return int(parsed) if parsed == parsed.to_integral_value() else float(parsed)
    return None


def _within(item: dict[str, Any], value: int | float) -> bool:
    low, high = item.get("min"), item.get("max")
    return (low is None or value >= low) and (high is None or value <= high)


def _results_clean(
    checklist: list[dict[str, Any]], results: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each item's {"value", "ok", "note"}, or a ValidationError keyed by item."""
    errors: dict[str, str] = {}
    known = {item["key"] for item in checklist}
    unknown = sorted(str(key) for key in results if key not in known)
    if unknown:
        errors["results"] = _("Unknown checklist items: %(keys)s.") % {"keys": ", ".join(unknown)}
    cleaned: dict[str, dict[str, Any]] = {}
    for item in checklist:
        key, kind = item["key"], item["type"]
        given = results.get(key)
        entry = given if isinstance(given, dict) else {"value": given}
        value, note = entry.get("value"), str(entry.get("note") or "").strip()
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if kind in REQUIRED_TYPES:
                errors[key] = _("“%(label)s” is required.") % {"label": item["label"]}
            elif note:
                cleaned[key] = {"value": None, "ok": True, "note": note}
            continue
        if kind == ChecklistItemType.PASS_FAIL:
            normalised = value.lower() if isinstance(value, str) else value
            if normalised not in PASS_VALUES | FAIL_VALUES:
                errors[key] = _("“%(label)s”: choose pass or fail.") % {"label": item["label"]}
                continue
            cleaned[key] = {"value": normalised in PASS_VALUES, "ok": normalised in PASS_VALUES}
        elif kind == ChecklistItemType.NUMBER:
            number = _number(value)
            if number is None:
                errors[key] = _("“%(label)s” must be a number.") % {"label": item["label"]}
                continue
            cleaned[key] = {"value": number, "ok": _within(item, number)}
        else:
            cleaned[key] = {"value": str(value), "ok": True}
        cleaned[key]["note"] = note
    if errors:
        raise ValidationError(errors)
    return cleaned


def _limits(item: dict[str, Any]) -> str:
    low, high = item.get("min"), item.get("max")
    if low is not None and high is not None:
        return _("between %(min)s and %(max)s") % {"min": low, "max": high}
    if high is not None:
        return _("at most %(max)s") % {"max": high}
    return _("at least %(min)s") % {"min": low}


def _finding_description(
    visit: Visit, item: dict[str, Any], result: dict[str, Any], day: date
) -> str:
    facts = {
        "label": item["label"],
        "value": result["value"],
        "unit": item.get("unit") or "",
        "kind": visit.get_main_kind_display(),
        "date": day.isoformat(),
    }
    if item["type"] == ChecklistItemType.NUMBER:
        facts["limits"] = _limits(item)
        text = (
            _(
                "%(label)s: %(value)s %(unit)s, expected %(limits)s %(unit)s. "
                "Found on the %(kind)s of %(date)s."
            )
            % facts
        )
    else:
        text = _("%(label)s: failed. Found on the %(kind)s of %(date)s.") % facts
    if result.get("note"):
        text += " " + _("Note: %(note)s") % {"note": result["note"]}
    return " ".join(text.split())


def visit_content(visit: Visit) -> dict[str, Any]:
    """What the hospital's signature vouches for: the visit, who did it, when, the results."""
    return {
        "visit": visit.key,
        "device": visit.device_id,
        "kinds": visit.kinds,
        "done_by": visit.done_by_id,
        "done_at": visit.done_at,
        "signer_name": visit.signer_name,
        "signed_at": visit.signed_at,
        "results": visit.results,
    }


def visit_signature_matches(visit: Visit) -> bool:
    if not visit.content_hash or not visit.signature_image:
        return False
    with visit.signature_image.open("rb") as handle:
        image = handle.read()
    return content_hash(visit_content(visit), image) == visit.content_hash


def visit_complete(
    *,
    visit: Visit,
    user: User,
    results: dict[str, Any],
    signer_name: str,
    signature_data_url: str,
    raise_requests_for: Iterable[str] = (),
    now: datetime | None = None,
) -> Visit:
    """Record a planned visit as done: who, when, the checklist results and the hospital's
    confirmation signature (R-2.4); every obligation it covers is fulfilled. Each item of
    ``raise_requests_for`` (a failed item or an out-of-limit reading) opens a service request
    found on the visit, linked to it. Everything is checked before anything is written."""
    now = now or timezone.now()
    raise_for = list(dict.fromkeys(raise_requests_for))
    if visit.state != VisitState.PLANNED:
        raise ValidationError({"state": _("Only a planned visit can be completed.")})
    checklist = checklist_for(visit)
    by_key = {item["key"]: item for item in checklist}
    errors: dict[str, str] = {}
    try:
        cleaned = _results_clean(checklist, results or {})
    except ValidationError as exc:
        errors.update({field: messages[0] for field, messages in exc.message_dict.items()})
        cleaned = {}
    signer_name = (signer_name or "").strip()
    if not signer_name:
        errors["signer_name"] = _("Give the name of the person signing for the hospital.")
    try:
        image = decode_signature_data_url(signature_data_url)
    except SignatureImageError as exc:
        errors["signature"] = signature_error_message(exc.code)
    if not errors:
        not_failed = [k for k in raise_for if k not in by_key or cleaned.get(k, {}).get("ok", True)]
        if not_failed:
            errors["raise_requests_for"] = _(
                "Only a failed item or an out-of-limit reading can raise a service request: "
                "%(keys)s."
            ) % {"keys": ", ".join(not_failed)}
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        # A second completion (or a concurrent one) finds the visit no longer planned.
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.state != VisitState.PLANNED:
            raise ValidationError({"state": _("Only a planned visit can be completed.")})
        locked.state = VisitState.DONE
        locked.done_at = now
        locked.done_by = user
        locked.results = cleaned
        locked.signer_name = signer_name
        locked.signed_at = now
        locked.content_hash = content_hash(visit_content(locked), image)
        locked.signature_image.save(
            f"visit-signature-{uuid.uuid4().hex[:12]}.png", ContentFile(image), save=False
        )
        try:
            locked.save(
                update_fields=[
                    "state",
                    "done_at",
                    "done_by",
                    "results",
                    "signer_name",
                    "signed_at",
                    "content_hash",
                    "signature_image",
                    "updated_at",
                ]
            )
            VisitObligation.objects.filter(visit=locked).update(fulfilled_at=now)
            if raise_for:
                day = now.astimezone(ZoneInfo(locked.hospital.time_zone)).date()
                with translation.override(settings.LANGUAGE_CODE):
                    descriptions = {
                        key: _finding_description(locked, by_key[key], cleaned[key], day)
                        for key in raise_for
                    }
                for key in raise_for:
                    request = service_request_open(
                        device=locked.device,
                        severity=Severity.NORMAL,
                        channel=Channel.VISIT,
                        description=descriptions[key],
                        recorded_by=user,
                        reported_at=now,
                        now=now,
                    )
                    VisitFinding.objects.create(visit=locked, item_key=key, request=request)
        except Exception:
            locked.signature_image.storage.delete(locked.signature_image.name)
            raise
    visit.refresh_from_db()
    return visit
