"""Reads of the monthly return visits: the settings, which departments are visited in which
month, who goes, the department's devices and people, what a page or the API lists, the
state a visit shows, and the content a signature vouches for."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from assets.models import Device, DeviceStatus
from contracts.coverage import term_last_day
from contracts.models import Contract, ContractDevice, CoverageSettings, MaintenanceAgreement
from core.timeutil import local_today
from customers.models import Contact, Department, Hospital

from .models import ReturnVisit, ReturnVisitSettings, ReturnVisitState
from .schedule import MonthSlot


@dataclass(frozen=True)
class Numbers:
    due_day: int = 15
    horizon_days: int = 90


def return_visit_numbers() -> Numbers:
    """The configured numbers (admin-editable), else the defaults."""
    row = ReturnVisitSettings.objects.filter(pk=1).first()
    if row is None:
        return Numbers()
    return Numbers(due_day=row.due_day, horizon_days=row.horizon_days)


# --- who is visited -------------------------------------------------------------------------
@dataclass(frozen=True)
class _CoveredDevice:
    department_id: int
    hospital_id: int
    anchor: date  # accepted or live, whichever came first
    accepted_on: date | None
    on_contract: bool
    agreements: tuple[tuple[date, date], ...]


def _device_in_cover(device: _CoveredDevice, slot: MonthSlot, default_months: int) -> bool:
    """Accepted or live by the month's end, and under a contract, a maintenance agreement
    running that month, or (on no contract) the default warranty on some day of the month."""
    if device.anchor > slot.window_end:
        return False
    if device.on_contract:
        return True
    if any(
        start <= slot.window_end and end >= slot.window_start for start, end in device.agreements
    ):
        return True
    start = device.accepted_on or device.anchor
    return term_last_day(start, default_months) >= slot.window_start


def departments_to_visit(
    *, time_zone: str, slots: Iterable[MonthSlot]
) -> dict[date, dict[int, int]]:
    """Per month, the departments (id -> hospital id) of the hospitals in ``time_zone`` with
    at least one device in service cover that month (see ``_device_in_cover``). Three
    queries whatever the number of devices."""
    slots = list(slots)
    if not slots:
        return {}
    last_day = max(s.window_end for s in slots)
    devices = (
        Device.objects.filter(hospital__time_zone=time_zone)
        .exclude(status=DeviceStatus.RETIRED)
        .filter(
            Q(accepted_on__isnull=False, accepted_on__lte=last_day)
            | Q(live_on__isnull=False, live_on__lte=last_day)
        )
    )
    on_contract = set(
        ContractDevice.objects.filter(device__in=devices).values_list("device_id", flat=True)
    )
    agreements: dict[int, list[tuple[date, date]]] = defaultdict(list)
    through = MaintenanceAgreement.devices.through
    for device_id, starts_on, ends_on in through.objects.filter(device__in=devices).values_list(
        "device_id", "maintenanceagreement__starts_on", "maintenanceagreement__ends_on"
    ):
        agreements[device_id].append((starts_on, ends_on))
    settings_row = CoverageSettings.objects.filter(pk=1).first()
    default_months = settings_row.default_warranty_months if settings_row else 12
    covered = [
        _CoveredDevice(
            department_id=department_id,
            hospital_id=hospital_id,
            anchor=min(d for d in (accepted_on, live_on) if d is not None),
            accepted_on=accepted_on,
            on_contract=pk in on_contract,
            agreements=tuple(agreements.get(pk, ())),
        )
        for pk, department_id, hospital_id, accepted_on, live_on in devices.values_list(
            "pk", "department_id", "hospital_id", "accepted_on", "live_on"
        )
    ]
    result: dict[date, dict[int, int]] = {}
    for slot in slots:
        chosen: dict[int, int] = {}
        for device in covered:
            if device.department_id not in chosen and _device_in_cover(
                device, slot, default_months
            ):
                chosen[device.department_id] = device.hospital_id
        result[slot.month] = chosen
    return result


def default_engineer_ids(department_ids: Iterable[int]) -> dict[int, list[int]]:
    """The dedicated engineers of the contracts of each department's devices (R-6.8)."""
    ids = set(department_ids)
    contracts: dict[int, set[int]] = defaultdict(set)
    for department_id, contract_id in (
        ContractDevice.objects.filter(device__department_id__in=ids)
        .values_list("device__department_id", "contract_id")
        .distinct()
    ):
        contracts[department_id].add(contract_id)
    engineers: dict[int, set[int]] = defaultdict(set)
    through = Contract.dedicated_engineers.through
    all_contracts = {c for cs in contracts.values() for c in cs}
    for contract_id, user_id in through.objects.filter(
        contract_id__in=all_contracts, user__is_active=True
    ).values_list("contract_id", "user_id"):
        engineers[contract_id].add(user_id)
    return {
        department_id: sorted({u for c in contract_ids for u in engineers[c]})
        for department_id, contract_ids in contracts.items()
    }


def department_contracts(department_id: int) -> list[Contract]:
    """The contracts of the department's devices (their service managers answer for it)."""
    return list(
        Contract.objects.filter(lines__device__department_id=department_id)
        .select_related("service_manager")
        .distinct()
        .order_by("pk")
    )


