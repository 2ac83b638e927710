"""What a calendar shows, in one shape for every kind of planned work (issue 4 §5).

Each app with dated work (maintenance visits, return visits, training sessions) offers a
function ``<app>.agenda.entries(*, start, end, visible_to, engineer_id=None,
hospital_id=None) -> list[CalendarEntry]`` returning the entries that touch
``[start, end]`` (local dates, both included) and that ``visible_to`` may see. The
``agenda`` app collects them for the month and week views and for the ICS feeds, so the
calendar never needs to know a visit from a training session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class CalendarEntry:
    uid: str  # stable across feeds and edits, e.g. "visit-123@medservice"
    kind: str  # "visit", "return_visit", "training"
    title: str  # already translated into the active language
    starts: date | datetime  # a date for an all-day entry, else an aware datetime
    ends: date | datetime | None = None  # exclusive end; None: one day / no duration
    url: str = ""  # path of the page of the entry
    state: str = ""  # e.g. "planned", "done", "overdue", "cancelled"
    hospital_id: int | None = None
    hospital_name: str = ""
    location: str = ""
    description: str = ""
    engineer_ids: tuple[int, ...] = field(default_factory=tuple)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.starts, datetime)

    def day(self, time_zone) -> date:
        """The local day the entry starts on, in ``time_zone`` (a ZoneInfo)."""
        if isinstance(self.starts, datetime):
            return self.starts.astimezone(time_zone).date()
        return self.starts
