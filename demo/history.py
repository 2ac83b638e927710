"""A year of history for a few demo devices (issue 14), written through the services with
the time each thing happened (``now=`` / ``occurred_at=``, never a patched clock), from
``demo.history_plan``:

- the service requests, each step recorded as it happened; repair records written and
  signed by both sides, parts used from the demo's stock (a goods-in a year ago brings what
  the year uses, so today's levels are those of ``demo.parts_seeding``), a loaner lent and
  returned, root-cause reports of the emergencies, each request's charge statement drafted
  when it closed and accepted by the hospital the next day;
- the planned maintenance of those months done and signed, a few after their window;
- the monthly return visits of the devices' departments, signed by both sides, with a
  satisfaction that improves over the year.

Three steps, because of what comes before and after them in ``seed_demo``: the requests
before the demo's own (numbers follow the order of reporting), once the spare parts are
stocked; the visits after ``seed_maintenance`` (it completes its five weeks only while no
visit of the demo is done) and the return visits after ``seed_return_visits``.

Written once: when the history's first request exists, every step does nothing.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.db.models import QuerySet

from accounts.models import User
from assets.models import Device
from charges.services import charge_statement_draft
from charges.workflow import (
    charge_statement_accept,
    charge_statement_review,
    charge_statement_send,
)
from core.signing import SignatureRole
from customers.models import Department, Hospital
from maintenance.generation import visits_generate
from maintenance.models import Visit, VisitState
from maintenance.selectors import checklist_for, plan_book
from maintenance.visit_records import visit_complete
from parts.loaners.services import loaner_create, loaner_install, loaner_return
from parts.models import Loan, LoanerUnit, SparePart, StockLocation
from parts.repair.services import repair_part_use
from parts.selectors import bag_of
from parts.services import stock_receive, stock_transfer
from return_visits.models import ReturnVisit, ReturnVisitState
from return_visits.selectors import department_devices, department_people
from return_visits.services import return_visit_record, return_visit_sign, return_visits_generate
from service import services
from service.models import ServiceRequest
from service.repair_records.services import (
    repair_record_initial,
    repair_record_save,
    repair_record_sign,
)

from .history_plan import HISTORY_SEED, MANAGER, HistoryPlan, HistoryRequest, HistoryStep
from .loaners_seeding import loaner_shelf
from .maintenance_seeding import HISTORY_DAYS, _engineer, _results, _signer
from .parts_seeding import CENTRAL
from .signatures import drawn_signature

HOUR = timedelta(hours=1)
LOANER_SERIAL = "LN-DEMO-05"
LATE_VISITS = 0.15  # the share of planned visits done after their window closed
SHEET_TEXTS = (
    ("设备日常清洁消毒与报警处理培训。", "工程师响应及时。"),
    ("新入科护士设备操作培训。", "希望增加夜班时段的电话支持。"),
    ("电池保养与开机自检流程讲解。", "维修记录清楚，沟通顺畅。"),
    ("耗材规范使用与效期管理培训。", "对本月服务满意。"),
)


def history_requests(plan: HistoryPlan) -> QuerySet[ServiceRequest]:
    """The history's requests (each known by its device and symptom, as the seed knows it)."""
    keys = {(r.serial, r.description) for r in plan.requests}
    requests = ServiceRequest.objects.filter(
        device__serial_number__in={s for s, _d in keys}, description__in={d for _s, d in keys}
    )
    ids = [
        pk
        for pk, serial, description in requests.values_list(
            "pk", "device__serial_number", "description"
        )
        if (serial, description) in keys
    ]
    return ServiceRequest.objects.filter(pk__in=ids)


