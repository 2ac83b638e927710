"""Service calendars: how much of the clock counts. Pure: no Django.

A calendar answers two questions, and every SLA figure is built from them:
- ``add(start, duration)``: the instant when ``duration`` of counted time has passed;
- ``elapsed(start, end)``: how much counted time lies between two instants.

``AroundTheClock`` counts every second (the seed's 24/7 duty roster, R-6.2).
``WorkingHours`` counts the working window of working days in the hospital's zone; which
days work is a function, so China's holidays and make-up working days (调休) and a database
override table can all feed it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

ZERO = timedelta(0)


class Calendar(Protocol):
    def add(self, start: datetime, duration: timedelta) -> datetime: ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta: ...


@dataclass(frozen=True)
class AroundTheClock:
    def add(self, start: datetime, duration: timedelta) -> datetime:
        return start + duration

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, ZERO)


def monday_to_friday(day: date) -> bool:
    return day.weekday() < 5


@dataclass(frozen=True)
class WorkingHours:
    """Counted time is ``opens`` to ``closes`` local time on the days ``is_working_day`` accepts."""

    time_zone: str
    opens: time = time(8, 0)
    closes: time = time(17, 30)
    is_working_day: Callable[[date], bool] = field(default=monday_to_friday)
    # Safety bound for add(): a calendar with no working day at all must not loop forever.
    max_days: int = 3660

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_working_day(day):
            return None
        zone = self._zone()
        return (
            datetime.combine(day, self.opens, tzinfo=zone),
            datetime.combine(day, self.closes, tzinfo=zone),
        )

    def add(self, start: datetime, duration: timedelta) -> datetime:
        remaining = duration
        day = start.astimezone(self._zone()).date()
        for _ in range(self.max_days):
            window = self._window(day)
            if window is not None:
                opens, closes = window
                begin = max(start, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("the calendar has no working time within its bound")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        if end <= start:
            return ZERO
        total = ZERO
        zone = self._zone()
        day = start.astimezone(zone).date()
        last = end.astimezone(zone).date()
        while day <= last:
            window = self._window(day)
            if window is not None:
                begin, finish = max(start, window[0]), min(end, window[1])
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total
