"""What an input can mean in this business, whatever a field's type would allow: ids a
database stores, dates between 2000 and 2100, text that fits on a form. A value outside is a
typo or an attack; the edges refuse it with a clear message before it reaches a query (an id
of 10**20 overflows SQLite, a date in year 1 overflows a time-zone conversion). Domain-free.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _

# A signed 64-bit integer: the largest key both databases store.
MAX_ID = 2**63 - 1
# No list has a billion rows; an offset beyond is a typo.
MAX_OFFSET = 10**9
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
# "YYYY-MM" within the years above.
MONTH_PATTERN = r"^(20\d\d|2100)-(0[1-9]|1[0-2])$"
# A long description, a note or a comment; names and codes have their own shorter limits.
MAX_TEXT = 5000


def day_error(value: date) -> str | None:
    """Why ``value`` cannot be a date of this business, or None."""
    if isinstance(value, datetime):
        value = value.date()
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        return _("Give a date between %(first)s and %(last)s.") % {
            "first": EARLIEST_DAY.isoformat(),
            "last": LATEST_DAY.isoformat(),
        }
    return None


def text_error(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None: a NUL character is never text."""
    if "\x00" in value:
        return _("The text contains a NUL character.")
    return None
