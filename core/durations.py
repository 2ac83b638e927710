"""How long is left before a promise, or how long it is overdue, in words: "3 h 59 min
left" / "剩余 3 小时 59 分", "132 h 4 min overdue" / "超时 132 小时 4 分" (issue 12 §3).

Whole minutes, rounded down; hours are never folded into days (a deadline 5½ days ago
reads "132 h 4 min", the figure the service contract counts in); under an hour the minutes
only, a whole hour the hours only. ``static/js/service.js`` words its live countdowns with
the same patterns, which ``{% countdown_words %}`` (``core.templatetags.durations``)
renders into the script tag, so the page and the first paint always agree."""

from __future__ import annotations

from django.utils.translation import pgettext

# The patterns' context is "countdown" (words of a countdown, not of a form), written out
# in each call: makemessages reads only literal contexts.


def patterns() -> dict[str, str]:
    """The translated patterns, by the name the script reads them under."""
    return {
        "hours-minutes": pgettext("countdown", "%(hours)s h %(minutes)s min"),
        "hours": pgettext("countdown", "%(hours)s h"),
        "minutes": pgettext("countdown", "%(minutes)s min"),
        "left": pgettext("countdown", "%(duration)s left"),
        "overdue": pgettext("countdown", "%(duration)s overdue"),
    }


def duration_words(seconds: float) -> str:
    """``seconds`` (its sign ignored) as "132 h 4 min", "3 h" or "59 min"."""
    hours, minutes = divmod(int(abs(seconds)) // 60, 60)
    words = patterns()
    if not hours:
        return words["minutes"] % {"minutes": minutes}
    if not minutes:
        return words["hours"] % {"hours": hours}
    return words["hours-minutes"] % {"hours": hours, "minutes": minutes}


def countdown_words(seconds_left: float) -> str:
    """ "3 h 59 min left" for a deadline ahead, "132 h 4 min overdue" for one passed."""
    words = patterns()
    pattern = words["overdue"] if seconds_left < 0 else words["left"]
    return pattern % {"duration": duration_words(seconds_left)}