# --- the department on the sheet ------------------------------------------------------------
def department_devices(department: Department) -> QuerySet[Device]:
    """The devices the sheet lists: every device of the department that is not retired."""
    return (
        Device.objects.filter(department=department)
        .exclude(status=DeviceStatus.RETIRED)
        .select_related("product_model")
        .order_by("product_model__name", "serial_number", "pk")
    )


def department_people(department: Department) -> list[dict[str, str]]:
    """The department's managers and contacts, its responsible person first: who the
    sheet's participants usually are."""
    people: list[dict[str, str]] = []
    seen: set[int] = set()
    head = department.responsible_contact
    contacts: list[Contact] = [head] if head is not None else []
    contacts += list(Contact.objects.filter(department=department).order_by("name", "pk"))
    for contact in contacts:
        if contact.pk in seen:
            continue
        seen.add(contact.pk)
        people.append({"name": contact.name, "role": contact.title})
    return people


# --- lists and states ---------------------------------------------------------------------
DISPLAY_STATES = ("planned", "overdue", "awaiting_signature", "done", "cancelled")


def display_state(visit: ReturnVisit, today: date) -> str:
    """What a page shows: done, cancelled, overdue (its month is over and it is not done),
    awaiting the signatures (the sheet is recorded), or planned."""
    if visit.state == ReturnVisitState.CANCELLED:
        return "cancelled"
    if visit.state == ReturnVisitState.DONE:
        return "done"
    if visit.window_end < today:
        return "overdue"
    if visit.recorded_at is not None:
        return "awaiting_signature"
    return "planned"


def today_of(visit: ReturnVisit) -> date:
    return local_today(visit.hospital.time_zone)


def _zones() -> list[str]:
    return sorted(set(Hospital.objects.values_list("time_zone", flat=True)))


def _overdue_q() -> Q:
    """Planned visits whose month is over, each in its hospital's zone."""
    q = Q(pk__in=[])
    for zone in _zones():
        q |= Q(hospital__time_zone=zone, window_end__lt=local_today(zone))
    return Q(state=ReturnVisitState.PLANNED) & q


def state_filter(visits: QuerySet[ReturnVisit], state: str) -> QuerySet[ReturnVisit]:
    if state == "overdue":
        return visits.filter(_overdue_q())
    if state == "awaiting_signature":
        return visits.filter(state=ReturnVisitState.PLANNED, recorded_at__isnull=False).exclude(
            _overdue_q()
        )
    if state == "planned":
        return visits.filter(state=ReturnVisitState.PLANNED, recorded_at__isnull=True).exclude(
            _overdue_q()
        )
    return visits.filter(state=state)


def return_visits_for(
    user,
    *,
    month: date | None = None,
    hospital_id: int | None = None,
    department_id: int | None = None,
    state: str | None = None,
) -> QuerySet[ReturnVisit]:
    """The return visits ``user`` sees, filtered, with what lists and the API show."""
    visits: QuerySet[ReturnVisit] = (
        ReturnVisit.objects.for_user(user)
        .select_related("hospital", "department")
        .prefetch_related("engineers")
    )
    if month is not None:
        visits = visits.filter(month=month.replace(day=1))
    if hospital_id:
        visits = visits.filter(hospital_id=hospital_id)
    if department_id:
        visits = visits.filter(department_id=department_id)
    if state:
        visits = state_filter(visits, state)
    return worklist_order(visits)


def worklist_order(visits: QuerySet[ReturnVisit]) -> QuerySet[ReturnVisit]:
    """The overdue visits first, then the other open ones, both by due date (the nearest
    first), then the closed ones (done, cancelled), the latest first (issue 12 §5): the page,
    and the API read the list in this order."""
    open_state = Q(state=ReturnVisitState.PLANNED)
    return visits.annotate(
        worklist_rank=Case(
            When(_overdue_q(), then=Value(0)),
            When(open_state, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        open_due_on=Case(When(open_state, then=F("due_on")), default=None),
    ).order_by(
        "worklist_rank",
        F("open_due_on").asc(nulls_last=True),
        "-due_on",
        "hospital__name",
        "department__name",
        "pk",
    )


# --- what is signed ---------------------------------------------------------------------
def sheet_content(visit: ReturnVisit) -> dict[str, Any]:
    """The sheet's content, JSON-ready: what each signature (and the frozen sheet's hash)
    vouches for."""
    return {
        "return_visit": visit.pk,
        "hospital": visit.hospital_id,
        "department": visit.department_id,
        "month": visit.month.isoformat()[:7],
        "visited_on": visit.visited_on.isoformat() if visit.visited_on else None,
        "participants": [
            {"name": p.name, "role": p.role} for p in visit.participants.order_by("position", "pk")
        ],
        "devices": [
            {"device": c.device_id, "state": c.state, "note": c.note}
            for c in visit.device_checks.order_by("pk")
        ],
        "training_given": visit.training_given,
        "findings": [
            {
                "device": f.device_id,
                "kind": f.kind,
                "description": f.description,
                "request": f.request.number if f.request is not None else None,
            }
            for f in visit.findings.select_related("request").order_by("position", "pk")
        ],
        "satisfaction": visit.satisfaction,
        "comments": visit.comments,
    }
