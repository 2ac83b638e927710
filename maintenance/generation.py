"""The generation of planned visits ahead of time (issue 4 §1, R-4.1, R-4.2).

Generation works per batch of devices with a fixed handful of queries per batch. It is
idempotent: a visit is identified by ``schedule.visit_key``, unique in the database, so a
second run (or a concurrent one) creates nothing. When a plan changes, only future
untouched visits (planned, due after today, never started) are updated or cancelled; past,
done, started and special visits are never touched. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple, cast

from django.db import connection, transaction
from django.db.models import Field, JSONField, Model, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from assets.models import Device
from contracts.models import Contract

from .models import (
    Kind,
    MaintenancePlanTemplate,
    Visit,
    VisitObligation,
    VisitState,
)
from .schedule import PlannedVisit, VisitKind, plan_visits, visit_key
from .selectors import PlanBook, PlanKey, plan_book

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000  # devices a transaction of the generation


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


# Per device: what its plan needs and what its visits copy. Tuples, not Device objects:
# the daily generation reads every device (docs/benchmarks.md).
_DEVICE_COLUMNS = (
    "pk",
    "hospital_id",
    "department_id",
    "contract_line__contract_id",
    "live_on",
    "accepted_on",
    "status",
    "product_model_id",
    "product_model__category",
)
_VISIT_COLUMNS = (
    "key",
    "pk",
    "state",
    "kinds_text",
    "due_on",
    "window_start",
    "window_end",
    "started_at",
    "done_at",
)
# The visits of one set of rules (one anchor, one set of numbers), kept across batches:
# devices accepted on the same day share them. Bounded, so memory stays flat.
PLAN_CACHE_SIZE = 50_000
Plans = dict[PlanKey, list[tuple[PlannedVisit, list[str]]]]


class _NewVisit(NamedTuple):
    key: str
    device_id: int
    hospital_id: int
    department_id: int
    contract_id: int | None
    planned: PlannedVisit
    kinds: list[str]


def _generate_batch(
    device_ids: list[int],
    *,
    templates: list[MaintenancePlanTemplate],
    today: date,
    end: date,
    plans: Plans | None = None,
    contiguous: bool = False,
) -> GenerationResult:
    """``contiguous``: the batch is every device from its first pk to its last, read by
    range (a list of 2,000 pks costs more to send than the rows it selects)."""
    plans = {} if plans is None else plans
    if contiguous:
        lo, hi = device_ids[0], device_ids[-1]
        of_devices, of_visits = Q(pk__gte=lo, pk__lte=hi), Q(device_id__gte=lo, device_id__lte=hi)
    else:
        of_devices, of_visits = Q(pk__in=device_ids), Q(device_id__in=device_ids)
    devices = list(Device.objects.filter(of_devices).values_list(*_DEVICE_COLUMNS))
    contract_ids = {row[3] for row in devices if row[3] is not None}
    book = PlanBook(templates=templates, overrides=plan_book(contract_ids=contract_ids).overrides)
    engineers: dict[int, list[int]] = {}
    for contract_id, user_id in Contract.dedicated_engineers.through.objects.filter(
        contract_id__in=contract_ids
    ).values_list("contract_id", "user_id"):
        engineers.setdefault(contract_id, []).append(user_id)
    # Special inspections are nobody's plan: never changed or cancelled here.
    existing = {
        v.key: v
        for v in Visit.objects.filter(of_visits, due_on__gte=today, due_on__lte=end)
        .exclude(main_kind=Kind.SPECIAL)
        .annotate(kinds_text=Cast("kinds", TextField()))
        .values_list(*_VISIT_COLUMNS, named=True)
    }
    decoded: dict[str, list[str]] = {}  # a handful of distinct lists: parse each once

    def kinds_of(text: str) -> list[str]:
        if (kinds := decoded.get(text)) is None:
            kinds = decoded[text] = json.loads(text)
        return kinds

    def untouched_future(visit: Any) -> bool:
        return visit.due_on > today and visit.started_at is None and visit.done_at is None

    new: list[_NewVisit] = []
    changed: list[tuple[Visit, PlannedVisit]] = []
    wanted: set[str] = set()
    for pk, hospital_id, department_id, contract_id, *facts in devices:
        live_on, accepted_on, status, product_model_id, category = facts
        plan = book.plan_key(
            live_on=live_on,
            accepted_on=accepted_on,
            status=status,
            product_model_id=product_model_id,
            category=category,
            contract_id=contract_id,
        )
        if plan is None:
            continue
        if (planned_visits := plans.get(plan)) is None:
            if len(plans) >= PLAN_CACHE_SIZE:
                plans.clear()
            planned_visits = plans[plan] = [
                (planned, _kinds(planned))
                for planned in plan_visits(book.rules_of(plan), start=today, end=end)
            ]
        for planned, kinds in planned_visits:
            key = visit_key(pk, planned)
            wanted.add(key)
            visit = existing.get(key)
            if visit is None:
                new.append(
                    _NewVisit(key, pk, hospital_id, department_id, contract_id, planned, kinds)
                )
            elif untouched_future(visit) and (
                visit.state == VisitState.CANCELLED
                or kinds_of(visit.kinds_text) != kinds
                or (visit.window_start, visit.window_end)
                != (planned.window_start, planned.window_end)
            ):
                update = Visit(
                    pk=visit.pk,
                    state=VisitState.PLANNED,
                    kinds=kinds,
                    window_start=planned.window_start,
                    window_end=planned.window_end,
                )
                changed.append((update, planned))
    stale = [
        v.pk
        for key, v in existing.items()
        if key not in wanted and v.state == VisitState.PLANNED and untouched_future(v)
    ]

    # Concurrent runs: the unique key lets the first insert win and the others skip the
    # row; the run that inserted a visit adds its obligations and engineers.
    pks = _visits_insert(new)
    obligations: list[tuple[int, str, date]] = []
    assignments: list[tuple[int, int]] = []
    for row in new:
        if (pk := pks.get(row.key)) is None:
            continue  # inserted by a concurrent run, which adds its obligations
        obligations += [(pk, o.kind.value, o.due_on) for o in row.planned.obligations]
        assignments += [(pk, user_id) for user_id in engineers.get(row.contract_id or 0, [])]
    if changed:
        Visit.objects.bulk_update(
            [v for v, _p in changed], ["state", "kinds", "window_start", "window_end"]
        )
        VisitObligation.objects.filter(visit_id__in=[v.pk for v, _p in changed]).delete()
        obligations += [(v.pk, o.kind.value, o.due_on) for v, p in changed for o in p.obligations]
    _rows_insert(VisitObligation, ("visit_id", "kind", "due_on"), obligations)
    _rows_insert(Visit.engineers.through, ("visit_id", "user_id"), assignments)
    cancelled = 0
    if stale:
        cancelled = Visit.objects.filter(
            pk__in=stale, state=VisitState.PLANNED, started_at__isnull=True, done_at__isnull=True
        ).update(state=VisitState.CANCELLED)
    return GenerationResult(created=len(pks), updated=len(changed), cancelled=cancelled)


_NEW_VISIT_FIELDS = (
    "key",
    "device_id",
    "hospital_id",
    "department_id",
    "contract_id",
    "main_kind",
    "kinds",
    "due_on",
    "window_start",
    "window_end",
)


def _visits_insert(new: list[_NewVisit]) -> dict[str, int]:
    """Insert the new visits, skipping keys that exist; the pk of each key inserted."""
    rows = [
        (
            v.key,
            v.device_id,
            v.hospital_id,
            v.department_id,
            v.contract_id,
            v.planned.main_kind.value,
            v.kinds,
            v.planned.due_on,
            v.planned.window_start,
            v.planned.window_end,
        )
        for v in new
    ]
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        return dict(_pg_insert(Visit, _NEW_VISIT_FIELDS, rows, returning=("key", "id")))
    Visit.objects.bulk_create(
        [Visit(**dict(zip(_NEW_VISIT_FIELDS, row, strict=True))) for row in rows],
        ignore_conflicts=True,
    )
    keys = [row[0] for row in rows]
    return dict(Visit.objects.filter(key__in=keys).values_list("key", "pk"))


def _rows_insert(model: type[Model], fields: Sequence[str], rows: list[tuple]) -> None:
    """Insert ``rows`` (values of ``fields``), skipping those that break a unique
    constraint."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        _pg_insert(model, fields, rows)
        return
    model._default_manager.bulk_create(
        [model(**dict(zip(fields, row, strict=True))) for row in rows], ignore_conflicts=True
    )


