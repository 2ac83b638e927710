"""Reads of planned maintenance: which plan rules apply to a device (templates, then the
contract's own numbers), the checklist of a visit, the visits a user sees and how each one
stands, trips (one per hospital and day) and the completion rate of what was scheduled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate

from accounts.models import User
from assets.models import Device, DeviceStatus
from core.timeutil import local_today
from customers.models import Hospital
from customers.scoping import scope_q

from .models import (
    ContractPlanOverride,
    Kind,
    MaintenancePlanTemplate,
    Visit,
    VisitObligation,
    VisitState,
)
from .schedule import PlanRule, VisitKind


def device_contract_id(device: Device) -> int | None:
    line = getattr(device, "contract_line", None)  # reverse one-to-one: None when absent
    return line.contract_id if line is not None else None


# Per kind with a template: (kind value, every months, ± days).
KindNumbers = tuple[tuple[str, int, int], ...]
# What a device's rules depend on: its anchor and its numbers.
PlanKey = tuple[date, KindNumbers]


@dataclass
class PlanBook:
    """The active templates and some contracts' overrides, read once and asked per device.

    Per kind the most specific active template applies: the device's product model, else its
    category, else the template for every device."""

    templates: list[MaintenancePlanTemplate]
    overrides: dict[tuple[int, str], ContractPlanOverride] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_model: dict[tuple[str, int], MaintenancePlanTemplate] = {}
        self._by_category: dict[tuple[str, str], MaintenancePlanTemplate] = {}
        self._for_all: dict[str, MaintenancePlanTemplate] = {}
        for template in self.templates:
            if template.product_model_id is not None:
                self._by_model[(template.kind, template.product_model_id)] = template
            elif template.category:
                self._by_category[(template.kind, template.category)] = template
            else:
                self._for_all[template.kind] = template
        self._overridden = {contract_id for contract_id, _kind in self.overrides}
        self._numbers: dict[tuple[int, str, int | None], KindNumbers] = {}

    def template_for(self, device: Device, kind: str) -> MaintenancePlanTemplate | None:
        return self._template(kind, device.product_model_id, device.product_model.category)

    def _template(
        self, kind: str, product_model_id: int, category: str
    ) -> MaintenancePlanTemplate | None:
        return (
            self._by_model.get((kind, product_model_id))
            or self._by_category.get((kind, category))
            or self._for_all.get(kind)
        )

    def rules_for(self, device: Device, contract_id: int | None) -> list[PlanRule]:
        key = self.plan_key(
            live_on=device.live_on,
            accepted_on=device.accepted_on,
            status=device.status,
            product_model_id=device.product_model_id,
            category=device.product_model.category,
            contract_id=contract_id,
        )
        return [] if key is None else self.rules_of(key)

    def plan_key(
        self,
        *,
        live_on: date | None,
        accepted_on: date | None,
        status: str,
        product_model_id: int,
        category: str,
        contract_id: int | None,
    ) -> PlanKey | None:
        """From a device's columns, what its rules depend on (None: it has no plan). The
        generation reads 100,000 devices as tuples, and devices with equal keys share their
        visits' dates."""
        anchor = live_on or accepted_on
        if anchor is None or status == DeviceStatus.RETIRED:
            return None
        return anchor, self._numbers_for(product_model_id, category, contract_id)

    @staticmethod
    def rules_of(key: PlanKey) -> list[PlanRule]:
        anchor, numbers = key
        return [
            PlanRule(VisitKind(kind), anchor, interval_months=every, tolerance_days=days)
            for kind, every, days in numbers
        ]

    def _numbers_for(
        self, product_model_id: int, category: str, contract_id: int | None
    ) -> KindNumbers:
        """Per kind with a template: (kind, every months, ± days), the contract's own
        numbers first. Remembered: thousands of devices share a handful of these."""
        contract = contract_id if contract_id in self._overridden else None
        key = (product_model_id, category, contract)
        numbers = self._numbers.get(key)
        if numbers is None:
            found = []
            for kind in VisitKind:
                template = self._template(kind.value, product_model_id, category)
                if template is None:
                    continue
                source: ContractPlanOverride | MaintenancePlanTemplate = template
                if contract is not None:
                    source = self.overrides.get((contract, kind.value), template)
                found.append((kind.value, source.interval_months, source.tolerance_days))
            numbers = self._numbers[key] = tuple(found)
        return numbers


def plan_book(*, contract_ids: Iterable[int] = ()) -> PlanBook:
    """Two queries: the active templates, and the overrides of ``contract_ids``."""
    ids = {pk for pk in contract_ids if pk is not None}
    overrides = ContractPlanOverride.objects.filter(contract_id__in=ids) if ids else []
    return PlanBook(
        templates=list(MaintenancePlanTemplate.objects.filter(active=True).order_by("pk")),
        overrides={(o.contract_id, o.kind): o for o in overrides},
    )


