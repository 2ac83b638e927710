"""The pure gap rules (R-6.2): every minute covered, holidays included; no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from duty.gaps import Gap, merge, region_gaps, uncovered

SH = ZoneInfo("Asia/Shanghai")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH).astimezone(UTC)


def test_merge_joins_overlapping_and_touching_intervals():
    assert merge(
        [
            (t("2026-02-01 08:00"), t("2026-02-01 20:00")),
            (t("2026-02-01 20:00"), t("2026-02-02 08:00")),  # touching: joined
            (t("2026-02-01 10:00"), t("2026-02-01 12:00")),  # inside
            (t("2026-02-03 08:00"), t("2026-02-03 09:00")),
        ]
    ) == [
        (t("2026-02-01 08:00"), t("2026-02-02 08:00")),
        (t("2026-02-03 08:00"), t("2026-02-03 09:00")),
    ]


def test_a_window_fully_covered_has_no_gap_and_the_boundaries_are_exact():
    window = (t("2026-02-01 00:00"), t("2026-02-02 00:00"))
    assert uncovered(window, [(t("2026-01-31 20:00"), t("2026-02-02 08:00"))]) == []
    # One minute missing at each end, and one in the middle: three one-minute gaps.
    covered = [
        (t("2026-02-01 00:01"), t("2026-02-01 12:00")),
        (t("2026-02-01 12:01"), t("2026-02-01 23:59")),
    ]
    gaps = uncovered(window, covered)
    assert gaps == [
        (t("2026-02-01 00:00"), t("2026-02-01 00:01")),
        (t("2026-02-01 12:00"), t("2026-02-01 12:01")),
        (t("2026-02-01 23:59"), t("2026-02-02 00:00")),
    ]


def test_nothing_covered_is_one_gap_the_whole_window():
    window = (t("2026-02-01 00:00"), t("2026-02-03 00:00"))
    assert uncovered(window, []) == [window]


def test_spring_festival_and_a_make_up_saturday_are_ordinary_days():
    """2026-02-17 is the Spring Festival, 2026-02-28 a make-up working Saturday: a night
    without a manager on either is a gap like any other (24/7 without holidays)."""
    window = (t("2026-02-16 08:00"), t("2026-03-01 08:00"))
    day = timedelta(days=1)
    managers = [
        (t("2026-02-16 08:00") + n * day, t("2026-02-16 20:00") + n * day) for n in range(13)
    ]
    engineers = [window]
    gaps = region_gaps(
        region_id=1,
        window=window,
        shifts={"engineer": engineers, "manager": managers},
        roles=("engineer", "manager"),
    )
    assert [g.role for g in gaps] == ["manager"] * 13
    spring_festival_night = gaps[1]
    assert (spring_festival_night.starts_at, spring_festival_night.ends_at) == (
        t("2026-02-17 20:00"),
        t("2026-02-18 08:00"),
    )
    assert spring_festival_night.minutes == 12 * 60
    make_up_saturday_night = gaps[12]
    assert make_up_saturday_night.starts_at == t("2026-02-28 20:00")
    assert make_up_saturday_night.open_end  # it reaches the end of the window


def test_a_gap_cut_by_the_window_keeps_its_key_from_day_to_day():
    inside = Gap(1, "manager", t("2026-02-01 20:00"), t("2026-02-02 08:00"))
    assert inside.key.startswith("1:manager:2026-02-01T12:00:00+00:00:")
    today = Gap(1, "manager", t("2026-02-01 20:00"), t("2026-04-01 00:00"), open_end=True)
    tomorrow = Gap(1, "manager", t("2026-02-01 20:00"), t("2026-04-02 00:00"), open_end=True)
    assert today.key == tomorrow.key
    changed = Gap(1, "manager", t("2026-02-01 21:00"), t("2026-04-02 00:00"), open_end=True)
    assert changed.key != today.key


def test_a_zone_without_daylight_saving_has_24_hour_days():
    # Asia/Shanghai has no DST: each local day of a year is exactly 24 h long in UTC.
    start = datetime(2026, 1, 1, tzinfo=SH)
    for n in range(365):
        a = (start + timedelta(days=n)).astimezone(UTC)
        b = (start + timedelta(days=n + 1)).astimezone(UTC)
        assert b - a == timedelta(hours=24)
