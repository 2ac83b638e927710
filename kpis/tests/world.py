"""A known history for the KPI tests, every figure of which is computed by hand in the
tests (docs/kpis.md says what each counts). Times are UTC; the viewers' zone is
Asia/Shanghai (UTC+8), so 2026-03-31T16:30Z is already April there.

Hospital 甲 (the device of model M1, engineers A and B):
- R1 plain: reported T, arrived +2 h, repaired +3 h (solution met exactly at its deadline).
- R2 paused: arrived +1 h, paused +1.5 h … +5.5 h (waiting for the customer), repaired +6 h:
  the solution promise's deadline moves back by the pause (met exactly), and the time to
  resolve is 6 h - 4 h = 2 h.
- R3 reopened: arrived +1 h, repaired +2 h, reopened +3 h, arrived +4 h, repaired +5 h: the
  first repair is void (the solution promise is met only at +5 h: breached), the time to
  resolve is 5 h, and it is no first-time fix.
- R4 remote fix: fixed by phone +30 min, nobody assigned: the on-site promises are not
  applicable, resolved in 30 min, no first-time-fix candidate.
- R5 across the month boundary: reported 2026-03-31 23:30 local, arrived 05:00 on April 1
  (5.5 h: on site breached), repaired 07:30 (8 h: met): a March request.
- R6 open: reported 2026-04-01 00:30 local (still March 31 in UTC), dispatched to B, nobody
  on site by ``NOW``: its on-site promise is breached though pending; the rest count nowhere.
Hospital 乙: one request (R7, repaired) that 甲's users never count.
"""

from __future__ import annotations

import datetime as dt

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from service.services import service_request_open, service_request_record_event

UTC = dt.UTC
H, M = dt.timedelta(hours=1), dt.timedelta(minutes=1)
T = dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
NOW = dt.datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
FIRST_DAY, LAST_DAY = dt.date(2026, 3, 1), dt.date(2026, 4, 30)


class KpiWorld:
    def __init__(self) -> None:
        self.model = ProductModelFactory(name="M1")
        self.hospital = HospitalFactory(name="甲医院")
        department = DepartmentFactory(hospital=self.hospital, name="ICU")
        self.device = DeviceFactory(product_model=self.model, department=department)
        self.other_hospital = HospitalFactory(name="乙医院")
        self.other_device = DeviceFactory(
            product_model=self.model,
            department=DepartmentFactory(hospital=self.other_hospital, name="OR"),
        )
        self.manager = vendor_user(VendorRole.MANAGER, username="manager")
        self.engineer_a = vendor_user(VendorRole.ENGINEER, username="eng-a", first_name="A")
        self.engineer_b = vendor_user(VendorRole.ENGINEER, username="eng-b", first_name="B")
        self.hospital_admin = hospital_user(self.hospital, username="jia-admin")
        self.agent = vendor_user(VendorRole.DISPATCHER, username="agent")

        a = [self.engineer_a]
        self.r1 = self._request(T, [("dispatched", 10 * M, a), ("arrived", 2 * H),
                                    ("resolved", 3 * H)])  # fmt: skip
        self.r2 = self._request(T, [("dispatched", 10 * M, a), ("arrived", 1 * H),
                                    ("paused", 90 * M), ("resumed", 5 * H + 30 * M),
                                    ("resolved", 6 * H)])  # fmt: skip
        self.r3 = self._request(T, [("dispatched", 10 * M, a), ("arrived", 1 * H),
                                    ("resolved", 2 * H), ("reopened", 3 * H),
                                    ("arrived", 4 * H), ("resolved", 5 * H)])  # fmt: skip
        self.r4 = self._request(T, [("remote_resolved", 30 * M)])
        boundary = dt.datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
        self.r5 = self._request(boundary, [("dispatched", 10 * M, a), ("arrived", 5 * H + 30 * M),
                                           ("resolved", 8 * H)])  # fmt: skip
        self.r6 = self._request(
            dt.datetime(2026, 3, 31, 16, 30, tzinfo=UTC), [("dispatched", 5 * M, [self.engineer_b])]
        )
        self.r7 = self._request(T, [("dispatched", 10 * M, a), ("arrived", 1 * H),
                                    ("resolved", 2 * H)], device=self.other_device)  # fmt: skip

    def _request(self, reported_at, steps, *, device=None):
        request = service_request_open(
            device=device or self.device,
            severity="normal",
            channel="hotline",
            description="屏幕无显示",
            recorded_by=self.agent,
            reported_at=reported_at,
            now=reported_at,
        )
        for step in steps:
            kind, after = step[0], step[1]
            at = reported_at + after
            extra: dict = {}
            if kind == "dispatched":
                extra["engineers"] = step[2]
            if kind == "paused":
                extra["data"] = {"reason": "waiting_for_customer"}
            service_request_record_event(
                request=request, type=kind, occurred_at=at, actor=None, now=at, **extra
            )
        return request
