"""Local calendar days: storage is UTC, a hospital's "today" is in its own zone."""

from datetime import date
from zoneinfo import ZoneInfo

from django.utils import timezone


def local_today(time_zone: str) -> date:
    return timezone.now().astimezone(ZoneInfo(time_zone)).date()
