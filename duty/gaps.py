"""Roster gaps (R-6.2), pure: which minutes of a window are not covered by anyone.

Every minute of every day must be covered, public holidays and make-up working days
included, so there is no calendar here at all: a gap is a stretch of time, the same on a
Sunday, on the Spring Festival or on a make-up Saturday. No Django imports; the database
is read by ``duty.selectors``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Gap:
    region_id: int
    role: str
    starts_at: datetime
    ends_at: datetime
    # The gap reaches the edge of what was looked at: its true start / end lies beyond.
    open_start: bool = False
    open_end: bool = False

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def key(self) -> str:
        """The gap's identity: a gap that changes is a new gap. An edge the window cut is
        written "-", so the same uncovered stretch keeps its key from one day to the next."""
        start = "-" if self.open_start else self.starts_at.isoformat()
        end = "-" if self.open_end else self.ends_at.isoformat()
        return f"{self.region_id}:{self.role}:{start}:{end}"


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of ``intervals`` as sorted, disjoint intervals; touching ones are joined."""
    merged: list[list[datetime]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def uncovered(window: Interval, covered: Iterable[Interval]) -> list[Interval]:
    """The parts of ``window`` (start included, end excluded) outside every interval of
    ``covered``, merged and sorted."""
    start, end = window
    found: list[Interval] = []
    cursor = start
    for c_start, c_end in merge(covered):
        if c_end <= cursor:
            continue
        if c_start >= end:
            break
        if c_start > cursor:
            found.append((cursor, c_start))
        cursor = max(cursor, c_end)
        if cursor >= end:
            break
    if cursor < end:
        found.append((cursor, end))
    return found


def region_gaps(
    *,
    region_id: int,
    window: Interval,
    shifts: Mapping[str, Iterable[Interval]],
    roles: Iterable[str],
) -> list[Gap]:
    """The gaps of one region in ``window``, per role in ``roles``: the stretches that no
    shift of that role covers (``shifts`` maps a role to its shifts' intervals)."""
    gaps = []
    for role in roles:
        for start, end in uncovered(window, shifts.get(role, ())):
            gaps.append(
                Gap(
                    region_id=region_id,
                    role=role,
                    starts_at=start,
                    ends_at=end,
                    open_start=start == window[0],
                    open_end=end == window[1],
                )
            )
    return gaps
