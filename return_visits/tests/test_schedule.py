"""The calendar of the monthly return visit (R-7.1), pure: month ends, leap years, the
horizon."""

from __future__ import annotations

from datetime import date

import pytest

from return_visits.schedule import due_on, month_end, months_ahead, slot


def test_due_day_clamped_to_the_months_last_day():
    assert due_on(date(2026, 2, 1), 31) == date(2026, 2, 28)
    assert due_on(date(2028, 2, 1), 31) == date(2028, 2, 29)  # leap year
    assert due_on(date(2026, 4, 1), 31) == date(2026, 4, 30)
    assert due_on(date(2026, 3, 1), 15) == date(2026, 3, 15)
    with pytest.raises(ValueError):
        due_on(date(2026, 3, 1), 0)


def test_the_window_is_the_whole_month():
    s = slot(date(2026, 2, 17), 15)
    assert (s.month, s.due_on, s.window_start, s.window_end) == (
        date(2026, 2, 1),
        date(2026, 2, 15),
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    assert month_end(date(2024, 2, 3)) == date(2024, 2, 29)


def test_horizon_this_month_and_the_months_due_within_it():
    months = [s.month for s in months_ahead(date(2026, 1, 20), horizon_days=90, due_day=15)]
    # 20 Jan + 90 days = 20 Apr: January (still open, though past its due day) to April.
    assert months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    months = [s.month for s in months_ahead(date(2026, 1, 31), horizon_days=90, due_day=31)]
    # 31 Jan + 90 days = 1 May; 31 May is beyond it.
    assert months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    assert [s.due_on for s in months_ahead(date(2026, 1, 31), horizon_days=90, due_day=31)][
        1
    ] == date(2026, 2, 28)


def test_a_zero_horizon_plans_only_this_month():
    assert [s.month for s in months_ahead(date(2026, 12, 31), horizon_days=0, due_day=1)] == [
        date(2026, 12, 1)
    ]
    # Across the year's end.
    months = [s.month for s in months_ahead(date(2026, 12, 5), horizon_days=40, due_day=10)]
    assert months == [date(2026, 12, 1), date(2027, 1, 1)]
