"""Repair jobs as calendar entries (the ``core.agenda`` protocol, listed in
``agenda/sources.py``): an open service request with an engineer assigned is an entry at its
nearest promise deadline (``next_due_at``), titled with its number, device and hospital, so
that an engineer's feed shows the repair jobs as well as the visits.

A request with no deadline running (every promise met, or its clock paused) has no date to
show and is left out until a deadline runs again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.agenda import CalendarEntry

from .models import ServiceRequest

KIND = "repair"


def entries(
    *,
    start: date,
    end: date,
    visible_to: Any,
    engineer_id: int | None = None,
    hospital_id: int | None = None,
) -> list[CalendarEntry]:
    """The open requests ``visible_to`` sees, with an engineer assigned (``engineer_id``
    when given), whose nearest deadline falls on a local day ``start``..``end`` (both
    included) in the hospital's zone."""
    # A local day spans UTC-12..UTC+14: widen the UTC window by a day on each side, then
    # test each deadline in its hospital's zone.
    lower = datetime.combine(start - timedelta(days=1), time.min, tzinfo=UTC)
    upper = datetime.combine(end + timedelta(days=2), time.min, tzinfo=UTC)
    requests = (
        ServiceRequest.objects.for_user(visible_to)
        .open()
        .filter(next_due_at__gte=lower, next_due_at__lt=upper, engineers__isnull=False)
        .select_related("device__product_model", "hospital", "department")
        .prefetch_related("engineers", "milestones", "policy__milestones")
        .order_by("next_due_at", "pk")
        .distinct()
    )
    if engineer_id is not None:
        requests = requests.filter(engineers=engineer_id)
    if hospital_id is not None:
        requests = requests.filter(hospital_id=hospital_id)
    now = timezone.now()
    found = []
    for request in requests:
        assert request.next_due_at is not None  # filtered above
        local_day = request.next_due_at.astimezone(ZoneInfo(request.hospital.time_zone)).date()
        if start <= local_day <= end:
            found.append(entry(request, now=now))
    return found


def _deadline_name(request: ServiceRequest) -> str:
    """The promise whose deadline ``next_due_at`` is (the first open one due then)."""
    names = {definition.key: definition.name for definition in request.policy.milestones.all()}
    for milestone in sorted(request.milestones.all(), key=lambda m: m.position):
        if milestone.met_at is None and milestone.due_at == request.next_due_at:
            return str(names.get(milestone.key, milestone.key))
    return ""


def entry(request: ServiceRequest, *, now: datetime) -> CalendarEntry:
    assert request.next_due_at is not None
    zone = ZoneInfo(request.hospital.time_zone)
    due_text = request.next_due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    promise = _deadline_name(request)
    deadline = (
        _("Next deadline: %(when)s (%(promise)s)") % {"when": due_text, "promise": promise}
        if promise
        else _("Next deadline: %(when)s") % {"when": due_text}
    )
    device = request.device
    lines = [deadline, _("Device: %(device)s") % {"device": device}, request.description]
    return CalendarEntry(
        uid=f"repair-{request.pk}@medservice",
        kind=KIND,
        title=f"{request.number} · {device} · {request.hospital.name}",
        starts=request.next_due_at,
        url=reverse("service:request_detail", args=[request.pk]),
        state="overdue" if request.next_due_at < now else "due",
        hospital_id=request.hospital_id,
        hospital_name=request.hospital.name,
        location=" · ".join(
            part
            for part in (request.hospital.name, request.department.name, device.location)
            if part
        ),
        description="\n".join(line for line in lines if line),
        engineer_ids=tuple(sorted(engineer.pk for engineer in request.engineers.all())),
    )
