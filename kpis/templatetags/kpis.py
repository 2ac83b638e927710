"""How the key figures read: a share as a percentage, seconds as hours and minutes."""

from django import template

from core.durations import duration_words

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    """0.755 → "75.5 %"; no figure → "—"."""
    if share is None:
        return "—"
    return f"{share * 100:.1f} %"


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as "2 h 30 min" (as the countdowns word them); no figure → "—"."""
    if seconds is None:
        return "—"
    return duration_words(seconds)
