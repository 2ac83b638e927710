"""What the demo adds so that every panel of every demo login's home has something in it
(issue 13 §4), through the services, idempotent:

- a fault reported on the web by the first hospital's department user on a device under no
  contract (taken over from another campus, registered here): no dedicated engineer takes
  it, so it waits for an engineer (the hotline's and the manager's homes);
- the first hospital's resolved request whose repair record the engineer has written and
  signed, waiting for the hospital's signature;
- this month's return-visit sheet of the first hospital's first department of its
  department user, filled in and waiting for both signatures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from assets import services as assets
from assets.models import Device
from core.signing import SignatureRole
from core.timeutil import local_today
from customers.models import Hospital
from return_visits.models import ReturnVisit, ReturnVisitState
from service import services
from service.models import ServiceRequest, Signature
from service.repair_records.services import (
    repair_record_initial,
    repair_record_save,
    repair_record_sign,
)
from service.selectors import requests_awaiting_hospital_signature

from .catalogue import HOSPITALS
from .return_visits_seeding import _complete
from .signatures import drawn_signature

WEB_REPORT = "监护仪开机后屏幕无显示，指示灯闪烁（网上报修）"
WEB_REPORT_AGO = timedelta(minutes=15)
TRANSFERRED_SERIAL = "DH-TRANSFER-0001"


def seed_homes(
    *,
    users: Mapping[str, User],
    hospitals: Mapping[str, Hospital],
    now: datetime,
    created: Counter[str],
) -> None:
    spec = HOSPITALS[0]
    hospital = hospitals.get(spec.key)
    if hospital is None:
        return
    departments = list(spec.department_user_departments)
    _web_report(hospital, departments, reporter=users[f"{spec.key}-icu"], now=now, created=created)
    _record_to_sign(hospital, departments, now=now, created=created)
    _sheet_to_sign(hospital, departments, users=users, created=created)


def _web_report(
    hospital: Hospital, departments: list[str], *, reporter: User, now: datetime, created
) -> None:
    if ServiceRequest.objects.filter(hospital=hospital, description=WEB_REPORT).exists():
        return
    device = _device_without_contract(hospital, departments)
    if device is None:
        return
    # Numbers follow the order of reporting: not before what the visits raised just now.
    latest = ServiceRequest.objects.order_by("-reported_at").values_list("reported_at", flat=True)
    # (the visits' findings are reported when they were seeded, after the seeder's ``now``)
    current = max(now, timezone.now())
    reported_at = min(max([now - WEB_REPORT_AGO, *latest[:1]]), current)
    services.service_request_open(
        device=device,
        severity="normal",
        channel="web",
        description=WEB_REPORT,
        recorded_by=reporter,
        reported_at=reported_at,
        reporter_name=reporter.get_full_name(),
        reporter_phone="0532-8291 7000",
        now=current,
    )
    created["service requests"] += 1


def _device_without_contract(hospital: Hospital, departments: list[str]) -> Device | None:
    """A monitor the department took over from another campus, registered, under no
    contract yet: nobody is dedicated to it."""
    known = Device.objects.filter(hospital=hospital, serial_number=TRANSFERRED_SERIAL).first()
    if known is not None:
        return known
    sibling = (
        Device.objects.filter(hospital=hospital, department__name__in=departments)
        .select_related("department", "product_model")
        .order_by("department__name", "serial_number")
        .first()
    )
    if sibling is None:
        return None
    return assets.device_register(
        product_model=sibling.product_model,
        serial_number=TRANSFERRED_SERIAL,
        hospital=hospital,
        department=sibling.department,
        location="抢救室 2 床（院区调拨）",
    )


def _record_to_sign(hospital: Hospital, departments: list[str], *, now: datetime, created) -> None:
    """A resolved, still open request of the hospital (its department user's first, if
    any) whose record nobody has signed yet: the engineer writes it and signs."""
    requests = ServiceRequest.objects.filter(hospital=hospital)
    if requests_awaiting_hospital_signature(requests).exists():
        return  # seeded on an earlier run
    resolved = requests.filter(is_open=True, status="resolved").select_related("department")
    candidates = sorted(resolved, key=lambda r: (r.department.name not in departments, r.pk))
    for request in candidates:
        engineer = request.engineers.order_by("pk").first()
        if engineer is None or Signature.objects.filter(record__request=request).exists():
            continue
        record = repair_record_save(
            request=request,
            author=engineer,
            now=now,
            **repair_record_initial(request=request),
            state_before_fault="设备运行正常，按计划使用。",
            checks_done="查看报警日志，检查电源与主板连接。",
            diagnosis="电源适配器输出不稳，导致设备反复重启。",
            solution="更换电源适配器，连续运行两小时无报警。",
            labor_hours=Decimal("1.5"),
            fault_cause="quality",
        )
        repair_record_sign(
            record=record,
            role=SignatureRole.ENGINEER,
            signer_name=engineer.get_full_name() or engineer.get_username(),
            signature_data_url=drawn_signature(11),
            user=engineer,
            now=now,
        )
        created["repair records awaiting the hospital's signature"] += 1
        return


def _sheet_to_sign(
    hospital: Hospital, departments: list[str], *, users: Mapping[str, User], created
) -> None:
    today = local_today(hospital.time_zone)
    visit = (
        ReturnVisit.objects.filter(
            hospital=hospital, month=today.replace(day=1), department__name__in=departments
        )
        .order_by("department__name", "pk")
        .prefetch_related("engineers")
        .first()
    )
    if visit is None or visit.state != ReturnVisitState.PLANNED or visit.recorded_at is not None:
        return
    assigned = sorted(visit.engineers.all(), key=lambda u: u.pk)
    engineer = assigned[0] if assigned else users["engineer1"]
    _complete(visit, 0, engineer, sign=False, on=today)
    created["return-visit sheets to sign"] += 1