def plan_rules_for(device: Device) -> list[PlanRule]:
    """The plan rules of one device; none when it has no go-live or acceptance date or is
    retired."""
    contract_id = device_contract_id(device)
    book = plan_book(contract_ids=[contract_id] if contract_id else [])
    return book.rules_for(device, contract_id)


def checklist_for(visit: Visit, *, book: PlanBook | None = None) -> list[dict[str, Any]]:
    """The union of the checklists of the templates of the visit's kinds for its device,
    by item key, the larger kind first (an overhaul's item wins over a patrol's). A special
    inspection uses the device's inspection checklist."""
    book = book or plan_book()
    kinds = [
        VisitKind.INSPECTION.value if kind == Kind.SPECIAL else kind
        for kind in visit.kinds or [visit.main_kind]
    ]
    kinds = sorted(dict.fromkeys(kinds), key=lambda k: -VisitKind(k).rank)
    items: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        template = book.template_for(visit.device, kind)
        for item in template.checklist if template is not None else []:
            items.setdefault(item["key"], dict(item))
    return list(items.values())


# --- the visits a user sees ----------------------------------------------------------------

# What ``visits_for(state=...)`` accepts: the stored states (``planned`` includes overdue
# visits, ``done`` those awaiting a signature) and two that follow from them.
VISIT_STATE_FILTERS = ("planned", "done", "cancelled", "overdue", "awaiting_signature")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _zones() -> list[str]:
    return sorted(set(Hospital.objects.values_list("time_zone", flat=True)))


def _per_zone(build, today: date | None) -> Q:
    """OR of ``build(zone, day)`` over the hospitals' zones, ``day`` being ``today`` or the
    zone's own today: a hospital's day is in its own zone."""
    parts = [
        Q(hospital__time_zone=zone) & build(zone, today or local_today(zone)) for zone in _zones()
    ]
    return reduce(or_, parts) if parts else Q(pk__in=[])


def overdue_q(today: date | None = None) -> Q:
    """Planned visits whose window ended before the hospital's today."""
    return Q(state=VisitState.PLANNED) & _per_zone(lambda zone, day: Q(window_end__lt=day), today)


def _state_q(state: str, today: date | None) -> Q:
    if state in (VisitState.PLANNED, VisitState.DONE, VisitState.CANCELLED):
        return Q(state=state)
    if state == "overdue":
        return overdue_q(today)
    if state == "awaiting_signature":
        return Q(state=VisitState.DONE, content_hash="")
    raise ValueError(f"unknown visit state filter {state!r}")


def visits_in_state(
    visits: QuerySet[Visit], state: str, today: date | None = None
) -> QuerySet[Visit]:
    """``visits`` in ``state`` (one of ``VISIT_STATE_FILTERS``): "overdue" is judged on each
    hospital's own today unless ``today`` is given."""
    return visits.filter(_state_q(state, today))


def visits_for(
    user: User,
    *,
    due_from: date | None = None,
    due_to: date | None = None,
    state: str | None = None,
    engineer: User | int | None = None,
    hospital: Hospital | int | None = None,
    device: Device | int | None = None,
    today: date | None = None,
) -> QuerySet[Visit]:
    """The visits in ``user``'s scope, due in [due_from, due_to] (local dates, both ends
    included), in ``state`` (one of ``VISIT_STATE_FILTERS``; "overdue" is judged on each
    hospital's own today unless ``today`` is given), assigned to ``engineer``, of
    ``hospital`` or ``device``; by due date."""
    visits = (
        Visit.objects.for_user(user)
        .select_related("device__product_model", "hospital", "department")
        .prefetch_related("engineers")
    )
    if due_from is not None:
        visits = visits.filter(due_on__gte=due_from)
    if due_to is not None:
        visits = visits.filter(due_on__lte=due_to)
    if state:
        visits = visits.filter(_state_q(state, today))
    if engineer is not None:
        visits = visits.filter(engineers=_pk(engineer))
    if hospital is not None:
        visits = visits.filter(hospital_id=_pk(hospital))
    if device is not None:
        visits = visits.filter(device_id=_pk(device))
    return visits.order_by("due_on", "pk")


def visits_of_the_day(
    user: User, *, engineer: User | int | None = None, today: date | None = None
) -> QuerySet[Visit]:
    """An engineer's day: the planned visits whose window contains the hospital's today,
    and the visits done today (in the hospital's zone)."""

    def of_the_day(zone: str, day: date) -> Q:
        start = datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))
        return Q(state=VisitState.PLANNED, window_start__lte=day, window_end__gte=day) | Q(
            state=VisitState.DONE, done_at__gte=start, done_at__lt=start + timedelta(days=1)
        )

    return visits_for(user, engineer=engineer).filter(_per_zone(of_the_day, today))


