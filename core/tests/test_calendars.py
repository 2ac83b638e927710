"""Service calendars: how much of the clock counts (R-6.2 24/7 duty roster; the working-hours
calendar with China's holidays and make-up working days that a contract may choose instead,
issue 3 §2). Pure: no database.

Every expected instant below is worked out by hand from the calendar, never from the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendars import AroundTheClock, WorkingHours, monday_to_friday

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)

CHINA = holidays.China(years=range(2025, 2029))


class ChineseWorkingDays:
    """China's official working days (with the make-up Saturdays/Sundays of 调休), overridden
    by a dict: the test-level stand-in for the database override table."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self.overrides = dict(overrides or {})

    def __call__(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return bool(CHINA.is_working_day(day))


def china_hours(overrides: Mapping[date, bool] | None = None) -> WorkingHours:
    return WorkingHours(
        time_zone="Asia/Shanghai",
        opens=time(8, 0),
        closes=time(17, 30),
        is_working_day=ChineseWorkingDays(overrides),
    )


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_the_chinese_calendar_is_the_one_the_cases_assume():
    """The cases below rely on these facts of the 2026 calendar (Spring Festival 2026-02-15..23
    off, Saturdays 2026-02-14 and 2026-02-28 worked)."""
    working = ChineseWorkingDays()
    assert date(2026, 2, 14).weekday() == 5 and working(date(2026, 2, 14))
    assert date(2026, 2, 28).weekday() == 5 and working(date(2026, 2, 28))
    assert not any(working(date(2026, 2, d)) for d in range(15, 24))
    assert working(date(2026, 2, 24))
    assert date(2026, 3, 6).weekday() == 4  # a Friday in an ordinary week
    assert not working(date(2026, 3, 7)) and not working(date(2026, 3, 8))


# --- AroundTheClock (R-6.2: 24/7, no holidays) --------------------------------------------


def test_around_the_clock_counts_every_second_including_nights_and_holidays():
    clock = AroundTheClock()
    start = sh(2026, 2, 13, 16)  # Friday before Spring Festival
    assert clock.add(start, 4 * H) == sh(2026, 2, 13, 20)
    assert clock.add(start, 24 * H) == sh(2026, 2, 14, 16)
    assert clock.elapsed(start, sh(2026, 2, 17, 16)) == 96 * H


def test_around_the_clock_elapsed_never_negative():
    clock = AroundTheClock()
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert clock.elapsed(start, start - H) == timedelta(0)
    assert clock.elapsed(start, start) == timedelta(0)


def test_around_the_clock_compares_instants_not_wall_clocks():
    clock = AroundTheClock()
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert clock.elapsed(start, sh(2026, 3, 2, 10)) == H


# --- WorkingHours: add ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        pytest.param(sh(2026, 3, 4, 9), 4 * H, sh(2026, 3, 4, 13), id="inside-one-day"),
        pytest.param(sh(2026, 3, 4, 16), 90 * M, sh(2026, 3, 4, 17, 30), id="ends-at-closing"),
        pytest.param(sh(2026, 3, 4, 16), 91 * M, sh(2026, 3, 5, 8, 1), id="spills-overnight"),
        pytest.param(sh(2026, 3, 6, 16), 4 * H, sh(2026, 3, 9, 10, 30), id="friday-16h+4h"),
        pytest.param(sh(2026, 3, 6, 16), 11 * H, sh(2026, 3, 9, 17, 30), id="weekend-full-mon"),
        pytest.param(sh(2026, 3, 6, 16), 12 * H, sh(2026, 3, 10, 9), id="weekend-into-tue"),
        pytest.param(sh(2026, 3, 7, 10), 1 * H, sh(2026, 3, 9, 9), id="starts-on-saturday"),
        pytest.param(sh(2026, 3, 4, 6), 1 * H, sh(2026, 3, 4, 9), id="starts-before-opening"),
        pytest.param(sh(2026, 3, 4, 20), 1 * H, sh(2026, 3, 5, 9), id="starts-after-closing"),
        pytest.param(
            sh(2026, 2, 13, 16), 4 * H, sh(2026, 2, 14, 10, 30), id="make-up-saturday-0214"
        ),
        pytest.param(
            sh(2026, 2, 14, 16), 4 * H, sh(2026, 2, 24, 10, 30), id="over-spring-festival"
        ),
        pytest.param(
            sh(2026, 2, 13, 9), 24 * H, sh(2026, 2, 24, 14), id="24h-across-spring-festival"
        ),
        pytest.param(
            sh(2026, 2, 27, 16), 4 * H, sh(2026, 2, 28, 10, 30), id="make-up-saturday-0228"
        ),
        pytest.param(sh(2026, 2, 27, 16), 12 * H, sh(2026, 3, 2, 9), id="make-up-sat-then-mon"),
        pytest.param(sh(2026, 9, 30, 16), 4 * H, sh(2026, 10, 8, 10, 30), id="national-day"),
    ],
)
def test_working_hours_add(start: datetime, duration: timedelta, expected: datetime):
    """Only 08:00-17:30 Shanghai time on China's working days counts (issue 3 §2)."""
    calendar = china_hours()
    assert calendar.add(start, duration) == expected
    assert calendar.elapsed(start, expected) == duration


