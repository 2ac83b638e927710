"""The calendar's geometry, with no Django import: which days a month or a week page shows
and which entries fall on each day (issue 4 §5).

Weeks start on Monday (China, ISO 8601). A month page is always 6 rows × 7 days, so the
page does not jump in height from month to month; days of the neighbouring months fill
the first and last rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.agenda import CalendarEntry
from core.bounds import EARLIEST_DAY, LATEST_DAY

WEEKS_PER_MONTH_PAGE = 6
MAX_BADGES_PER_DAY = 3  # more than this on a day shows "+N more"


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_days(day: date) -> list[date]:
    """The seven days, Monday to Sunday, of the week that contains ``day``."""
    monday = week_start(day)
    return [monday + timedelta(days=i) for i in range(7)]


def month_grid(year: int, month: int) -> list[list[date]]:
    """Six weeks of seven days, Monday first, the first week containing the 1st."""
    first = week_start(date(year, month, 1))
    return [
        [first + timedelta(days=7 * week + i) for i in range(7)]
        for week in range(WEEKS_PER_MONTH_PAGE)
    ]


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def parse_month(value: str | None) -> tuple[int, int] | None:
    """``"2026-03"`` → ``(2026, 3)``; anything else → None."""
    try:
        year_text, month_text = (value or "").split("-")
        year, month = int(year_text), int(month_text)
    except ValueError:
        return None
    if not (1 <= month <= 12 and EARLIEST_DAY.year <= year <= LATEST_DAY.year):
        return None
    return year, month


def parse_day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def entry_days(entry: CalendarEntry, time_zone: ZoneInfo) -> list[date]:
    """The local days an entry covers: its start day, and each further day up to its
    (exclusive) end."""
    first = entry.day(time_zone)
    ends = entry.ends
    if ends is None:
        return [first]
    if isinstance(ends, datetime):
        # An end at midnight does not reach into that day.
        last = (ends.astimezone(time_zone) - timedelta(microseconds=1)).date()
    elif isinstance(entry.starts, datetime):
        last = ends
    else:
        last = ends - timedelta(days=1)
    if last <= first:
        return [first]
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def sort_key(entry: CalendarEntry, time_zone: ZoneInfo) -> tuple:
    """All-day entries first, then by local start time, then by title."""
    if isinstance(entry.starts, datetime):
        return (1, entry.starts.astimezone(time_zone).strftime("%H:%M:%S"), entry.title, entry.uid)
    return (0, "", entry.title, entry.uid)


def entries_by_day(
    entries: Iterable[CalendarEntry], days: Sequence[date], time_zone: ZoneInfo
) -> dict[date, list[CalendarEntry]]:
    """Each of ``days`` with the entries that fall on it, in display order."""
    placed: dict[date, list[CalendarEntry]] = {day: [] for day in days}
    for entry in entries:
        for day in entry_days(entry, time_zone):
            if day in placed:
                placed[day].append(entry)
    for day_entries in placed.values():
        day_entries.sort(key=lambda e: sort_key(e, time_zone))
    return placed


@dataclass
class DayCell:
    day: date
    in_period: bool  # False for the neighbouring month's days on a month page
    is_today: bool
    entries: list[CalendarEntry] = field(default_factory=list)
    limit: int = MAX_BADGES_PER_DAY

    @property
    def shown(self) -> list[CalendarEntry]:
        if len(self.entries) <= self.limit:
            return self.entries
        # Keep room for the "+N more" line.
        return self.entries[: self.limit - 1]

    @property
    def more(self) -> int:
        return len(self.entries) - len(self.shown)

    @property
    def all_day(self) -> list[CalendarEntry]:
        return [e for e in self.entries if e.all_day]

    @property
    def timed(self) -> list[CalendarEntry]:
        return [e for e in self.entries if not e.all_day]


def month_cells(
    year: int,
    month: int,
    entries: Iterable[CalendarEntry],
    *,
    today: date,
    time_zone: ZoneInfo,
    limit: int = MAX_BADGES_PER_DAY,
) -> list[list[DayCell]]:
    weeks = month_grid(year, month)
    placed = entries_by_day(entries, [d for week in weeks for d in week], time_zone)
    return [
        [DayCell(day, day.month == month, day == today, placed[day], limit=limit) for day in week]
        for week in weeks
    ]


def week_cells(
    day: date, entries: Iterable[CalendarEntry], *, today: date, time_zone: ZoneInfo
) -> list[DayCell]:
    days = week_days(day)
    placed = entries_by_day(entries, days, time_zone)
    return [DayCell(d, True, d == today, placed[d], limit=len(placed[d]) or 1) for d in days]
