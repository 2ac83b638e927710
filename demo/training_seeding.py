"""The demo's customer training (R-2.1, R-2.2), built through the services: a training plan
per contract, each with a session already held (three attendees signed in on a tablet, two
of them assessed) and an upcoming one. Idempotent: a plan is found by its contract and
title, and a plan that already has sessions is left alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from accounts.models import User
from contracts.models import Contract
from customers.models import Department, Hospital
from training.models import TrainingPlan, TrainingTopic
from training.services import (
    attendance_record,
    training_plan_create,
    training_session_create,
)

from .signatures import drawn_signature

ATTENDEES = (
    # name, role, score
    ("王晓梅", "护士长", 95),
    ("刘建华", "主治医师", 88),
    ("周婷", "设备科工程师", None),
)
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"
UPCOMING_TOPICS = ("新入职护士设备操作培训", "设备日常保养与常见报警处理", "应急处理程序演练")


def _at(day: date, hour: int, minute: int, hospital: Hospital) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(hospital.time_zone))


def _departments(contract: Contract) -> list[Department]:
    """The departments of the contract's devices, else the hospital's."""
    found = list(
        Department.objects.filter(devices__contract_line__contract=contract)
        .distinct()
        .order_by("name")
    )
    return found or list(Department.objects.filter(hospital=contract.hospital).order_by("name"))


def _lecturers(contract: Contract, users: Mapping[str, User], index: int) -> tuple[User, User]:
    """The contract's first dedicated engineer gives the held session; the upcoming one is
    the service manager's or, every other plan, the second engineer's (R-2.2)."""
    engineers = sorted(contract.dedicated_engineers.all(), key=lambda u: u.username)
    engineer = engineers[0] if engineers else users["engineer1"]
    manager = contract.service_manager or users["manager"]
    if not manager.vendor_role:  # an administrator: not a lecturer
        manager = users["manager"]
    if index % 2 and len(engineers) > 1:
        return engineer, engineers[1]
    return engineer, manager


def seed_training(
    *,
    users: Mapping[str, User],
    hospitals: Mapping[str, Hospital],
    today: date,
    created: Counter[str],
) -> None:
    """A plan per contract of the demo hospitals, with a held and an upcoming session."""
    topics = list(TrainingTopic.objects.filter(standard=True, active=True).order_by("sort_order"))
    index = 0
    for key in sorted(hospitals):
        hospital = hospitals[key]
        contracts = (
            Contract.objects.filter(hospital=hospital)
            .select_related("hospital", "service_manager")
            .prefetch_related("dedicated_engineers")
            .order_by("number")
        )
        for contract in contracts:
            title = f"{contract.title or contract.number} 培训计划"
            plan = TrainingPlan.objects.filter(contract=contract, title=title).first()
            if plan is None:
                plan = training_plan_create(
                    contract=contract,
                    title=title,
                    notes="按合同约定免费培训相关人员（售后服务方案 §二）。",
                )
                created["training plans"] += 1
            if not plan.sessions.exists():
                _sessions(plan, contract, users, topics, today, index, created)
            index += 1


def _sessions(plan, contract, users, topics, today: date, index: int, created) -> None:
    hospital = contract.hospital
    departments = _departments(contract)
    engineer, second = _lecturers(contract, users, index)
    room = f"{departments[0].name}示教室" if departments else "医院示教室"
    held = training_session_create(
        plan=plan,
        lecturer=engineer,
        starts_at=_at(today - timedelta(days=12 + 9 * index), 9, 30, hospital),
        duration=timedelta(hours=2),
        place=room,
        topics=topics,
        audience_departments=departments[:3],
        content="设备结构与工作原理讲解、安装要求说明、上机操作演示及日常维护保养要点。",
    )
    training_session_create(  # upcoming: nobody signs in before its day
        plan=plan,
        lecturer=second,
        starts_at=_at(today + timedelta(days=6 + 5 * index), 14, 0, hospital),
        duration=timedelta(minutes=90),
        place=room,
        topics=topics[2:],
        topic_text=UPCOMING_TOPICS[index % len(UPCOMING_TOPICS)],
        audience_departments=departments[:2],
    )
    created["training sessions"] += 2
    for n, (name, role, score) in enumerate(ATTENDEES):
        department = departments[n % len(departments)] if departments else None
        attendance_record(
            session=held,
            # Different people per session: the name's surname follows the plan.
            name=SURNAMES[(index + n) % len(SURNAMES)] + name[1:],
            department=department,
            department_text="" if department else "设备科",
            role=role,
            signature_data_url=drawn_signature(7 * index + n),
            score=score,
            recorded_by=engineer,
            now=held.starts_at + timedelta(minutes=3 + 4 * n),
        )
        created["training attendees"] += 1
