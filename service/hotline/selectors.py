"""Reads of the hotline desk: who is calling (by phone), which open request a device
already has, today's calls, complaints counted per hospital."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from core import phones
from core.phone_match import phone_match
from core.timeutil import local_today
from customers.models import Contact, Hospital

from ..models import Call, CallKind, ServiceRequest

# How many contacts (or requests) a lookup shows at most.
LOOKUP_LIMIT = 10


@dataclass
class Caller:
    """What the desk knows about a phone number: the contacts with it (each with their
    hospital and department) and the open requests of that phone or those departments."""

    phone: str
    contacts: list[Contact] = field(default_factory=list)
    open_requests: list[ServiceRequest] = field(default_factory=list)

    @property
    def contact(self) -> Contact | None:
        """The one contact the number names, if exactly one."""
        return self.contacts[0] if len(self.contacts) == 1 else None


def caller_lookup(*, user, text: str) -> Caller:
    contacts = list(
        phone_match(
            Contact.objects.for_user(user).select_related("hospital", "department"),
            "phone",
            text,
        ).order_by("hospital__name", "name")[:LOOKUP_LIMIT]
    )
    reported = phone_match(ServiceRequest.objects.for_user(user).open(), "reporter_phone", text)
    where = Q(pk__in=reported.values("pk"))
    for contact in contacts:
        if contact.department_id:
            where |= Q(department_id=contact.department_id)
    requests = (
        ServiceRequest.objects.for_user(user)
        .open()
        .filter(where)
        .select_related("device__product_model", "hospital", "department")
        .order_by("next_due_at", "-reported_at")[:LOOKUP_LIMIT]
        if contacts or phones.normalise(text)
        else ServiceRequest.objects.none()
    )
    return Caller(phone=text, contacts=contacts, open_requests=list(requests))


def open_request_on(device_id: int | None, *, user) -> ServiceRequest | None:
    """The device's open request (the one with the nearest deadline) the viewer sees."""
    if device_id is None:
        return None
    return (
        ServiceRequest.objects.for_user(user)
        .open()
        .filter(device_id=device_id)
        .select_related("device__product_model", "hospital", "department")
        .prefetch_related("milestones")
        .order_by(F("next_due_at").asc(nulls_last=True), "-reported_at")
        .first()
    )


def calls_for(user) -> QuerySet[Call]:
    return Call.objects.for_user(user).select_related(
        "hospital", "department", "device__product_model", "contact", "recorded_by", "request"
    )


def local_day_bounds(day, zone: str) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))
    return start, start + timedelta(days=1)


def calls_today(*, user, zone: str, now: datetime | None = None) -> QuerySet[Call]:
    """The calls started today in ``zone`` (the desk's day), newest first."""
    now = now or timezone.now()
    start, end = local_day_bounds(timezone.localtime(now, ZoneInfo(zone)).date(), zone)
    return calls_for(user).filter(started_at__gte=start, started_at__lt=end)


def calls_today_params() -> dict[str, str]:
    """The query of today's calls: the vendor's day (one hotline for every hospital), the
    day the calls page shows when none is asked for."""
    return {"day": local_today(settings.TIME_ZONE).isoformat()}


def complaints_per_hospital(
    *, user, since: datetime | None = None, until: datetime | None = None
) -> list[dict]:
    """Complaint calls counted per hospital the viewer sees, most first: ``{hospital_id,
    hospital, complaints, open}``."""
    calls = Call.objects.for_user(user).filter(kind=CallKind.COMPLAINT, hospital__isnull=False)
    if since is not None:
        calls = calls.filter(started_at__gte=since)
    if until is not None:
        calls = calls.filter(started_at__lt=until)
    hospitals = Hospital.objects.for_user(user).values("pk")
    rows = (
        calls.filter(hospital_id__in=hospitals)
        .values("hospital_id", "hospital__name")
        .annotate(complaints=Count("pk"), open=Count("pk", filter=Q(outcome="open")))
        .order_by("-complaints", "hospital__name")
    )
    return [
        {
            "hospital_id": row["hospital_id"],
            "hospital": row["hospital__name"],
            "complaints": row["complaints"],
            "open": row["open"],
        }
        for row in rows
    ]