def visit_display_state(visit: Visit, today: date | None = None) -> str:
    """How a visit stands on ``today`` (default: the hospital's today): "planned" (before
    its window), "due" (window open, both ends included), "overdue", "done" (signed),
    "awaiting_signature" (done, not yet signed by the hospital) or "cancelled"."""
    if visit.state == VisitState.CANCELLED:
        return "cancelled"
    if visit.state == VisitState.DONE:
        return "done" if visit.is_signed else "awaiting_signature"
    today = today or local_today(visit.hospital.time_zone)
    if today < visit.window_start:
        return "planned"
    if today <= visit.window_end:
        return "due"
    return "overdue"


# --- trips ---------------------------------------------------------------------------------


@dataclass
class Trip:
    """The visits of one hospital due on one day: one journey for the engineers."""

    hospital: Hospital
    day: date
    visits: list[Visit]
    engineers: list[User]


def visit_trips(visits: Iterable[Visit]) -> list[Trip]:
    """One trip per hospital and due date, by day then hospital name; the engineers of a
    trip are those of its visits (prefetch ``engineers`` and select ``hospital``)."""
    groups: dict[tuple[int, date], list[Visit]] = {}
    for visit in visits:
        groups.setdefault((visit.hospital_id, visit.due_on), []).append(visit)
    trips = []
    for (_hospital_id, day), grouped in groups.items():
        engineers = {user.pk: user for visit in grouped for user in visit.engineers.all()}
        trips.append(
            Trip(
                hospital=grouped[0].hospital,
                day=day,
                visits=grouped,
                engineers=sorted(
                    engineers.values(), key=lambda u: (u.last_name, u.first_name, u.username)
                ),
            )
        )
    return sorted(trips, key=lambda t: (t.day, t.hospital.name, t.hospital.pk))


# --- completion rate -----------------------------------------------------------------------

ONE_DECIMAL = Decimal("0.1")


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal (half up); None of nothing."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CompletionRow:
    """Joint-Commission-style "100% of scheduled": the obligations due in the period
    (of visits not cancelled), how many were fulfilled, and how many of those within their
    visit's window (local dates). ``hospital`` is None on the total row."""

    hospital: Hospital | None
    scheduled: int
    done: int
    done_in_window: int
    rate: Decimal | None  # done of scheduled, percent
    rate_in_window: Decimal | None  # done within the window of scheduled, percent

    @classmethod
    def of(cls, hospital: Hospital | None, counts: dict[str, int]) -> CompletionRow:
        scheduled, done, in_window = counts["scheduled"], counts["done"], counts["in_window"]
        return cls(
            hospital=hospital,
            scheduled=scheduled,
            done=done,
            done_in_window=in_window,
            rate=percent(done, scheduled),
            rate_in_window=percent(in_window, scheduled),
        )


def completion_rates(
    user: User, *, start: date, end: date, hospital: Hospital | int | None = None
) -> list[CompletionRow]:
    """Per hospital in ``user``'s scope with something scheduled in [start, end] (local
    dates; ``hospital`` alone when given, even with nothing scheduled), by name, then the
    total row. An obligation counts once, however many kinds its visit covers; cancelled
    visits do not count; special inspections are never scheduled."""
    obligations = VisitObligation.objects.filter(
        scope_q(user, hospital="visit__hospital_id", department="visit__department_id"),
        due_on__gte=start,
        due_on__lte=end,
    ).exclude(visit__state=VisitState.CANCELLED)
    if hospital is not None:
        obligations = obligations.filter(visit__hospital_id=_pk(hospital))
    counts: dict[int, dict[str, int]] = {}
    for zone in _zones():
        # The day it was done, in the hospital's zone, against the window (local dates).
        rows = (
            obligations.filter(visit__hospital__time_zone=zone)
            .alias(done_on=TruncDate("fulfilled_at", tzinfo=ZoneInfo(zone)))
            .order_by()
            .values("visit__hospital_id")
            .annotate(
                scheduled=Count("pk"),
                done=Count("pk", filter=Q(fulfilled_at__isnull=False)),
                in_window=Count(
                    "pk",
                    filter=Q(
                        fulfilled_at__isnull=False,
                        done_on__gte=F("visit__window_start"),
                        done_on__lte=F("visit__window_end"),
                    ),
                ),
            )
        )
        for row in rows:
            counts[row.pop("visit__hospital_id")] = row
    hospital_ids = set(counts) | ({_pk(hospital)} if hospital is not None else set())
    hospitals = Hospital.objects.for_user(user).filter(pk__in=hospital_ids).order_by("name", "pk")
    empty = {"scheduled": 0, "done": 0, "in_window": 0}
    result = [CompletionRow.of(h, counts.get(h.pk, empty)) for h in hospitals]
    total = {key: sum(counts.get(h.pk, empty)[key] for h in hospitals) for key in empty}
    return [*result, CompletionRow.of(None, total)]
