"""The calendar of monthly return visits (回访, R-7.1), pure: no Django.

A return visit belongs to a month (its first day). It is due on a configurable day of the
month (the month's last day when the month is shorter: a due day of 31 falls on 28 or 29
February) and may be done on any day of the month (its window). The daily job plans ahead:
the current month while its window is open, and every following month whose due day falls
within the horizon.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(month: date) -> date:
    return (month_end(month) + timedelta(days=1)).replace(day=1)


def due_on(month: date, due_day: int) -> date:
    """The due date of ``month``: ``due_day``, clamped to the month's last day."""
    if not 1 <= due_day <= 31:
        raise ValueError("due_day must be between 1 and 31")
    return month.replace(day=min(due_day, month_end(month).day))


@dataclass(frozen=True)
class MonthSlot:
    month: date  # first day of the month
    due_on: date
    window_start: date
    window_end: date


def slot(month: date, due_day: int) -> MonthSlot:
    first = month_start(month)
    return MonthSlot(
        month=first, due_on=due_on(first, due_day), window_start=first, window_end=month_end(first)
    )


def months_ahead(today: date, *, horizon_days: int, due_day: int) -> list[MonthSlot]:
    """The months to plan on ``today``: this month (its window is still open), then every
    month due on or before ``today + horizon_days``."""
    if horizon_days < 0:
        raise ValueError("horizon_days must not be negative")
    end = today + timedelta(days=horizon_days)
    slots = [slot(today, due_day)]
    month = next_month(slots[0].month)
    while (candidate := slot(month, due_day)).due_on <= end:
        slots.append(candidate)
        month = next_month(month)
    return slots
