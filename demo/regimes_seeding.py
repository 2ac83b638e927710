"""The demo's management regimes (R-2.3, R-7.5), built through ``regimes.services``.

For every demo hospital: the three standard regime documents (维修保养责任制度 with two
versions, 设备巡检制度 as an uploaded file, 医疗设备应急处理制度), receipts by some of its
departments (some of the old version only, so "needs the current version" shows, some
signed on screen), and departments that have received nothing yet.

A document is known by its hospital and title, a version by its number, and a version that
already has receipts gets none added, so a second run creates nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from customers.models import Department, Hospital
from regimes import services
from regimes.models import RegimeDocument, RegimeKind, RegimeReceipt, RegimeVersion

from .catalogue import HOSPITALS
from .signatures import drawn_signature

MAINTENANCE_V1 = (
    "一、各使用科室设备负责人对本科室医疗设备的日常维护保养负责。\n"
    "二、设备使用人员每日开机前检查设备外观、电源及报警功能，并填写运行记录。\n"
    "三、厂家工程师按保养周期进行维护保养，科室人员在维护保养记录上确认签字。\n"
    "四、设备发生故障立即停用并报修，严禁带故障运行。"
)
MAINTENANCE_V2 = (
    MAINTENANCE_V1
    + "\n五、科室设备负责人每月核对维护保养记录，缺项及时通知设备科和厂家售后服务部门。"
)
INSPECTION_TEXT = (
    "设备巡检制度\n"
    "1. 厂家工程师每月对在用设备巡查一次，每季度进行一次全面检查。\n"
    "2. 每年进行一次年度维护检修，检查结果记入设备档案。\n"
    "3. 巡检发现异常时立即安排专项检查，并书面告知使用科室。\n"
)
EMERGENCY_TEXT = (
    "一、设备突发故障时，立即启用备用设备或替代方案，确保患者安全。\n"
    "二、拨打厂家售后服务热线，说明设备型号、序列号和故障现象。\n"
    "三、夜间及节假日由值班工程师负责，12 小时内完成抢修。\n"
    "四、故障排除后，工程师向科室说明故障成因及所采取的措施。"
)


@dataclass(frozen=True)
class VersionPlan:
    days_ago: int  # effective from today minus this
    text: str = ""
    file_name: str = ""  # uploaded as a file with ``text`` as its content
    summary: str = ""
    received_by: int = 0  # how many departments (in name order) received it
    signed: bool = False


@dataclass(frozen=True)
class DocumentPlan:
    kind: str
    title: str
    versions: tuple[VersionPlan, ...]


PLANS = (
    DocumentPlan(
        RegimeKind.MAINTENANCE_RESPONSIBILITY,
        "医疗设备维修保养责任制度",
        (
            VersionPlan(200, MAINTENANCE_V1, summary="首次发布", received_by=5),
            VersionPlan(
                30,
                MAINTENANCE_V2,
                summary="增加第五条：科室负责人每月核对维护保养记录",
                received_by=2,
                signed=True,
            ),
        ),
    ),
    DocumentPlan(
        RegimeKind.INSPECTION,
        "设备巡检制度",
        (
            VersionPlan(
                120,
                INSPECTION_TEXT,
                file_name="设备巡检制度.txt",
                summary="首次发布",
                received_by=3,
            ),
        ),
    ),
    DocumentPlan(
        RegimeKind.EMERGENCY,
        "医疗设备应急处理制度",
        (VersionPlan(90, EMERGENCY_TEXT, summary="首次发布", received_by=1),),
    ),
)


def _engineer(hospital_key: str, users: Mapping[str, User]) -> User | None:
    spec = next((h for h in HOSPITALS if h.key == hospital_key), None)
    if spec is not None and spec.contracts and spec.contracts[0].engineers:
        user = users.get(spec.contracts[0].engineers[0])
        if user is not None:
            return user
    return users.get("manager")


def seed_regimes(
    *,
    users: Mapping[str, User],
    hospitals: Mapping[str, Hospital],
    today: date,
    created: Counter[str],
) -> None:
    """Create whatever of the demo's regimes is missing; count what was made."""
    now = timezone.now()
    manager = users.get("manager")
    for key, hospital in sorted(hospitals.items()):
        engineer = _engineer(key, users)
        departments = list(
            Department.objects.filter(hospital=hospital)
            .select_related("responsible_contact")
            .order_by("name")
        )
        zone = ZoneInfo(hospital.time_zone)
        for plan in PLANS:
            document = RegimeDocument.objects.filter(hospital=hospital, title=plan.title).first()
            if document is None:
                document = services.regime_document_create(
                    hospital=hospital, kind=plan.kind, title=plan.title, created_by=manager
                )
                created["regime documents"] += 1
            known = {v.number: v for v in RegimeVersion.objects.filter(document=document)}
            for number, version_plan in enumerate(plan.versions, start=1):
                version = known.get(number)
                if version is None:
                    version = services.regime_version_add(
                        document=document,
                        effective_from=today - timedelta(days=version_plan.days_ago),
                        text="" if version_plan.file_name else version_plan.text,
                        file=ContentFile(
                            version_plan.text.encode("utf-8"), name=version_plan.file_name
                        )
                        if version_plan.file_name
                        else None,
                        summary=version_plan.summary,
                        created_by=manager,
                    )
                    created["regime versions"] += 1
                if RegimeReceipt.objects.filter(version=version).exists():
                    continue
                day = version.effective_from + timedelta(days=2)
                received_at = min(datetime.combine(day, time(10), tzinfo=zone), now)
                for department in departments[: version_plan.received_by]:
                    head = department.responsible_contact
                    services.regime_receipt_record(
                        document=document,
                        version=version,
                        department=department,
                        recipient_contact=head,
                        recipient_name=head.name if head else "科室负责人",
                        received_at=received_at,
                        signature_data_url=drawn_signature() if version_plan.signed else "",
                        recorded_by=engineer,
                        now=now,
                    )
                    created["regime receipts"] += 1
