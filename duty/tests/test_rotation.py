"""What a rotation generates, pure (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from duty.rotation import Slot, planned_shifts

SH = ZoneInfo("Asia/Shanghai")
SLOTS = [
    Slot(1, "engineer", None, time(8), timedelta(hours=12)),
    Slot(2, "engineer", None, time(20), timedelta(hours=12), offset=1),
    Slot(3, "manager", None, time(8), timedelta(hours=24)),
]


def test_weekly_day_night_rotation_covers_every_day_and_turns_weekly():
    planned = list(
        planned_shifts(
            slots=SLOTS,
            members={"engineer": [10, 11, 12], "manager": [20, 21]},
            starts_on=date(2026, 2, 16),  # a Monday; 2026-02-17 is the Spring Festival
            period=7,
            zone=SH,
            first_day=date(2026, 2, 16),
            last_day=date(2026, 3, 1),
        )
    )
    assert len(planned) == 14 * 3  # holidays are not skipped
    first = planned[0]
    assert first.starts_at == datetime(2026, 2, 16, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    week1 = {(p.slot_id, p.user_id) for p in planned[:21]}
    assert week1 == {(1, 10), (2, 11), (3, 20)}
    week2 = {(p.slot_id, p.user_id) for p in planned[21:]}
    assert week2 == {(1, 11), (2, 12), (3, 21)}


def test_a_weekday_slot_and_days_before_the_first_day():
    planned = list(
        planned_shifts(
            slots=[Slot(1, "engineer", 5, time(9), timedelta(hours=8))],  # Saturdays
            members={"engineer": [1]},
            starts_on=date(2026, 2, 18),
            period=1,
            zone=SH,
            first_day=date(2026, 2, 1),
            last_day=date(2026, 3, 1),
        )
    )
    # 2026-02-28 is a make-up working Saturday: it is a Saturday like the others.
    assert [p.starts_at.astimezone(SH).date() for p in planned] == [
        date(2026, 2, 21),
        date(2026, 2, 28),
    ]
