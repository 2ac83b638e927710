"""The demo as data: what ``seed_demo`` creates, computed from ``random.Random(2026)`` and
today. Pure (no database), so it can be checked for any date in microseconds.

Every draw happens in a fixed order that never depends on the date, so names, serial
numbers, asset tags and numbers are the same on every run and every day; only the dates
move with today (acceptance n months ago, an agreement that started last spring …), so each
cover state stays populated whatever the date.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

from assets.models import DeviceStatus

from .catalogue import HOSPITALS, PRODUCT_MODELS, ContractSpec, HospitalSpec
from .service_plan import RequestPlan, request_plans

SEED = 2026
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩"  # one character each
GIVEN_NAMES = (  # noqa: SIM905 (a word list reads best as words)
    "秀英 桂兰 玉兰 海燕 志刚 建华 晓明 丽娜 文静 俊杰 红梅 国庆 春燕 立新 永强 雪梅 "
    "子涵 宇航 欣怡 浩然 明辉 淑珍 慧敏 振华 卫东 建平 新民 婷婷 佳琪 思远"
).split()
BEDSIDE_MODELS = {"vent", "monitor", "pump"}


@dataclass(frozen=True)
class ContactPlan:
    name: str
    title: str
    phone: str
    department: str = ""  # empty: hospital level (设备科)


@dataclass(frozen=True)
class DevicePlan:
    hospital: str
    contract: str
    department: str
    model: str
    serial: str
    asset_tag: str
    location: str
    installed_on: date
    accepted_on: date | None
    certificate_no: str
    live_on: date | None
    status: str
    udi: str
    responsible: str  # a contact's name; empty: the department's responsible person
    replacement: tuple[int, date] | None  # (which main component, replaced on)


@dataclass(frozen=True)
class AgreementPlan:
    hospital: str
    number: str
    starts_on: date
    ends_on: date
    covers_parts: bool
    fee: int
    serials: tuple[str, ...]
    notes: str


@dataclass
class DemoPlan:
    today: date
    contacts: dict[str, list[ContactPlan]] = field(default_factory=dict)
    devices: list[DevicePlan] = field(default_factory=list)
    agreements: list[AgreementPlan] = field(default_factory=list)
    requests: list[RequestPlan] = field(default_factory=list)


def demo_plan(today: date) -> DemoPlan:
    """Everything the demo contains, as data. No draw depends on ``today``."""
    rng = random.Random(SEED)  # noqa: S311 (demo data, not security)
    plan = DemoPlan(today=today)
    serials: set[str] = set()
    for hospital in HOSPITALS:
        plan.contacts[hospital.key] = _contact_plans(rng, hospital)
        assistants = {c.department: c.name for c in plan.contacts[hospital.key][3::2]}
        asset_numbers = iter(range(1, 10_000))
        for contract in hospital.contracts:
            for index in range(contract.devices + contract.not_accepted):
                device = _device_plan(
                    rng, today, hospital, contract, index, serials, assistants, asset_numbers
                )
                plan.devices.append(device)
        plan.agreements += _agreement_plans(rng, today, hospital, plan.devices)
    plan.requests = request_plans(rng, today, plan.devices, plan.contacts)
    return plan


def _contact_plans(rng: random.Random, hospital: HospitalSpec) -> list[ContactPlan]:
    """设备科 first (its head is the equipment administrator), then per department its
    responsible person (R-2.3) and a second contact, in that order."""
    taken = {hospital.admin_name, hospital.department_user_name}

    def name() -> str:
        while (drawn := rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)) in taken:
            pass
        taken.add(drawn)
        return drawn

    def phone() -> str:
        return f"{hospital.phone.rsplit('-', 1)[0]}-{rng.randint(1000, 8999)}"

    contacts = [
        ContactPlan(hospital.admin_name, "设备科科长", phone()),
        ContactPlan(name(), "设备科工程师", phone()),
    ]
    for dept in hospital.departments:
        nursing = dept.name in ("重症医学科", "手术室", "新生儿科")
        technical = dept.name in ("放射科", "检验科", "超声科")
        head = hospital.department_user_name if dept.name == "重症医学科" else name()
        contacts.append(ContactPlan(head, "护士长" if nursing else "科主任", phone(), dept.name))
        second = "技师长" if technical else "设备联络护士"
        contacts.append(ContactPlan(name(), second, phone(), dept.name))
    return contacts


def _device_plan(
    rng: random.Random,
    today: date,
    hospital: HospitalSpec,
    contract: ContractSpec,
    index: int,
    serials: set[str],
    assistants: dict[str, str],
    asset_numbers: Iterator[int],
) -> DevicePlan:
    pairs = [
        (dept, model)
        for dept in hospital.departments
        for model in dept.models
        if (dept.procedure or contract.recent)
        and (not contract.departments or dept.name in contract.departments)
        and (not contract.models or model in contract.models)
    ]
    dept, model_key = rng.choices(pairs, [PRODUCT_MODELS[m].weight for _d, m in pairs])[0]
    model = PRODUCT_MODELS[model_key]
    while (serial := f"{model.serial_prefix}-{rng.randint(100000, 999999)}") in serials:
        pass
    serials.add(serial)
    # Draw everything first, so the sequence of draws is the same whatever the outcome.
    months, days = rng.randint(*contract.accepted_months_ago), rng.randint(0, 27)
    install_lead, live_lag = rng.randint(2, 14), rng.randint(0, 3)
    produced_lead = rng.randint(30, 200)
    has_tag, has_udi, own_person = rng.random() < 0.75, rng.random() < 0.6, rng.random() < 0.2
    spot = rng.randint(1, 30) if model_key in BEDSIDE_MODELS else rng.randint(1, 12)
    status_roll, replace_roll = rng.random(), rng.random()
    replaced_part = rng.randrange(len(model.main_components))
    replaced_days_ago = rng.randint(20, 300)

    accepted = index < contract.devices
    if accepted:
        accepted_on = today - relativedelta(months=months) - timedelta(days=days)
        installed_on = accepted_on - timedelta(days=install_lead)
    else:
        accepted_on, installed_on = None, today - timedelta(days=days % 21)
    live = accepted and dept.procedure
    live_on = min(accepted_on + timedelta(days=live_lag), today) if live and accepted_on else None
    status = DeviceStatus.IN_SERVICE if live else DeviceStatus.INSTALLED
    if live and status_roll < contract.down_share:
        status = DeviceStatus.DOWN
    elif live and status_roll > 1 - contract.retired_share:
        status = DeviceStatus.RETIRED
    udi = ""
    if model.gtin and has_udi:
        produced = installed_on - timedelta(days=produced_lead)
        udi = f"(01){model.gtin}(11){produced:%y%m%d}(21){serial}"
    replacement = None
    if accepted and replace_roll < contract.replaced_share and status != DeviceStatus.RETIRED:
        replacement = (replaced_part, max(today - timedelta(days=replaced_days_ago), installed_on))
    place = f"{spot}床" if model_key in BEDSIDE_MODELS else f"{spot:02d}室"
    return DevicePlan(
        hospital=hospital.key,
        contract=contract.number,
        department=dept.name,
        model=model_key,
        serial=serial,
        asset_tag=f"ZC-{hospital.code}-{next(asset_numbers):04d}" if has_tag else "",
        location=f"{dept.building} {place}",
        installed_on=installed_on,
        accepted_on=accepted_on,
        certificate_no=f"YS-{contract.number[3:]}-{index + 1:03d}" if accepted else "",
        live_on=live_on,
        status=status,
        udi=udi,
        responsible=assistants[dept.name] if own_person else "",
        replacement=replacement,
    )


def _agreement_plans(
    rng: random.Random, today: date, hospital: HospitalSpec, devices: list[DevicePlan]
) -> list[AgreementPlan]:
    """Agreements (R-7.8) for the devices of the hospital's oldest contract, long out of
    warranty: one covering everything, one labor and travel only, one that has ended."""
    oldest = hospital.contracts[0].number
    pool = [d.serial for d in devices if d.contract == oldest and d.status != DeviceStatus.RETIRED]
    rng.shuffle(pool)
    third = len(pool) // 3
    fees = [rng.randrange(150, 260), rng.randrange(40, 90), rng.randrange(30, 60)]
    full_from = (today - relativedelta(months=7)).replace(day=1)
    labor_from = (today - relativedelta(months=3)).replace(day=1)
    ended_from = (today - relativedelta(months=40)).replace(day=1)
    code, key = hospital.code, hospital.key
    return [
        AgreementPlan(
            key, f"MA-{code}-01", full_from, full_from + relativedelta(years=2, days=-1),
            True, fees[0] * 1000, tuple(pool[:third]), "全保：备件、人工、差旅全包。",
        ),
        AgreementPlan(
            key, f"MA-{code}-02", labor_from, labor_from + relativedelta(years=1, days=-1),
            False, fees[1] * 1000, tuple(pool[third : 2 * third]),
            "人工及差旅包含在内；备件按成本价另行结算。",
        ),
        AgreementPlan(
            key, f"MA-{code}-00", ended_from, today - relativedelta(months=4, days=1),
            False, fees[2] * 1000, tuple(pool[2 * third : 2 * third + 3]), "已到期，未续签。",
        ),
    ]  # fmt: skip
