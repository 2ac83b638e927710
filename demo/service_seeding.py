"""The demo's service requests, built through the service layer (``service_request_open``,
``service_request_record_event``, ``root_cause_report_save``) from ``demo.service_plan``; an
open request's customer signature is given on its repair record
(``demo.repair_record_seeding``).

A request is known by its device and its symptom: one that exists is left alone, so a
second run creates nothing. Requests are opened oldest first, so their numbers follow the
time they were reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from accounts.models import User
from assets.models import Device
from customers.models import Hospital
from service import services
from service.models import ServiceRequest

from .repair_record_seeding import seed_signed_record
from .service_plan import RequestPlan


class RequestSeeder:
    def __init__(
        self,
        *,
        now: datetime,
        users: Mapping[str, User],
        devices: Mapping[str, Device],
        hospitals: Mapping[str, Hospital],
        created: Counter[str],
    ) -> None:
        self.now = now
        self.users = users
        self.devices = devices
        self.hospitals = hospitals
        self.created = created

    def reported_at(self, plan: RequestPlan) -> datetime:
        if plan.reported_ago is not None:
            return self.now - plan.reported_ago
        assert plan.reported_on is not None and plan.reported_time is not None
        zone = ZoneInfo(self.hospitals[plan.hospital].time_zone)
        return datetime.combine(plan.reported_on, plan.reported_time, tzinfo=zone)

    def run(self, plans: Iterable[RequestPlan]) -> None:
        known = set(ServiceRequest.objects.values_list("device_id", "description"))
        timed = sorted(((self.reported_at(p), p) for p in plans), key=lambda pair: pair[0])
        for reported_at, plan in timed:
            device = self.devices[plan.serial]
            if (device.pk, plan.description) not in known:
                self.request(plan, device, reported_at)

    def request(self, plan: RequestPlan, device: Device, reported_at: datetime) -> None:
        request = services.service_request_open(
            device=device,
            severity=plan.severity,
            channel=plan.channel,
            description=plan.description,
            recorded_by=self.users[plan.recorder],
            reported_at=reported_at,
            reporter_name=plan.reporter_name,
            reporter_phone=plan.reporter_phone,
            now=self.now,
        )
        self.created["service requests"] += 1
        report = plan.root_cause
        # A request signed and still open shows its signed repair record (issue 12 §2).
        signs_record = not any(step.type == "closed" for step in plan.steps)
        for step in plan.steps:
            if report is not None and (step.type == "closed" or step.after > report.after):
                self._root_cause(request, plan, reported_at)
                report = None
            # Each step recorded as it happened, as an engineer on a phone records it: the
            # demo's history holds no steps recorded late.
            occurred_at = reported_at + step.after
            if step.type == "customer_signed" and signs_record:
                request = seed_signed_record(
                    request=request,
                    engineer=self.users[step.actor],
                    signed_at=min(occurred_at, self.now),
                    created=self.created,
                )
                self.created["service events"] += 1
                continue
            request = services.service_request_record_event(
                request=request,
                type=step.type,
                occurred_at=occurred_at,
                actor=self.users[step.actor],
                data=step.data,
                now=min(occurred_at, self.now),
            )
            self.created["service events"] += 1
        if plan.steps:
            # The stored promises as of today, not as of the last step.
            services.milestones_recompute(request=request, now=self.now)
        if report is not None:
            self._root_cause(request, plan, reported_at)
        if plan.fault_cause != "undetermined":
            services.service_request_set_fault_cause(request=request, cause=plan.fault_cause)

    def _root_cause(self, request: ServiceRequest, plan: RequestPlan, reported_at) -> None:
        report = plan.root_cause
        assert report is not None
        closing = next(s for s in plan.steps if s.type in ("resolved", "remote_resolved"))
        services.root_cause_report_save(
            request=request,
            cause=report.cause,
            measures=report.measures,
            explained_to=report.explained_to,
            explained_at=reported_at + report.after,
            author=self.users[closing.actor],
        )
        self.created["root-cause reports"] += 1
