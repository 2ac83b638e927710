"""How a calendar entry reads on a page: its kind and state in words, its local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils.translation import gettext_lazy as _

from core.agenda import CalendarEntry

register = template.Library()

KIND_LABELS = {
    "visit": _("Maintenance visit"),
    "return_visit": _("Return visit"),
    "training": _("Training"),
    "repair": _("Repair job"),
    "duty": _("Duty shift"),
}
STATE_LABELS = {
    "planned": _("Planned"),
    "due": _("Due"),
    "overdue": _("Overdue"),
    "done": _("Done"),
    "held": _("Held"),
    "awaiting_signature": _("Awaiting signature"),
    "cancelled": _("Cancelled"),
}
STATE_ICONS = {
    "due": "bi-hourglass-split",
    "overdue": "bi-exclamation-triangle-fill",
    "done": "bi-check-circle-fill",
    "held": "bi-check-circle-fill",
    "awaiting_signature": "bi-pen",
    "cancelled": "bi-x-circle",
}


@register.filter
def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@register.filter
def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@register.filter
def state_icon(state: str) -> str:
    return STATE_ICONS.get(state, "")


@register.simple_tag
def entry_time(entry: CalendarEntry, time_zone: ZoneInfo) -> str:
    """Like "09:30" (or "09:30-11:00") in the page's zone; "" for an all-day entry."""
    if not isinstance(entry.starts, datetime):
        return ""
    text = entry.starts.astimezone(time_zone).strftime("%H:%M")
    if isinstance(entry.ends, datetime):
        text += "-" + entry.ends.astimezone(time_zone).strftime("%H:%M")
    return text
