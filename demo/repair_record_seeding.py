"""The demo's signed repair record (issue 12 §2): a request whose customer signed, and that
is still open, gets its record written from the request (device, reported time, symptom),
with parts on it (one line per part, a consumable ×2) and labour hours; the engineer signs
it first, then the customer on the engineer's phone, which records the ``customer_signed``
step as the record page does. Called by ``RequestSeeder`` in place of that step."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from accounts.models import User
from core.signing import SignatureRole
from service.models import ServiceRequest
from service.repair_records.services import (
    repair_record_initial,
    repair_record_save,
    repair_record_sign,
)

from .signatures import drawn_signature

PARTS = [
    {"name": "一次性呼吸管路", "quantity": 2},
    {"name": "流量传感器", "quantity": 1, "serial_removed": "FS-2107", "serial_fitted": "FS-3391"},
]


def seed_signed_record(
    *, request: ServiceRequest, engineer: User, signed_at: datetime, created: Counter[str]
) -> ServiceRequest:
    """Write, then sign (engineer at ``signed_at`` minus 10 min, customer at ``signed_at``)."""
    record = repair_record_save(
        request=request,
        author=engineer,
        now=signed_at - timedelta(minutes=20),
        **repair_record_initial(request=request),
        state_before_fault="设备运行正常，按计划使用。",
        checks_done="查看设备运行记录与报警日志，检查气路与流量传感器。",
        diagnosis="流量传感器漂移导致通气量报警，呼吸管路老化漏气。",
        solution="更换流量传感器与两套呼吸管路，校准后试机正常。",
        parts_replaced=PARTS,
        labor_hours=Decimal("2.5"),
        fault_cause="quality",
    )
    repair_record_sign(
        record=record,
        role=SignatureRole.ENGINEER,
        signer_name=engineer.get_full_name() or engineer.get_username(),
        signature_data_url=drawn_signature(7),
        user=engineer,
        now=signed_at - timedelta(minutes=10),
    )
    repair_record_sign(
        record=record,
        role=SignatureRole.HOSPITAL,
        signer_name="周敏",
        signer_role="护士长",
        signature_data_url=drawn_signature(8),
        user=engineer,  # handed over: the customer signs on the engineer's phone
        now=signed_at,
    )
    created["repair records signed"] += 1
    request.refresh_from_db()
    return request
