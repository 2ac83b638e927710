"""Where calendar entries come from: one ``entries(...)`` function per app with dated work
(the protocol of ``core.agenda``), named here by dotted path so that the calendar imports
them only when their app is installed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from core.agenda import CalendarEntry
from core.plugins import installed

SOURCES: tuple[str, ...] = (
    "maintenance.agenda.entries",
    "return_visits.agenda.entries",
    "training.agenda.entries",
    "service.agenda.entries",
    "duty.agenda.entries",
)

Source = Callable[..., Iterable[CalendarEntry]]


def installed_sources(paths: Iterable[str] | None = None) -> list[Source]:
    """The source functions whose app is installed (``core.plugins.installed``)."""
    return installed(SOURCES if paths is None else paths, what="calendar source")


def collect(
    *,
    start: date,
    end: date,
    visible_to: Any,
    engineer_id: int | None = None,
    hospital_id: int | None = None,
    paths: Iterable[str] | None = None,
) -> list[CalendarEntry]:
    """Every source's entries touching ``[start, end]`` (local days, both included) that
    ``visible_to`` may see, of one engineer and/or one hospital when given."""
    if visible_to is None or not getattr(visible_to, "is_active", False):
        return []
    entries: list[CalendarEntry] = []
    for source in installed_sources(paths):
        found = source(
            start=start,
            end=end,
            visible_to=visible_to,
            engineer_id=engineer_id,
            hospital_id=hospital_id,
        )
        # The filters again, on the common shape: a hospital's feed never shows another
        # hospital's entry, even from a source that forgot a filter.
        entries.extend(
            entry
            for entry in found
            if (hospital_id is None or entry.hospital_id == hospital_id)
            and (engineer_id is None or engineer_id in entry.engineer_ids)
        )
    return entries
