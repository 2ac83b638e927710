"""Duty shifts as calendar entries (the shape is ``core.agenda``): a person's own shifts in
their calendar pages and feed, another engineer's when the calendar is filtered by that
engineer (vendor staff only). A shift belongs to no hospital, so a hospital's calendar or
feed never shows one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.urls import reverse
from django.utils.translation import gettext as _

from core.agenda import CalendarEntry

from .models import Shift

KIND = "duty"
MAX_SHIFT = timedelta(days=7)


def entries(
    *,
    start: date,
    end: date,
    visible_to,
    engineer_id: int | None = None,
    hospital_id: int | None = None,
) -> list[CalendarEntry]:
    if hospital_id is not None or not getattr(visible_to, "is_vendor_staff", False):
        return []
    person = engineer_id if engineer_id is not None else visible_to.pk
    lower = datetime.combine(start - timedelta(days=1), time.min, tzinfo=UTC)
    upper = datetime.combine(end + timedelta(days=2), time.min, tzinfo=UTC)
    shifts = (
        Shift.objects.for_user(visible_to)
        .filter(user_id=person, starts_at__lt=upper, ends_at__gt=lower)
        .select_related("region")
        .order_by("starts_at", "pk")
    )
    return [entry(shift) for shift in shifts if shift.starts_at >= lower - MAX_SHIFT]


def entry(shift: Shift) -> CalendarEntry:
    return CalendarEntry(
        uid=f"duty-{shift.pk}@medservice",
        kind=KIND,
        title=_("On duty: %(role)s, %(region)s")
        % {"role": shift.get_role_display(), "region": shift.region},
        starts=shift.starts_at,
        ends=shift.ends_at,
        url=reverse("duty:my_shifts"),
        state="planned",
        location=str(shift.region),
        description=shift.note,
        engineer_ids=(shift.user_id,),
    )
