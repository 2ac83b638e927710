"""Planned-maintenance visits as calendar entries (issue 4 §5, the ``core.agenda``
protocol): one all-day entry on each visit's due day, its tolerance window in the
description."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from core.agenda import CalendarEntry
from core.timeutil import local_today

from . import selectors
from .models import Kind, Visit


def _url_of() -> Callable[[Visit], str]:
    try:
        reverse("maintenance:visit_detail", args=[0])
    except NoReverseMatch:
        return lambda visit: reverse("assets:device_detail", args=[visit.device_id])
    return lambda visit: reverse("maintenance:visit_detail", args=[visit.pk])


def entries(
    *,
    start: date,
    end: date,
    visible_to: Any,
    engineer_id: int | None = None,
    hospital_id: int | None = None,
) -> list[CalendarEntry]:
    """The visits due in ``[start, end]`` that ``visible_to`` may see, titled
    "<kind> · <device> · <hospital>" in the active language."""
    visits = selectors.visits_for(
        visible_to, due_from=start, due_to=end, engineer=engineer_id, hospital=hospital_id
    )
    url_of = _url_of()
    kind_labels = dict(Kind.choices)
    todays: dict[str, date] = {}
    found = []
    for visit in visits:
        zone = visit.hospital.time_zone
        if zone not in todays:
            todays[zone] = local_today(zone)
        device = visit.device
        location = " · ".join(
            part for part in (visit.hospital.name, visit.department.name, device.location) if part
        )
        description = _("Window: %(start)s to %(end)s") % {
            "start": visit.window_start.isoformat(),
            "end": visit.window_end.isoformat(),
        }
        if len(visit.kinds or []) > 1:
            covered = ", ".join(str(kind_labels.get(k, k)) for k in visit.kinds)
            description += "\n" + _("Covers: %(kinds)s") % {"kinds": covered}
        found.append(
            CalendarEntry(
                uid=f"visit-{visit.pk}@medservice",
                kind="visit",
                title=f"{visit.get_main_kind_display()} · {device} · {visit.hospital.name}",
                starts=visit.due_on,
                url=url_of(visit),
                state=selectors.visit_display_state(visit, todays[zone]),
                hospital_id=visit.hospital_id,
                hospital_name=visit.hospital.name,
                location=location,
                description=description,
                engineer_ids=tuple(sorted(e.pk for e in visit.engineers.all())),
            )
        )
    return found
