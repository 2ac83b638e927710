"""Resolved service requests with repair records, the way charges sees them; everything
is made through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from customers.tests.factories import DepartmentFactory, HospitalFactory
from service.repair_records.services import repair_record_save
from service.services import service_request_open, service_request_record_event


def covered_device(*, accepted_on: dt.date | None, warranty_months: int = 12, hospital=None):
    hospital = hospital or HospitalFactory(name="青岛市市立医院")
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    device = DeviceFactory(department=department, accepted_on=accepted_on)
    ContractFactory(hospital=hospital, devices=[device], warranty_months=warranty_months)
    return device


def resolved_request(
    device,
    *,
    reported_at: dt.datetime | None = None,
    arrivals: int = 1,
    resolve: bool = True,
    labor_hours: Decimal = Decimal("1.5"),
    fault_cause: str = "quality",
    parts_replaced: list[dict] | None = None,
    engineer=None,
    before_resolve=None,
):
    """A request reported at ``reported_at`` with ``arrivals`` trips, a repair record and
    (``resolve``) its resolution; ``before_resolve(request)`` runs before it (stock)."""
    engineer = engineer or vendor_user(VendorRole.ENGINEER)
    now = timezone.now()
    reported_at = reported_at or now - dt.timedelta(hours=6)
    request = service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="呼吸机报警",
        recorded_by=engineer,
        reported_at=reported_at,
        now=max(now, reported_at),
    )
    request.engineers.add(engineer)  # dispatched to the engineer who records the trips
    moment = reported_at
    for trip in range(arrivals):
        if trip:  # left in between: the next arrival is another trip
            moment = moment + dt.timedelta(minutes=10)
            service_request_record_event(
                request=request, type="departed", occurred_at=moment, actor=engineer, now=moment
            )
        moment = reported_at + dt.timedelta(minutes=30 * (trip + 1))
        # Recorded as it happened.
        service_request_record_event(
            request=request, type="arrived", occurred_at=moment, actor=engineer, now=moment
        )
    repair_record_save(
        request=request,
        author=engineer,
        now=max(now, moment),
        symptoms="开机报警",
        diagnosis="电源板损坏",
        solution="更换电源板",
        labor_hours=labor_hours,
        fault_cause=fault_cause,
        parts_replaced=parts_replaced or [],
    )
    if before_resolve is not None:
        before_resolve(request)
    if resolve:
        moment = moment + dt.timedelta(minutes=30)
        service_request_record_event(
            request=request,
            type="resolved" if arrivals else "remote_resolved",
            occurred_at=moment,
            actor=engineer,
            now=moment,
        )
    request.refresh_from_db()
    return request


def sent_statement(request, *, manager=None):
    """The request's statement drafted, reviewed and sent by a service manager (issue 12
    §4): what the hospital sees."""
    from charges import services, workflow

    manager = manager or vendor_user(VendorRole.MANAGER)
    statement = services.charge_statement_draft(request=request)
    workflow.charge_statement_review(statement=statement, user=manager)
    return workflow.charge_statement_send(statement=statement, user=manager)
