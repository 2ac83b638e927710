"""Demo data built through the services (GUIDE convention 11): the seed's vendor, three
hospitals in Qingdao, their people, ~200 devices over every cover state, contracts with
dedicated engineers and maintenance agreements, and ~40 service requests in every state of
their promises (``demo.service_seeding``).

What to create comes from ``demo.plan`` (deterministic, dates relative to today). Here every
object is looked up by its natural key (username, hospital name, department name,
manufacturer + model, model + serial, contract or agreement number) and created only when
missing, all in one transaction, so a second run creates nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User, VendorRole
from assets import services as assets
from assets.models import ComponentFate, Device, DeviceStatus, EmergencyProcedure, ProductModel
from contracts import services as contracts
from contracts.models import Contract, MaintenanceAgreement
from contracts.selectors import device_coverage
from core.timeutil import local_today
from customers import services as customers
from customers.models import Contact, Department, Hospital, HospitalRole, ServiceOrganisation
from kpis.rollups import refresh_recent as kpi_rollups_refresh
from reports.services import monthly_reports_generate_due

from .agenda_seeding import seed_agenda
from .catalogue import (
    DEMO_PASSWORD,
    HOSPITALS,
    ORGANISATION,
    PRODUCT_MODELS,
    VENDOR_STAFF,
    ContractSpec,
    HospitalSpec,
)
from .charges_seeding import seed_charges
from .duty_seeding import seed_duty
from .history import HistorySeeder, history_requests
from .history_plan import history_plan
from .homes_seeding import seed_homes
from .hotline_seeding import seed_hotline
from .loaners_seeding import seed_loaners
from .maintenance_seeding import seed_maintenance
from .parts_seeding import seed_bag_holds, seed_parts
from .plan import AgreementPlan, DemoPlan, DevicePlan, demo_plan
from .regimes_seeding import seed_regimes
from .repair_parts_seeding import seed_repair_parts
from .return_visits_seeding import seed_return_visits
from .service_seeding import RequestSeeder
from .training_seeding import seed_training

PROCEDURE_TEXT = (
    "1. 立即停止使用故障设备，启用备用设备或替代方案，确保患者安全。\n"
    "2. 拨打青盾售后服务热线 {hotline}，说明设备型号、序列号和故障现象。\n"
    "3. 记录故障发生前的工作状态、发生时间、故障现象及目前状态，核对运行记录。\n"
    "4. 按工程师的电话指导进行初步处理；无法排除时，工程师携带备件 8 小时内到场，"
    "12 小时内排除故障。\n"
    "5. 修复后由工程师向科室人员说明故障成因及所采取的措施。"
)
HOSPITAL_BY_KEY = {hospital.key: hospital for hospital in HOSPITALS}
VENDOR_ROLE_NAMES: dict[str, str] = {
    VendorRole.ADMIN: "vendor admin (superuser)",
    VendorRole.MANAGER: "service manager",
    VendorRole.ENGINEER: "service engineer",
    VendorRole.DISPATCHER: "hotline dispatcher",
}


@dataclass
class SeedReport:
    created: Counter[str] = field(default_factory=Counter)
    cover: Counter[str] = field(default_factory=Counter)  # devices by coverage basis today


def demo_today() -> date:
    return local_today(settings.DEFAULT_HOSPITAL_TIME_ZONE)


def demo_data_loaded() -> bool:
    return User.objects.filter(username=VENDOR_STAFF[0][0]).exists()


def seed_demo(*, with_history: bool = True) -> SeedReport:
    """Create whatever of the demo is missing, in one transaction; report what was made.
    ``with_history=False`` leaves out the year of history (``demo.history``): a check of
    what the worker does after the seed need not render its hundred signed PDFs."""
    plan = demo_plan(demo_today())
    with transaction.atomic():
        seeder = _Seeder(plan, with_history=with_history)
        seeder.run()
    if with_history and +seeder.created:  # something new (a Counter keeps its zeros)
        # What the worker keeps from the history, so the key figures and the monthly reports
        # show it from the first page, not after the worker's first hourly run.
        seeder.created["kpi_rollup_months"] = len(kpi_rollups_refresh(months=13))
        seeder.created["monthly_reports"] = monthly_reports_generate_due()
    report = SeedReport(created=+seeder.created)  # unary plus drops the zero counts
    now = timezone.now()
    for device in seeder.devices.values():
        answer = device_coverage(device=device, at=now, cause="quality")
        report.cover[answer.basis.value] += 1
    return report


def demo_logins() -> list[tuple[str, str]]:
    """(username, role) of every demo user; they all share ``DEMO_PASSWORD``."""
    rows = [(username, VENDOR_ROLE_NAMES[role]) for username, _s, _g, role in VENDOR_STAFF]
    for hospital in HOSPITALS:
        departments = "、".join(hospital.department_user_departments)
        rows.append((f"{hospital.key}-admin", f"equipment administrator · {hospital.name}"))
        rows.append((f"{hospital.key}-icu", f"department user · {hospital.name} {departments}"))
    return rows


class _Seeder:
    def __init__(self, plan: DemoPlan, *, with_history: bool = True):
        self.plan = plan
        self.with_history = with_history
        self.now = timezone.now()
        self.created: Counter[str] = Counter()
        self._password: str | None = None
        self.users: dict[str, User] = {}
        self.models: dict[str, ProductModel] = {}
        self.hospitals: dict[str, Hospital] = {}
        self.departments: dict[tuple[str, str], Department] = {}
        self.contacts: dict[tuple[str, str], Contact] = {}
        self.devices: dict[str, Device] = {}

    def run(self) -> None:
        self.organisation()
        for username, surname, given, role in VENDOR_STAFF:
            admin = role == VendorRole.ADMIN
            self.user(
                username, surname, given, "qingdun-med.example", vendor_role=role,
                is_staff=admin or role == VendorRole.MANAGER, is_superuser=admin,
            )  # fmt: skip
        for key, spec in PRODUCT_MODELS.items():
            self.models[key] = self.product_model(spec)
        for hospital in HOSPITALS:
            self.hospital(hospital)
        self.emergency_procedures()
        for device_plan in self.plan.devices:
            self.devices[device_plan.serial] = self.device(device_plan)
        for hospital in HOSPITALS:
            for contract in hospital.contracts:
                self.contract(hospital, contract)
        for agreement in self.plan.agreements:
            self.agreement(agreement)
        # The stock first: the history's repairs use parts.
        seed_parts(users=self.users, devices=self.devices, created=self.created)
        history = HistorySeeder(
            plan=history_plan(self.plan),
            users=self.users,
            devices=self.devices,
            hospitals=self.hospitals,
            created=self.created,
            now=self.now,
        )
        if not self.with_history:
            history.fresh = False
        # A year of requests before the demo's own, so numbers follow the reporting order.
        history.seed_requests()
        RequestSeeder(
            now=self.now,
            users=self.users,
            devices=self.devices,
            hospitals=self.hospitals,
            created=self.created,
        ).run(self.plan.requests)
        today = self.plan.today
        seed_maintenance(users=self.users, devices=self.devices, today=today, created=self.created)
        history.seed_visits()
        people: dict[str, Any] = {
            "users": self.users,
            "hospitals": self.hospitals,
            "created": self.created,
        }
        seed_return_visits(today=today, **people)
        history.seed_return_visits()
        seed_training(today=today, **people)
        seed_regimes(today=today, **people)
        seed_agenda(**people)
        seed_duty(today=today, **people)
        seed_loaners(users=self.users, created=self.created)
        seed_repair_parts(created=self.created)
        seed_bag_holds(created=self.created)
        seed_charges(created=self.created, settled=history_requests(history.plan))
        seed_homes(users=self.users, hospitals=self.hospitals, now=self.now, created=self.created)
        # Now, not the seed's start: requests opened since (found on visits) come first.
        seed_hotline(
            users=self.users, hospitals=self.hospitals, created=self.created, now=timezone.now()
        )

    # people and organisations
    def organisation(self) -> None:
        current = ServiceOrganisation.objects.filter(pk=1).first()
        if current is None or current.name in ("", "medservice"):  # never overwrite edits
            customers.service_organisation_update(**ORGANISATION)
            self.created["organisation"] += 1

    def user(self, username: str, surname: str, given: str, domain: str, **extra) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            if self._password is None:  # hashing is slow by design: do it once
                self._password = make_password(DEMO_PASSWORD)
            user = User(
                username=username, first_name=given, last_name=surname,
                email=f"{username}@{domain}", password=self._password, **extra,
            )  # fmt: skip
            user.save()
            self.created["users"] += 1
        self.users[username] = user
        return user

    def hospital(self, spec: HospitalSpec) -> None:
        hospital = Hospital.objects.filter(name=spec.name).first()
        if hospital is None:
            hospital = customers.hospital_create(
                name=spec.name, code=spec.code, address=spec.address, phone=spec.phone
            )
            self.created["hospitals"] += 1
        self.hospitals[spec.key] = hospital
        self._departments_and_contacts(spec, hospital)
        self._hospital_users(spec, hospital)

    def _departments_and_contacts(self, spec: HospitalSpec, hospital: Hospital) -> None:
        new_departments = []
        for dept in spec.departments:
            department = Department.objects.filter(hospital=hospital, name=dept.name).first()
            if department is None:
                department = customers.department_create(hospital=hospital, name=dept.name)
                new_departments.append(department)
                self.created["departments"] += 1
            self.departments[spec.key, dept.name] = department
        for plan in self.plan.contacts[spec.key]:
            contact = Contact.objects.filter(hospital=hospital, name=plan.name).first()
            if contact is None:
                contact = customers.contact_create(
                    hospital=hospital,
                    department=self.departments[spec.key, plan.department]
                    if plan.department
                    else None,
                    name=plan.name,
                    title=plan.title,
                    phone=plan.phone,
                )
                self.created["contacts"] += 1
            self.contacts[spec.key, plan.name] = contact
        for department in new_departments:  # its first contact is its responsible person
            head = next(c for c in self.plan.contacts[spec.key] if c.department == department.name)
            customers.department_update(
                department=department, responsible_contact=self.contacts[spec.key, head.name]
            )

    def _hospital_users(self, spec: HospitalSpec, hospital: Hospital) -> None:
        domain = f"{spec.code.lower()}.example"
        admin_name, icu_name = spec.admin_name, spec.department_user_name
        for username, name, role, departments in (
            (f"{spec.key}-admin", admin_name, HospitalRole.EQUIPMENT_ADMIN, ()),
            (f"{spec.key}-icu", icu_name, HospitalRole.DEPARTMENT_USER,
             spec.department_user_departments),
        ):  # fmt: skip
            known = User.objects.filter(username=username).exists()
            user = self.user(username, name[0], name[1:], domain)
            if not known:
                customers.hospital_membership_set(
                    user=user,
                    hospital=hospital,
                    role=role,
                    departments=[self.departments[spec.key, d] for d in departments],
                )

    # the installed base
    def product_model(self, spec) -> ProductModel:
        model = ProductModel.objects.filter(manufacturer=spec.manufacturer, name=spec.name).first()
        if model is None:
            model = assets.product_model_create(
                manufacturer=spec.manufacturer,
                name=spec.name,
                gtin=spec.gtin,
                category=spec.category,
                risk_class=spec.risk_class,
                main_components=list(spec.main_components),
            )
            self.created["product models"] += 1
        return model

    def _engineer_for(self, hospital_key: str) -> User:
        return self.users[HOSPITAL_BY_KEY[hospital_key].contracts[0].engineers[0]]

    def _receive(self, procedure: EmergencyProcedure, hospital_key: str, day: date) -> None:
        head = Department.objects.get(pk=procedure.department_id).responsible_contact
        zone = ZoneInfo(self.hospitals[hospital_key].time_zone)
        received_at = min(datetime.combine(day, time(10), tzinfo=zone), self.now)
        assets.emergency_procedure_record_receipt(
            procedure=procedure,
            received_by=head.name if head else "科室负责人",
            received_at=received_at,
            recorded_by=self._engineer_for(hospital_key),
        )

    def _write_procedure(self, hospital_key: str, department: Department, model, device=None):
        title = f"{model.name} 应急处理程序方案"
        if device is not None:
            title = f"{model.name}（{device.serial_number}）应急处理程序方案"
        self.created["emergency procedures"] += 1
        return assets.emergency_procedure_create(
            department=department,
            title=title,
            recorded_by=self._engineer_for(hospital_key),
            device=device,
            product_model=model,
            text=PROCEDURE_TEXT.format(hotline=ORGANISATION["hotline"]),
        )

    def emergency_procedures(self) -> None:
        """One per department and product model (R-5.1), received before the first device
        went live; per device for the big systems. A department whose spec says so gets
        none, or one still waiting for its receipt, so "cannot go live" shows."""
        first_install: dict[tuple[str, str, str], date] = {}
        for d in self.plan.devices:
            key = (d.hospital, d.department, d.model)
            first_install[key] = min(first_install.get(key, d.installed_on), d.installed_on)
        for (hospital_key, dept_name, model_key), day in sorted(first_install.items()):
            spec = HOSPITAL_BY_KEY[hospital_key].department(dept_name)
            if PRODUCT_MODELS[model_key].procedure_per_device or not (
                spec.procedure or spec.pending
            ):
                continue
            department = self.departments[hospital_key, dept_name]
            model = self.models[model_key]
            existing = EmergencyProcedure.objects.filter(
                department=department, product_model=model, device__isnull=True
            )
            if existing.exists():
                continue
            procedure = self._write_procedure(hospital_key, department, model)
            if spec.procedure:
                self._receive(procedure, hospital_key, day - timedelta(days=1))

    def device(self, plan: DevicePlan) -> Device:
        model = self.models[plan.model]
        device = Device.objects.filter(product_model=model, serial_number=plan.serial).first()
        if device is not None:
            return device
        per_device = PRODUCT_MODELS[plan.model].procedure_per_device and plan.live_on is not None
        department = self.departments[plan.hospital, plan.department]
        device = assets.device_register(
            product_model=model,
            serial_number=plan.serial,
            udi=plan.udi,
            asset_tag=plan.asset_tag,
            hospital=self.hospitals[plan.hospital],
            department=department,
            location=plan.location,
            installed_on=plan.installed_on,
            acceptance_certificate_no=plan.certificate_no,
            accepted_on=plan.accepted_on,
            live_on=None if per_device else plan.live_on,
            status=DeviceStatus.INSTALLED if per_device else plan.status,
            responsible_contact=self.contacts.get((plan.hospital, plan.responsible)),
        )
        self.created["devices"] += 1
        components = [
            assets.main_component_add(device=device, name=name, serial_number=f"{plan.serial}-M{i}")
            for i, name in enumerate(model.main_components, start=1)
        ]
        self.created["main components"] += len(components)
        if per_device and plan.live_on is not None:
            procedure = self._write_procedure(plan.hospital, department, model, device)
            self._receive(procedure, plan.hospital, plan.installed_on)
            device = assets.device_go_live(device=device, live_on=plan.live_on)
            if plan.status != DeviceStatus.IN_SERVICE:
                device = assets.device_update(device=device, status=plan.status)
        if plan.replacement is not None:
            index, replaced_on = plan.replacement
            assets.main_component_replace(
                component=components[index],
                new_serial_number=f"{plan.serial}-M{index + 1}R",
                replaced_on=replaced_on,
                removal_fate=ComponentFate.SENT_FOR_REPAIR,
            )
            self.created["main components"] += 1
        return device

    # contracts and agreements
    def contract(self, hospital: HospitalSpec, spec: ContractSpec) -> None:
        if Contract.objects.filter(number=spec.number).exists():
            return
        plans = [d for d in self.plan.devices if d.contract == spec.number]
        contracts.contract_create(
            hospital=self.hospitals[hospital.key],
            number=spec.number,
            title=spec.title,
            signed_on=min(d.installed_on for d in plans) - timedelta(days=45),
            warranty_months=spec.warranty_months,
            extended_warranty_months=spec.extended_months,
            service_manager=self.users["manager"],
            devices=[self.devices[d.serial] for d in plans],
            dedicated_engineers=[self.users[u] for u in spec.engineers],
        )
        self.created["contracts"] += 1

    def agreement(self, plan: AgreementPlan) -> None:
        if MaintenanceAgreement.objects.filter(number=plan.number).exists():
            return
        contracts.maintenance_agreement_create(
            hospital=self.hospitals[plan.hospital],
            number=plan.number,
            signed_on=plan.starts_on - timedelta(days=12),
            starts_on=plan.starts_on,
            ends_on=plan.ends_on,
            covers_parts=plan.covers_parts,
            covers_labor=True,
            covers_travel=True,
            fee=Decimal(plan.fee),
            notes=plan.notes,
            devices=[self.devices[serial] for serial in plan.serials],
        )
        self.created["maintenance agreements"] += 1
