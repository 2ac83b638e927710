"""What a rotation template generates, pure: the shifts of each local day, the people in
turn. No Django imports; ``duty.services.rotation_generate`` writes the result.

A slot falls on every day (or on one weekday) at a local start time; its person is the
member of its role whose turn it is: turn = (days since the rotation's first day) //
period (1: daily, 7: weekly), plus the slot's offset, modulo the number of members. Holidays
and make-up working days are ordinary days: the roster covers every day (R-6.2).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Slot:
    id: int
    role: str
    weekday: int | None  # 0 = Monday; None: every day
    start_time: time
    duration: timedelta
    offset: int = 0


@dataclass(frozen=True)
class PlannedShift:
    slot_id: int
    role: str
    user_id: int
    starts_at: datetime  # aware UTC
    ends_at: datetime


def local_start(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``zone``, as aware UTC (a nonexistent local time, in a zone with
    DST, moves forward with the clock; China has none)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def planned_shifts(
    *,
    slots: Sequence[Slot],
    members: Mapping[str, Sequence[int]],
    starts_on: date,
    period: int,
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
) -> Iterator[PlannedShift]:
    """The shifts of the local days ``first_day``..``last_day`` (both included); days
    before the rotation's first day and roles without members generate nothing."""
    day = max(first_day, starts_on)
    while day <= last_day:
        turn = (day - starts_on).days // max(period, 1)
        for slot in slots:
            people = members.get(slot.role) or ()
            if not people or (slot.weekday is not None and slot.weekday != day.weekday()):
                continue
            starts_at = local_start(day, slot.start_time, zone)
            yield PlannedShift(
                slot_id=slot.id,
                role=slot.role,
                user_id=people[(turn + slot.offset) % len(people)],
                starts_at=starts_at,
                ends_at=starts_at + slot.duration,
            )
        day += timedelta(days=1)
