"""The calendar's geometry as pure functions (issue 4 §5): 6×7 month pages, Monday first,
weeks across a year end, entries placed on local days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from agenda.grid import (
    entries_by_day,
    entry_days,
    month_cells,
    month_grid,
    parse_day,
    parse_month,
    shift_month,
    week_cells,
    week_days,
)
from core.agenda import CalendarEntry

SHANGHAI = ZoneInfo("Asia/Shanghai")


def entry(uid: str, starts, ends=None, title: str = "") -> CalendarEntry:
    return CalendarEntry(uid=uid, kind="visit", title=title or uid, starts=starts, ends=ends)


def test_month_starting_on_a_sunday_begins_the_grid_on_the_monday_before():
    weeks = month_grid(2026, 3)  # 1 March 2026 is a Sunday
    assert len(weeks) == 6 and all(len(week) == 7 for week in weeks)
    assert weeks[0][0] == date(2026, 2, 23)
    assert weeks[0][6] == date(2026, 3, 1)
    assert weeks[-1][-1] == date(2026, 4, 5)
    assert all(day.weekday() == 0 for day in (week[0] for week in weeks))


def test_february_of_a_leap_year_has_its_29th():
    days = [day for week in month_grid(2028, 2) for day in week]
    assert date(2028, 2, 29) in days
    assert days[0] == date(2028, 1, 31)  # 1 February 2028 is a Tuesday
    assert [d for d in days if d.month == 2] == [date(2028, 2, n) for n in range(1, 30)]
    assert days == sorted(days) and len(set(days)) == 42


def test_month_starting_on_a_monday_starts_on_its_first():
    assert month_grid(2027, 2)[0][0] == date(2027, 2, 1)


def test_week_crossing_a_year_end():
    days = week_days(date(2026, 12, 31))
    assert days[0] == date(2026, 12, 28) and days[-1] == date(2027, 1, 3)
    assert days[0].isocalendar().week == 53
    assert week_days(date(2027, 1, 3)) == days  # a Sunday belongs to the week before it


@pytest.mark.parametrize(
    ("year", "month", "delta", "expected"),
    [
        (2026, 12, 1, (2027, 1)),
        (2026, 1, -1, (2025, 12)),
        (2026, 3, 0, (2026, 3)),
        (2026, 3, -15, (2024, 12)),
    ],
)
def test_shift_month(year, month, delta, expected):
    assert shift_month(year, month, delta) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03", (2026, 3)),
        ("2026-13", None),
        ("march", None),
        ("", None),
        (None, None),
        ("2026-3-1", None),
        ("0001-01", None),
    ],
)
def test_parse_month(value, expected):
    assert parse_month(value) == expected


def test_parse_day():
    assert parse_day("2026-02-29") is None  # not a leap year
    assert parse_day("2028-02-29") == date(2028, 2, 29)
    assert parse_day("x") is None and parse_day(None) is None


def test_a_timed_entry_falls_on_its_local_day():
    # 1 March 00:30 in Shanghai is still 28 February in UTC.
    early = entry("a", datetime(2026, 2, 28, 16, 30, tzinfo=UTC))
    assert entry_days(early, SHANGHAI) == [date(2026, 3, 1)]
    assert entry_days(early, ZoneInfo("UTC")) == [date(2026, 2, 28)]


def test_multi_day_entries_cover_each_day_up_to_their_exclusive_end():
    all_day = entry("a", date(2026, 3, 1), date(2026, 3, 4))
    assert entry_days(all_day, SHANGHAI) == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    one_day = entry("b", date(2026, 3, 1), date(2026, 3, 2))
    assert entry_days(one_day, SHANGHAI) == [date(2026, 3, 1)]
    # Ends at local midnight: does not reach into 3 March.
    timed = entry(
        "c",
        datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
    )
    assert entry_days(timed, SHANGHAI) == [date(2026, 3, 2)]


def test_entries_by_day_orders_all_day_first_then_by_time():
    day = date(2026, 3, 2)
    late = entry("late", datetime(2026, 3, 2, 7, 0, tzinfo=UTC))  # 15:00 local
    early = entry("early", datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # 09:00 local
    whole = entry("whole", day)
    outside = entry("outside", date(2026, 4, 1))
    placed = entries_by_day([late, outside, early, whole], [day], SHANGHAI)
    assert [e.uid for e in placed[day]] == ["whole", "early", "late"]


def test_month_cells_mark_today_the_period_and_crowded_days():
    day = date(2026, 3, 10)
    many = [entry(f"e{i}", day) for i in range(5)]
    weeks = month_cells(2026, 3, many, today=day, time_zone=SHANGHAI)
    cells = {cell.day: cell for week in weeks for cell in week}
    crowded = cells[day]
    assert crowded.is_today and crowded.in_period
    assert len(crowded.shown) == 2 and crowded.more == 3  # 2 badges + "+3 more" fit 3 lines
    assert not cells[date(2026, 2, 23)].in_period
    assert sum(cell.is_today for cell in cells.values()) == 1
    three = month_cells(2026, 3, many[:3], today=day, time_zone=SHANGHAI)
    assert next(c for w in three for c in w if c.day == day).more == 0


def test_week_cells_show_every_entry_and_split_all_day_from_timed():
    monday = date(2026, 12, 28)
    timed = entry("t", datetime(2027, 1, 1, 2, 0, tzinfo=UTC))
    whole = entry("w", date(2027, 1, 1))
    cells = week_cells(monday, [timed, whole], today=date(2027, 1, 1), time_zone=SHANGHAI)
    friday = cells[4]
    assert friday.day == date(2027, 1, 1) and friday.is_today
    assert [e.uid for e in friday.all_day] == ["w"] and [e.uid for e in friday.timed] == ["t"]
    assert all(not c.entries for c in cells if c.day != friday.day)
