"""The demo's monthly return visits (回访, R-7.1), built through the services: this month's
and the next ones planned by ``return_visits_generate``, last month's as well, and for a
couple of departments last month's sheet filled in and signed by both sides, so signed
sheets and their archived PDFs exist. Idempotent: generation creates only what is missing,
and a sheet already signed is left alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import User
from customers.models import Hospital
from return_visits.models import ReturnVisit, ReturnVisitState
from return_visits.selectors import department_devices, department_people
from return_visits.services import return_visit_record, return_visit_sign, return_visits_generate

from .signatures import drawn_signature

COMPLETED_DEPARTMENTS = 2


class _Sheet(TypedDict):
    training_given: str
    finding: tuple[str, str]
    attention: str
    satisfaction: int
    comments: str


SHEETS: tuple[_Sheet, ...] = (
    {
        "training_given": "呼吸机日常清洁消毒、管路更换与报警处理培训。",
        "finding": ("hidden_risk", "设备电源插座松动，存在断电隐患，已提醒科室联系后勤更换。"),
        "attention": "报警音量偏低，已现场调整。",
        "satisfaction": 5,
        "comments": "工程师响应及时，培训讲解清楚。",
    },
    {
        "training_given": "监护仪导联线维护与电池保养培训。",
        "finding": ("fault", "一台设备血氧探头接触不良，已现场更换备用探头。"),
        "attention": "",
        "satisfaction": 4,
        "comments": "希望下次回访增加新护士的操作培训。",
    },
)


def _last_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _complete(
    visit: ReturnVisit, n: int, engineer: User, *, sign: bool = True, on: date | None = None
) -> None:
    """Fill in and sign ``visit``'s sheet on its due day (or ``on``), as the engineer's phone
    would; ``sign=False`` leaves it waiting for both signatures."""
    zone = ZoneInfo(visit.hospital.time_zone)
    plan = SHEETS[n % len(SHEETS)]
    day = on or visit.due_on
    recorded_at = datetime.combine(day, time(10, 30), tzinfo=zone)
    if on is not None:  # today: not later than now
        recorded_at = min(recorded_at, timezone.now())
    devices = list(department_devices(visit.department))
    people = department_people(visit.department)[:2] or [{"name": "科室负责人", "role": ""}]
    rows = [{"device": d.pk, "state": "normal", "note": ""} for d in devices]
    if rows and plan["attention"]:
        rows[0].update(state="attention", note=plan["attention"])
    kind, description = plan["finding"]
    findings = [{"device": devices[-1].pk, "kind": kind, "description": description}]
    return_visit_record(
        visit=visit,
        user=engineer,
        participants=people,
        devices=rows,
        training_given=plan["training_given"],
        findings=findings if devices else [],
        satisfaction=plan["satisfaction"],
        comments=plan["comments"],
        visited_on=day,
        now=recorded_at,
    )
    if not sign:
        return
    return_visit_sign(
        visit=visit,
        role="engineer",
        signer_name=engineer.get_full_name() or engineer.get_username(),
        signature_data_url=drawn_signature(2 * n),
        user=engineer,
        now=recorded_at + timedelta(minutes=20),
    )
    # The department's head signs on the engineer's phone.
    return_visit_sign(
        visit=visit,
        role="hospital",
        signer_name=people[0]["name"],
        signer_role=people[0]["role"] or "科室负责人",
        signature_data_url=drawn_signature(2 * n + 1),
        user=engineer,
        now=recorded_at + timedelta(minutes=22),
    )


def seed_return_visits(
    *,
    users: Mapping[str, User],
    hospitals: Mapping[str, Hospital],
    today: date,
    created: Counter[str],
) -> None:
    """Plan the return visits (last month, this month and the horizon) and complete last
    month's for the first departments of the first hospital. The PDFs are archived when
    the surrounding transaction commits."""
    last_month = _last_month(today)
    created["return visits"] += return_visits_generate(today=last_month, horizon_days=0).created
    created["return visits"] += return_visits_generate(today=today).created
    if not hospitals:
        return
    first = hospitals[sorted(hospitals)[0]]
    visits = (
        ReturnVisit.objects.filter(hospital=first, month=last_month)
        .exclude(state=ReturnVisitState.CANCELLED)
        .select_related("hospital", "department")
        .prefetch_related("engineers")
        .order_by("department__name", "pk")[:COMPLETED_DEPARTMENTS]
    )
    for n, visit in enumerate(visits):
        if visit.state != ReturnVisitState.PLANNED:
            continue  # signed on an earlier run
        assigned = sorted(visit.engineers.all(), key=lambda u: u.pk)
        engineer = assigned[0] if assigned else users["engineer1"]
        _complete(visit, n, engineer)
        created["signed return-visit sheets"] += 1