def test_the_national_day_case_is_on_a_real_holiday():
    """Guards the ``national-day`` case: 2026-10-01..10-07 are off, 10-08 works, and Saturday
    10-10 is a make-up working day."""
    working = ChineseWorkingDays()
    assert not any(working(date(2026, 10, d)) for d in range(1, 8))
    assert working(date(2026, 9, 30)) and working(date(2026, 10, 8))
    assert date(2026, 10, 10).weekday() == 5 and working(date(2026, 10, 10))


def test_working_hours_accepts_instants_in_any_zone():
    """Friday 16:00 Shanghai given as 08:00 UTC; the answer is the same instant."""
    calendar = china_hours()
    result = calendar.add(datetime(2026, 3, 6, 8, 0, tzinfo=UTC), 4 * H)
    assert result == datetime(2026, 3, 9, 2, 30, tzinfo=UTC)
    assert result.astimezone(SHANGHAI) == sh(2026, 3, 9, 10, 30)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(sh(2026, 3, 4, 10), sh(2026, 3, 4, 10), id="inside-hours-stays"),
        pytest.param(sh(2026, 3, 4, 8), sh(2026, 3, 4, 8), id="at-opening-stays"),
        pytest.param(sh(2026, 3, 4, 7), sh(2026, 3, 4, 8), id="before-opening"),
        pytest.param(sh(2026, 3, 6, 18), sh(2026, 3, 9, 8), id="friday-evening"),
        pytest.param(sh(2026, 3, 6, 17, 30), sh(2026, 3, 9, 8), id="at-closing"),
        pytest.param(sh(2026, 3, 7, 12), sh(2026, 3, 9, 8), id="saturday"),
        pytest.param(sh(2026, 2, 14, 7), sh(2026, 2, 14, 8), id="make-up-saturday"),
        pytest.param(sh(2026, 2, 15, 12), sh(2026, 2, 24, 8), id="spring-festival"),
    ],
)
def test_adding_nothing_outside_hours_lands_at_the_next_opening(
    start: datetime, expected: datetime
):
    assert china_hours().add(start, timedelta(0)) == expected


def test_override_table_wins_over_the_chinese_calendar():
    """A company day off on an ordinary Monday, and an extra working Saturday."""
    closed_monday = china_hours({date(2026, 3, 9): False})
    assert closed_monday.add(sh(2026, 3, 6, 16), 4 * H) == sh(2026, 3, 10, 10, 30)
    assert closed_monday.elapsed(sh(2026, 3, 6, 16), sh(2026, 3, 10, 10, 30)) == 4 * H

    open_saturday = china_hours({date(2026, 3, 7): True})
    assert open_saturday.add(sh(2026, 3, 6, 16), 4 * H) == sh(2026, 3, 7, 10, 30)

    # Override a make-up working Saturday back to a day off.
    no_make_up = china_hours({date(2026, 2, 14): False})
    assert no_make_up.add(sh(2026, 2, 13, 16), 4 * H) == sh(2026, 2, 24, 10, 30)


def test_a_calendar_without_working_days_refuses_instead_of_looping():
    never = WorkingHours(time_zone="Asia/Shanghai", is_working_day=lambda day: False, max_days=30)
    with pytest.raises(ValueError, match="no working time"):
        never.add(sh(2026, 3, 4, 9), H)


# --- WorkingHours: elapsed -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(sh(2026, 3, 6, 16), sh(2026, 3, 9, 10, 30), 4 * H, id="over-weekend"),
        pytest.param(sh(2026, 3, 6, 18), sh(2026, 3, 9, 7), timedelta(0), id="only-off-hours"),
        pytest.param(sh(2026, 3, 2), sh(2026, 3, 9), 5 * 9.5 * H, id="ordinary-week"),
        pytest.param(sh(2026, 2, 14, 16), sh(2026, 2, 24, 10, 30), 4 * H, id="spring-festival"),
        # Working days 02-13 (Fri), 02-14 (Sat, make-up), 02-24..27, 02-28 (Sat, make-up).
        pytest.param(sh(2026, 2, 13), sh(2026, 3, 1), 7 * 9.5 * H, id="whole-festival-fortnight"),
        pytest.param(sh(2026, 2, 14, 12), sh(2026, 2, 14, 13), H, id="on-make-up-saturday"),
        pytest.param(sh(2026, 3, 4, 12), sh(2026, 3, 4, 11), timedelta(0), id="end-before-start"),
        pytest.param(sh(2026, 3, 4, 7), sh(2026, 3, 4, 19), 9.5 * H, id="whole-day-from-night"),
    ],
)
def test_working_hours_elapsed(start: datetime, end: datetime, expected: timedelta):
    assert china_hours().elapsed(start, end) == expected