class HistorySeeder:
    def __init__(
        self,
        *,
        plan: HistoryPlan,
        users: Mapping[str, User],
        devices: Mapping[str, Device],
        hospitals: Mapping[str, Hospital],
        created: Counter[str],
        now: datetime,
    ) -> None:
        self.plan = plan
        self.users = users
        self.devices = devices
        self.hospitals = hospitals
        self.created = created
        self.now = now
        first = plan.requests[0]
        self.fresh = not ServiceRequest.objects.filter(
            device=devices[first.serial], description=first.description
        ).exists()
        self.rng = random.Random(HISTORY_SEED + 1)  # noqa: S311 (demo data)
        self._loaner: LoanerUnit | None = None

    def _zone(self, hospital_key: str) -> ZoneInfo:
        return ZoneInfo(self.hospitals[hospital_key].time_zone)

    # --- the requests ----------------------------------------------------------------------
    def seed_requests(self) -> None:
        if not self.fresh:
            return
        self._stock_for_the_year()
        for plan in self.plan.requests:
            self._request(plan)

    def _part(self, plan: HistoryRequest) -> SparePart | None:
        if not plan.fault.part or not plan.signed:
            return None
        return (
            SparePart.objects.filter(
                product_models=self.devices[plan.serial].product_model_id,
                part_number__endswith=plan.fault.part,
                is_main_component=False,
            )
            .order_by("part_number")
            .first()
        )

    def _stock_for_the_year(self) -> None:
        """What the year's repairs use arrives at the central warehouse a year ago."""
        needed = Counter(part for plan in self.plan.requests if (part := self._part(plan)))
        central = StockLocation.objects.filter(name=CENTRAL).first()
        if central is None:
            return
        zone = self._zone(self.plan.requests[0].hospital)
        received = datetime.combine(self.plan.first_day - timedelta(days=3), time(9), zone)
        for part, quantity in sorted(needed.items(), key=lambda pair: pair[0].part_number):
            stock_receive(
                part=part,
                location=central,
                quantity=quantity,
                user=self.users[MANAGER],
                occurred_at=received,
                note="年度备件入库",
            )
            self.created["stock movements"] += 1

    def _loaner_for(self, request: ServiceRequest, user: User) -> LoanerUnit:
        if self._loaner is None:
            self._loaner = LoanerUnit.objects.filter(serial_number=LOANER_SERIAL).first()
        if self._loaner is None:
            self._loaner = loaner_create(
                product_model=request.device.product_model,
                serial_number=LOANER_SERIAL,
                asset_tag="QD-LOAN-05",
                location=loaner_shelf(self.created),
            )
            self.created["loaner units"] += 1
        return self._loaner

    def _request(self, plan: HistoryRequest) -> None:
        device = self.devices[plan.serial]
        reported_at = datetime.combine(
            plan.reported_on, plan.reported_time, self._zone(plan.hospital)
        )
        request = services.service_request_open(
            device=device,
            severity=plan.severity,
            channel="hotline",
            description=plan.description,
            recorded_by=self.users["hotline"],
            reported_at=reported_at,
            reporter_name=plan.reporter_name,
            reporter_phone=plan.reporter_phone,
            now=reported_at,
        )
        self.created["service requests"] += 1
        for step in plan.steps:
            at = reported_at + step.after
            if step.type == "closed" and plan.root_cause_after is not None:
                self._root_cause(request, plan, reported_at + plan.root_cause_after)
            request = self._step(request, plan, step, at)
            self.created["service events"] += step.type not in ("record", "loaner_returned")
        services.service_request_set_fault_cause(request=request, cause=plan.fault.cause)
        services.milestones_recompute(request=request, now=self.now)  # as of today
        closed_at = reported_at + max(s.after for s in plan.steps if s.type == "closed")
        self._statement(request, plan, closed_at)

    def _statement(
        self, request: ServiceRequest, plan: HistoryRequest, closed_at: datetime
    ) -> None:
        """Drafted when the request is closed, reviewed and sent by the office within the
        hour, accepted by the hospital's equipment administrator the next day (a repair for
        free under cover too: the statement says why it is free)."""
        manager, admin = self.users[MANAGER], self.users[f"{plan.hospital}-admin"]
        statement = charge_statement_draft(request=request, now=closed_at)
        charge_statement_review(statement=statement, user=manager, now=closed_at + HOUR)
        charge_statement_send(statement=statement, user=manager, now=closed_at + 2 * HOUR)
        accepted_at = min(closed_at + timedelta(days=1), self.now)
        charge_statement_accept(statement=statement, user=admin, now=accepted_at)
        self.created["charge statements accepted"] += 1

    def _step(
        self, request: ServiceRequest, plan: HistoryRequest, step: HistoryStep, at: datetime
    ) -> ServiceRequest:
        actor = self.users[step.actor]
        if step.type == "record":
            self._record(request, plan, actor, at)
        elif step.type == "customer_signed":
            self._sign(request, actor, at)
        elif step.type == "loaner_installed":
            loaner_install(
                loaner=self._loaner_for(request, actor),
                request=request,
                user=actor,
                installed_at=at,
                now=at,
            )
            self.created["loans"] += 1
        elif step.type == "loaner_returned":
            loan = Loan.objects.get(request=request, returned_at__isnull=True)
            loaner_return(loan=loan, user=actor, returned_at=at)
        else:
            return services.service_request_record_event(
                request=request,
                type=step.type,
                occurred_at=at,
                actor=actor,
                data=step.data,
                now=at,
            )
        request.refresh_from_db()
        return request

    def _record(
        self, request: ServiceRequest, plan: HistoryRequest, engineer: User, at: datetime
    ) -> None:
        arrived = request.events.filter(type="arrived").order_by("occurred_at").first()
        hours = (at - arrived.occurred_at).total_seconds() / 3600 if arrived else 1.0
        repair_record_save(
            request=request,
            author=engineer,
            now=at,
            **repair_record_initial(request=request),
            state_before_fault="设备运行正常，按计划使用。",
            checks_done="查看报警日志与运行记录，按维修手册逐项检测相关模块。",
            diagnosis=plan.fault.diagnosis,
            solution=plan.fault.solution,
            labor_hours=Decimal(max(1, round(min(hours, 8) * 2)) / 2).quantize(Decimal("0.1")),
            fault_cause=plan.fault.cause,
        )
        part = self._part(plan)
        bag = bag_of(engineer)
        central = StockLocation.objects.filter(name=CENTRAL).first()
        if part is None or bag is None or central is None:
            return
        # The engineer takes the part from the warehouse into the bag, then uses it.
        stock_transfer(
            part=part,
            from_location=central,
            to_location=bag,
            quantity=1,
            user=engineer,
            occurred_at=at - timedelta(minutes=30),
        )
        repair_part_use(
            request=request, part=part, quantity=1, user=engineer, location=bag, occurred_at=at
        )
        self.created["parts used in a repair"] += 1

    def _sign(self, request: ServiceRequest, engineer: User, at: datetime) -> None:
        record = request.repair_record
        n = request.pk
        repair_record_sign(
            record=record,
            role=SignatureRole.ENGINEER,
            signer_name=engineer.get_full_name() or engineer.get_username(),
            signature_data_url=drawn_signature(n),
            user=engineer,
            now=at - timedelta(minutes=5),
        )
        contact = request.department.responsible_contact
        repair_record_sign(
            record=record,
            role=SignatureRole.HOSPITAL,
            signer_name=contact.name if contact else "科室负责人",
            signer_role=contact.title if contact and contact.title else "科室负责人",
            signature_data_url=drawn_signature(n + 1),
            user=engineer,  # handed over: the department signs on the engineer's phone
            now=at,
        )
        self.created["repair records signed"] += 1

    def _root_cause(self, request: ServiceRequest, plan: HistoryRequest, at: datetime) -> None:
        contact = request.department.responsible_contact
        services.root_cause_report_save(
            request=request,
            cause=plan.fault.diagnosis,
            measures=plan.fault.solution,
            explained_to=f"{request.department.name} {contact.name}" if contact else "科室负责人",
            explained_at=at,
            author=self.users[plan.engineer],
        )
        self.created["root-cause reports"] += 1

    # --- planned maintenance ---------------------------------------------------------------
    def seed_visits(self) -> None:
        """The visits of the year before the demo's five weeks, all done and signed."""
        if not self.fresh:
            return
        today = self.plan.today
        devices = [self.devices[d.serial] for d in self.plan.devices]
        start = today - relativedelta(years=1)
        end = today - timedelta(days=HISTORY_DAYS + 1)
        made = visits_generate(today=start, horizon_days=(end - start).days, devices=devices)
        self.created["maintenance visits"] += made.created
        visits = (
            Visit.objects.filter(
                device__in=devices, state=VisitState.PLANNED, due_on__gte=start, due_on__lte=end
            )
            .select_related("device__product_model", "hospital", "department__responsible_contact")
            .prefetch_related("engineers")
            .order_by("due_on", "key")
        )
        book = plan_book()
        for n, visit in enumerate(visits):
            zone = ZoneInfo(visit.hospital.time_zone)
            day = visit.due_on
            if self.rng.random() < LATE_VISITS:
                day = visit.window_end + timedelta(days=self.rng.randint(1, 6))
            done_at = min(datetime.combine(day, time(10), zone), self.now)
            visit_complete(
                visit=visit,
                user=_engineer(visit, self.users),
                results=_results(checklist_for(visit, book=book)),
                signer_name=_signer(visit),
                signature_data_url=drawn_signature(n),
                now=done_at,
            )
            self.created["visits done"] += 1
            self.created["visits signed"] += 1

    # --- return visits ---------------------------------------------------------------------
    def seed_return_visits(self) -> None:
        """The departments' return visits of the twelve months before this one."""
        if not self.fresh:
            return
        departments = [
            Department.objects.get(hospital=self.hospitals[h], name=name)
            for h, name in self.plan.departments
        ]
        ids = [d.pk for d in departments]
        this_month = self.plan.today.replace(day=1)
        months = [this_month - relativedelta(months=k) for k in range(12, 0, -1)]
        for month in months:
            made = return_visits_generate(today=month, horizon_days=0, department_ids=ids)
            self.created["return visits"] += made.created
        visits = (
            ReturnVisit.objects.filter(
                department_id__in=ids,
                month__in=months,
                state=ReturnVisitState.PLANNED,
                recorded_at__isnull=True,
            )
            .select_related("hospital", "department")
            .prefetch_related("engineers")
            .order_by("month", "department__name", "pk")
        )
        for visit in visits:
            self._sheet(visit, months.index(visit.month))

    def _sheet(self, visit: ReturnVisit, k: int) -> None:
        """Filled in on the due day (a couple of days later now and then) and signed by both
        sides; the satisfaction climbs from about 3.5 to about 5 over the year."""
        zone = ZoneInfo(visit.hospital.time_zone)
        delay = self.rng.choice((0, 0, 0, 1, 2))
        day = min(visit.due_on + timedelta(days=delay), visit.window_end)
        at = min(datetime.combine(day, time(14, 30), zone), self.now)
        trend = 3.4 + 1.6 * k / 11 + self.rng.choice((-0.6, -0.3, 0.0, 0.0, 0.3))
        satisfaction = max(3, min(5, round(trend)))
        training, comments = SHEET_TEXTS[self.rng.randrange(len(SHEET_TEXTS))]
        devices = list(department_devices(visit.department))
        people = department_people(visit.department)[:2] or [{"name": "科室负责人", "role": ""}]
        assigned = sorted(visit.engineers.all(), key=lambda u: u.pk)
        engineer = assigned[0] if assigned else self.users["engineer1"]
        return_visit_record(
            visit=visit,
            user=engineer,
            participants=people,
            devices=[{"device": d.pk, "state": "normal", "note": ""} for d in devices],
            training_given=training,
            satisfaction=satisfaction,
            comments=comments,
            visited_on=day,
            now=at,
        )
        for role, name, signer_role, minutes in (
            ("engineer", engineer.get_full_name() or engineer.get_username(), "", 20),
            ("hospital", people[0]["name"], people[0]["role"] or "科室负责人", 22),
        ):
            return_visit_sign(
                visit=visit,
                role=role,
                signer_name=name,
                signer_role=signer_role,
                signature_data_url=drawn_signature(visit.pk + minutes),
                user=engineer,  # the department's head signs on the engineer's phone
                now=min(at + timedelta(minutes=minutes), self.now),
            )
        self.created["signed return-visit sheets"] += 1
