"""The demo's planned maintenance, built through ``maintenance.services`` (GUIDE 11).

Visits are generated for the demo devices from five weeks ago to the usual 90-day horizon.
Of the visits whose window has already closed, the oldest few are left undone (overdue);
the others were done and signed on their due day, except the last one in the first
department user's department (h1-icu), which awaits the hospital's signature. One inspection
whose window is open is done on the spot with an out-of-limit leakage current, which raises
a service request and, the leakage current being a safety item, puts its device out of use
(停用) until that request is resolved; one special inspection is due today.

Idempotent: the generation creates nothing the second time, and the completions and the
special inspection happen only while none of them exist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assets.models import Device, DeviceStatus
from maintenance.generation import visits_generate
from maintenance.models import Kind, Visit, VisitState
from maintenance.selectors import checklist_for, plan_book
from maintenance.services import visit_special_create
from maintenance.visit_records import visit_complete

from .catalogue import HOSPITALS
from .signatures import drawn_signature

HISTORY_DAYS = 35
HORIZON_DAYS = 90
OVERDUE = 3
SPECIAL_REASON = "监护仪血氧读数间歇性跳变，科室要求进行专项检查。"
SIGNING_DEPARTMENT = ("h1", "重症医学科")  # the department of the demo user h1-icu


def _results(checklist: list[dict], *, leakage: int = 35) -> dict:
    results: dict = {}
    for item in checklist:
        if item["type"] == "pass_fail":
            results[item["key"]] = "pass"
        elif item["type"] == "number":
            results[item["key"]] = (
                leakage if item["key"] == "leakage_current" else item.get("min", 0)
            )
        elif item["type"] == "text":
            results[item["key"]] = "运行正常"
    return results


def _signer(visit: Visit) -> str:
    contact = visit.department.responsible_contact
    return contact.name if contact is not None else "科室护士长"


def _done_at(visit: Visit) -> datetime:
    """10:00 on the due day in the hospital's zone."""
    return datetime.combine(visit.due_on, time(10, 0), tzinfo=ZoneInfo(visit.hospital.time_zone))


def seed_maintenance(
    *,
    users: Mapping[str, User],
    devices: Mapping[str, Device],
    today: date,
    created: Counter[str],
) -> None:
    device_list = list(devices.values())
    result = visits_generate(
        today=today - timedelta(days=HISTORY_DAYS),
        horizon_days=HISTORY_DAYS + HORIZON_DAYS,
        devices=device_list,
    )
    created["maintenance visits"] += result.created
    ids = [d.pk for d in device_list]
    ours = Visit.objects.filter(device_id__in=ids)
    if ours.filter(done_at__isnull=False).exists() or ours.filter(main_kind=Kind.SPECIAL).exists():
        return
    with transaction.atomic():
        _complete_the_past(ours, users, today, created)
        _find_on_the_spot(ours, users, today, created)
        _special_inspection(users, devices, created)


def _engineer(visit: Visit, users: Mapping[str, User]) -> User:
    return next(iter(visit.engineers.all()), None) or users["engineer1"]


def _complete_the_past(visits, users, today: date, created: Counter[str]) -> None:
    closed = list(
        visits.filter(state=VisitState.PLANNED, window_end__lt=today)
        .select_related("device__product_model", "hospital", "department__responsible_contact")
        .prefetch_related("engineers")
        .order_by("due_on", "key")
    )
    to_do = closed[OVERDUE:]  # the oldest few stay overdue
    hospital_key, department_name = SIGNING_DEPARTMENT
    awaiting = next(
        (
            v
            for v in reversed(to_do)
            if v.department.name == department_name
            and v.hospital.name == _hospital_name(hospital_key)
        ),
        to_do[-1] if to_do else None,
    )
    book = plan_book()
    for n, visit in enumerate(to_do):
        signed = {}
        if visit is not awaiting:
            signed = {"signer_name": _signer(visit), "signature_data_url": drawn_signature(n)}
        visit_complete(
            visit=visit,
            user=_engineer(visit, users),
            results=_results(checklist_for(visit, book=book)),
            now=_done_at(visit),
            **signed,
        )
        created["visits done"] += 1
        created["visits signed"] += bool(signed)


def _hospital_name(key: str) -> str:
    return next(h.name for h in HOSPITALS if h.key == key)


def _find_on_the_spot(visits, users, today: date, created: Counter[str]) -> None:
    """An inspection whose window is open, done now with 150 µA of leakage current."""
    book = plan_book()
    candidates = (
        visits.filter(
            state=VisitState.PLANNED,
            window_start__lte=today,
            window_end__gte=today,
            main_kind__in=[Kind.INSPECTION, Kind.OVERHAUL],
        )
        .select_related("device__product_model", "hospital", "department__responsible_contact")
        .prefetch_related("engineers")
        .order_by("due_on", "key")
    )
    for visit in candidates:
        checklist = checklist_for(visit, book=book)
        if not any(item["key"] == "leakage_current" for item in checklist):
            continue
        visit_complete(
            visit=visit,
            user=_engineer(visit, users),
            results=_results(checklist, leakage=150),
            signer_name=_signer(visit),
            signature_data_url=drawn_signature(99),
            raise_requests_for=["leakage_current"],
            now=timezone.now(),
        )
        created["visits done"] += 1
        created["visits signed"] += 1
        created["service requests"] += 1
        return


def _special_inspection(users, devices: Mapping[str, Device], created: Counter[str]) -> None:
    hospital_key, department_name = SIGNING_DEPARTMENT
    hospital_name = _hospital_name(hospital_key)
    device = next(
        (
            d
            for _serial, d in sorted(devices.items())
            if d.hospital.name == hospital_name
            and d.department.name == department_name
            and d.status in (DeviceStatus.IN_SERVICE, DeviceStatus.DOWN)
        ),
        None,
    )
    if device is None:
        return
    visit_special_create(device=device, user=users["manager"], reason=SPECIAL_REASON)
    created["special inspections"] += 1
