"""A small world in which every panel of every home has something (issue 13 §4): requests
breached, at risk and without an engineer, a disputed statement and statements to review,
send and accept, an overdue visit and return visit, a repair record, a visit and a
return-visit sheet waiting for the hospital's signature, two hotline calls today (one still
open) and one two days ago."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from charges import services as charges
from charges import workflow as statement_workflow
from charges.tests.factories import resolved_request, sent_statement
from contracts.tests.factories import ContractFactory
from core.timeutil import local_today
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from maintenance.models import VisitState
from maintenance.tests.factories import VisitFactory
from return_visits.models import ReturnVisit
from service import services
from service.hotline.services import call_close, call_log
from service.tests.test_records import sign, write_record

# A real hospital's name is long: it must wrap, never widen the page.
HOSPITAL = "青岛大学附属医院西海岸院区（黄岛区人民医院）"
ZONE = "Asia/Shanghai"
# Noon in Shanghai: every request of the world was reported "today" on the hotline's home.
NOON = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)


def open_request(device, *, ago: dt.timedelta, recorded_by, engineer=None, severity="normal"):
    now = timezone.now()
    request = services.service_request_open(
        device=device,
        severity=severity,
        channel="hotline",
        description="呼吸机开机自检失败，报警“氧电池故障”，科室已改用备用机。",
        recorded_by=recorded_by,
        reported_at=now - ago,
        now=now,
    )
    if engineer is not None:
        request.engineers.add(engineer)
    return request


def _return_visit(hospital, name: str, *, month: dt.date, **fields: Any) -> ReturnVisit:
    department = DepartmentFactory(hospital=hospital, name=name)
    next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return ReturnVisit.objects.create(
        hospital=hospital,
        department=department,
        month=month,
        due_on=month.replace(day=15),
        window_start=month,
        window_end=next_month - dt.timedelta(days=1),
        **fields,
    )


def home_world() -> dict[str, Any]:
    dispatcher = vendor_user(VendorRole.DISPATCHER, username="dispatcher")
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    manager = vendor_user(VendorRole.MANAGER, username="manager")
    hospital = HospitalFactory(name=HOSPITAL, time_zone=ZONE)
    department = DepartmentFactory(hospital=hospital, name="重症医学科（ICU）")
    device = DeviceFactory(
        department=department, serial_number="SN-2026-0000000001", location="3 号楼 5 层 12 床"
    )
    ContractFactory(hospital=hospital, devices=[device]).dedicated_engineers.set([engineer])
    breached = open_request(
        device, ago=dt.timedelta(hours=6), recorded_by=dispatcher, engineer=engineer
    )
    at_risk = open_request(
        device, ago=dt.timedelta(hours=3, minutes=30), recorded_by=dispatcher, engineer=engineer
    )
    # A device without a contract: no dedicated engineer takes its request on its own.
    emergency_room = DepartmentFactory(hospital=hospital, name="急诊科")
    uncovered = DeviceFactory(department=emergency_room, serial_number="SN-2026-0000000002")
    unassigned = open_request(uncovered, ago=dt.timedelta(minutes=10), recorded_by=dispatcher)

    # The charges: one disputed, one to review (a draft), one to send (reviewed), one sent.
    hospital_admin = hospital_user(hospital, username="hospital")
    disputed = sent_statement(resolved_request(device, engineer=engineer), manager=manager)
    statement_workflow.charge_statement_dispute(
        statement=disputed, user=hospital_admin, comment="人工费与合同不符"
    )
    charges.charge_statement_draft(request=resolved_request(device, engineer=engineer))
    statement_workflow.charge_statement_review(
        statement=charges.charge_statement_draft(
            request=resolved_request(device, engineer=engineer)
        ),
        user=manager,
    )
    sent_statement(resolved_request(device, engineer=engineer), manager=manager)

    # A repair record the engineer has signed and the hospital not yet.
    signed = resolved_request(device, engineer=engineer)
    record = write_record(signed, engineer, fault_at=timezone.now() - dt.timedelta(hours=7))
    sign(record, "engineer", engineer)

    # The hotline's calls: two today (a fault still open, a complaint closed), one before.
    fault_call = call_log(
        user=dispatcher,
        kind="fault",
        said="监护仪无波形",
        caller_name="王芳",
        phone="138 0013 8000",
        device=device,
    )
    call_close(
        call=call_log(user=dispatcher, kind="complaint", said="工程师迟到", hospital=hospital),
        user=dispatcher,
    )
    call_log(
        user=dispatcher,
        kind="consultation",
        said="如何更换氧电池",
        hospital=hospital,
        started_at=timezone.now() - dt.timedelta(days=2),
    )

    today = local_today(ZONE)
    # Visits: one overdue, one of this week for the engineer, one done and not yet signed.
    overdue_visit = VisitFactory(device=device, due_on=today - dt.timedelta(days=30))
    overdue_visit.engineers.set([engineer])
    VisitFactory(device=device, due_on=today + dt.timedelta(days=2)).engineers.set([engineer])
    VisitFactory(
        device=device,
        due_on=today - dt.timedelta(days=1),
        state=VisitState.DONE,
        done_at=timezone.now(),
    )
    # Return visits: last quarter's one never done, this month's recorded and not signed.
    this_month = today.replace(day=1)
    long_ago = (this_month - dt.timedelta(days=70)).replace(day=1)
    _return_visit(hospital, "心内科", month=long_ago)
    _return_visit(hospital, "儿科", month=this_month, recorded_at=timezone.now())
    return {
        "dispatcher": dispatcher,
        "engineer": engineer,
        "manager": manager,
        "hospital": hospital_admin,
        "hospital_obj": hospital,
        "device": device,
        "uncovered": uncovered,
        "breached": breached,
        "at_risk": at_risk,
        "unassigned": unassigned,
        "record_request": signed,
        "overdue_visit": overdue_visit,
        "fault_call": fault_call,
    }