def _pg_insert(
    model: type[Model], fields: Sequence[str], rows: list[tuple], *, returning: Sequence[str] = ()
) -> list[tuple]:
    """``rows`` (values of ``fields``) through ``COPY`` into a temporary table, then
    ``INSERT … SELECT … ON CONFLICT DO NOTHING``: for the visits of 100,000 devices a fifth
    of the time of ``bulk_create`` (docs/benchmarks.md). Every other column takes the
    model's default (a timestamp: now); ``returning`` columns of the rows inserted."""
    quote = connection.ops.quote_name
    given = [cast(Field, model._meta.get_field(name)) for name in fields]
    rest = [f for f in model._meta.concrete_fields if f.attname not in fields and not f.primary_key]
    now = timezone.now()
    constants = [
        f.get_db_prep_save(now if _stamped(f) else f.get_default(), connection) for f in rest
    ]
    names = [f"c{i}" for i in range(len(given))]
    staging = quote(f"staging_{model._meta.db_table}")
    # Identifiers from the model's meta, every value a parameter or COPY data.
    create = ", ".join(f"{n} {f.db_type(connection)}" for n, f in zip(names, given, strict=True))
    columns = ", ".join(quote(f.column) for f in (*given, *rest))
    selected = ", ".join([*names, *(f"%s::{f.db_type(connection)}" for f in rest)])
    insert = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT {selected} FROM {staging} ON CONFLICT DO NOTHING"
    )
    if returning:
        insert += f" RETURNING {', '.join(quote(name) for name in returning)}"
    json_at = [i for i, f in enumerate(given) if isinstance(f, JSONField)]
    texts: dict[tuple, str] = {}  # the visits' kinds: a handful of distinct lists

    def text(value: Any) -> str:
        try:
            key = (type(value), tuple(value)) if isinstance(value, list) else (value,)
            if (known := texts.get(key)) is None:
                known = texts[key] = json.dumps(value)
        except TypeError:  # unhashable items
            return json.dumps(value)
        return known

    # In a transaction whatever the caller does: the staging table lives until its end.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} ({create}) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {staging} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                if not json_at:
                    copy.write_row(row)
                    continue
                values = list(row)
                for i in json_at:
                    values[i] = text(values[i])
                copy.write_row(values)
        cursor.execute(insert, constants)
        inserted = cursor.fetchall() if returning else []
        cursor.execute(f"DROP TABLE {staging}")
    return inserted


def _stamped(field: Field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


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
    plans: Plans = {}
    # All devices, in pk order: each batch is a pk range.
    contiguous = devices is None
    result = GenerationResult()
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            result += _generate_batch(
                ids[start : start + batch_size],
                templates=templates,
                today=today,
                end=end,
                plans=plans,
                contiguous=contiguous,
            )
    if result != GenerationResult():
        logger.info("visits generated up to %s: %s", end.isoformat(), result)
    return result
