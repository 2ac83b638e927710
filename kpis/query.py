"""What a KPI figure is asked for: a viewer, a window of local days and a grouping. The
rules are here once, for the page's form and the API's query alike (a day the business
knows, ``to`` not before ``from``, a grouping the viewer may see); bad input is a
``ValidationError`` on the parameter's name (``from``, ``to``, ``group_by``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.bounds import day_error
from core.timeutil import local_today

GROUP_BY = {
    "month": gettext_lazy("Month"),
    "engineer": gettext_lazy("Engineer"),
    "hospital": gettext_lazy("Hospital"),
    "region": gettext_lazy("Service region"),
    "model": gettext_lazy("Model"),
    "severity": gettext_lazy("Severity"),
}
# Per-person figures are the vendor's own management data: a hospital's users see the
# service their hospital received, not how each engineer scores (docs/kpis.md).
VENDOR_ONLY_GROUPS = frozenset({"engineer"})


def sees_engineers(user: Any) -> bool:
    return bool(getattr(user, "is_vendor_staff", False))


def group_choices(user: Any) -> list[tuple[str, str]]:
    return [
        (key, str(label))
        for key, label in GROUP_BY.items()
        if key not in VENDOR_ONLY_GROUPS or sees_engineers(user)
    ]


def default_window(today: date) -> tuple[date, date]:
    """The last 12 months: from the first day of the month 11 months back to today."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, 1), today


@dataclass(frozen=True)
class KpiQuery:
    """Requests reported on ``first_day`` … ``last_day`` (local days of ``time_zone``, both
    included), as ``user`` may see them, grouped by ``group_by``, judged as of ``now``."""

    user: Any
    first_day: date
    last_day: date
    group_by: str
    time_zone: str
    now: datetime

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        """The first instant after the window."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def sees_engineers(self) -> bool:
        return sees_engineers(self.user)


def kpi_query(
    *,
    user: Any,
    first_day: date | None = None,
    last_day: date | None = None,
    group_by: str | None = None,
    now: datetime | None = None,
) -> KpiQuery:
    """The query ``user`` asks for. No days: the last 12 months in the viewer's zone; only
    ``last_day``: the 12 months up to it; only ``first_day``: up to today (or that day).
    No grouping: by month."""
    now = now or timezone.now()
    time_zone = user.display_time_zone()
    default_first, default_last = default_window(local_today(time_zone))
    errors: dict[str, list[str]] = {}
    for name, day in (("from", first_day), ("to", last_day)):
        if day is not None and (problem := day_error(day)):
            errors[name] = [problem]
    group_by = group_by or "month"
    if group_by not in dict(group_choices(user)):
        errors["group_by"] = [
            _("Group by one of: %(choices)s.")
            % {"choices": ", ".join(key for key, _label in group_choices(user))}
        ]
    if not errors:
        if first_day is None:
            first_day = default_window(last_day)[0] if last_day else default_first
        last_day = last_day or max(default_last, first_day)
        if last_day < first_day:
            errors["to"] = [_("The last day is before the first.")]
    if errors:
        raise ValidationError(errors)
    assert first_day is not None and last_day is not None
    return KpiQuery(
        user=user,
        first_day=first_day,
        last_day=last_day,
        group_by=group_by,
        time_zone=time_zone,
        now=now,
    )
