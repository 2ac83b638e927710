"""The return visits on the calendar (issue 4 §5): one all-day entry on each visit's due
date, in the shape ``core.agenda.CalendarEntry`` that the ``agenda`` app collects."""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _

from core.agenda import CalendarEntry
from core.timeutil import local_today

from .models import ReturnVisit
from .selectors import display_state

KIND = "return_visit"


def _description(visit: ReturnVisit, names: str) -> str:
    text = _("Monthly return visit of %(month)s, any day of the month.") % {
        "month": visit.month.strftime("%Y-%m")
    }
    if names:
        text += " " + _("Engineers: %(names)s.") % {"names": names}
    return text


def entries(
    *,
    start: date,
    end: date,
    visible_to,
    engineer_id: int | None = None,
    hospital_id: int | None = None,
) -> list[CalendarEntry]:
    """The return visits due in ``[start, end]`` (local dates, both included) that
    ``visible_to`` sees, cancelled ones included (state "cancelled"), optionally of one
    engineer or one hospital."""
    visits = (
        ReturnVisit.objects.for_user(visible_to)
        .filter(due_on__gte=start, due_on__lte=end)
        .select_related("hospital", "department")
        .prefetch_related("engineers")
        .order_by("due_on", "pk")
    )
    if engineer_id is not None:
        visits = visits.filter(engineers=engineer_id)
    if hospital_id is not None:
        visits = visits.filter(hospital_id=hospital_id)
    todays: dict[str, date] = {}
    result = []
    for visit in visits:
        zone = visit.hospital.time_zone
        today = todays.setdefault(zone, local_today(zone))
        engineers = sorted(visit.engineers.all(), key=lambda u: u.pk)
        names = ", ".join(str(u) for u in engineers)
        result.append(
            CalendarEntry(
                uid=f"return-visit-{visit.pk}@medservice",
                kind=KIND,
                title=_("Return visit · %(department)s") % {"department": visit.department.name},
                starts=visit.due_on,
                url=reverse("return_visits:return_visit_detail", args=[visit.pk]),
                state=display_state(visit, today),
                hospital_id=visit.hospital_id,
                hospital_name=visit.hospital.name,
                location=f"{visit.hospital.name} · {visit.department.name}",
                description=_description(visit, names),
                engineer_ids=tuple(u.pk for u in engineers),
            )
        )
    return result