# --- A zone other than Shanghai, across a daylight-saving change ----------------------------


def test_other_zone_uses_its_own_local_days_and_daylight_saving():
    """Los Angeles, Monday to Friday: Friday 16:00 local is already Saturday in UTC, and the
    clocks spring forward on Sunday 2026-03-08 (PST -8 → PDT -7)."""
    la = ZoneInfo("America/Los_Angeles")
    calendar = WorkingHours(time_zone="America/Los_Angeles", is_working_day=monday_to_friday)
    friday_16 = datetime(2026, 3, 7, 0, 0, tzinfo=UTC)  # already Saturday in UTC
    assert friday_16.astimezone(la) == datetime(2026, 3, 6, 16, tzinfo=la)

    due = calendar.add(friday_16, 4 * H)
    assert due == datetime(2026, 3, 9, 10, 30, tzinfo=la)
    assert due == datetime(2026, 3, 9, 17, 30, tzinfo=UTC)  # PDT now: -7
    assert calendar.elapsed(friday_16, due) == 4 * H
    # The same instant under the Shanghai calendar (Saturday 08:00 there) is a different answer.
    assert china_hours().add(friday_16, 4 * H) == sh(2026, 3, 9, 12)


def test_other_zone_with_custom_hours():
    berlin = ZoneInfo("Europe/Berlin")
    calendar = WorkingHours(
        time_zone="Europe/Berlin", opens=time(9), closes=time(17), is_working_day=monday_to_friday
    )
    # Friday 27 March 2026 15:00 CET; Berlin moves to CEST on Sunday 29 March.
    start = datetime(2026, 3, 27, 15, tzinfo=berlin)
    assert calendar.add(start, 3 * H) == datetime(2026, 3, 30, 10, tzinfo=berlin)
    assert calendar.add(start, 3 * H) == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert calendar.elapsed(start, datetime(2026, 3, 30, 10, tzinfo=berlin)) == 3 * H


# --- Properties ---------------------------------------------------------------------------

durations = st.integers(min_value=0, max_value=400 * 3600).map(lambda s: timedelta(seconds=s))


@given(
    start=st.integers(min_value=0, max_value=3 * 365 * 86400).map(
        lambda s: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
    ),
    duration=st.integers(min_value=0, max_value=10**8).map(lambda s: timedelta(seconds=s)),
)
def test_around_the_clock_elapsed_inverts_add(start: datetime, duration: timedelta):
    clock = AroundTheClock()
    assert clock.elapsed(start, clock.add(start, duration)) == duration


working_days_2025_2027 = [
    date(2025, 1, 1) + timedelta(days=i)
    for i in range(3 * 365)
    if CHINA.is_working_day(date(2025, 1, 1) + timedelta(days=i))
]
inside_hours = st.builds(
    lambda day, seconds: (
        datetime.combine(day, time(8), tzinfo=SHANGHAI) + timedelta(seconds=seconds)
    ),
    st.sampled_from(working_days_2025_2027),
    st.integers(min_value=0, max_value=int(9.5 * 3600) - 1),
)
anywhere = st.integers(min_value=0, max_value=3 * 365 * 86400 - 1).map(
    lambda s: datetime(2025, 1, 1, tzinfo=SHANGHAI) + timedelta(seconds=s)
)


@settings(deadline=None)
@given(start=inside_hours, duration=durations)
def test_working_hours_elapsed_inverts_add_inside_hours(start: datetime, duration: timedelta):
    calendar = china_hours()
    due = calendar.add(start, duration)
    assert due >= start
    assert calendar.elapsed(start, due) == duration


@settings(deadline=None)
@given(start=anywhere, duration=durations)
def test_working_hours_add_lands_in_working_time(start: datetime, duration: timedelta):
    """Whatever the start, the result is inside (or at the end of) a working window, and
    exactly ``duration`` of working time lies between."""
    calendar = china_hours()
    due = calendar.add(start, duration).astimezone(SHANGHAI)
    assert CHINA.is_working_day(due.date())
    assert time(8) <= due.time() <= time(17, 30)
    assert calendar.elapsed(start, due) == duration


@settings(deadline=None)
@given(a=anywhere, b=anywhere, c=anywhere)
def test_working_hours_elapsed_is_additive(a: datetime, b: datetime, c: datetime):
    a, b, c = sorted((a, b, c))
    calendar = china_hours()
    assert calendar.elapsed(a, b) + calendar.elapsed(b, c) == calendar.elapsed(a, c)
    assert calendar.elapsed(a, c) <= c - a
