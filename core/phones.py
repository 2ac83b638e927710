"""Phone numbers as people type them, made comparable. Pure: no Django.

"0532-8286 1234", "0532 82861234" and "+86 532 8286 1234" are one landline; "+86 138 0013
8000", "0086-13800138000" and "138-0013-8000" one mobile. ``normalise`` keeps the digits
in the domestic form (the trunk 0 of a landline put back after +86); ``variants`` lists the
forms a stored number may have once its separators are stripped, so a lookup is one
``IN`` on the database side.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().·/]+")
_COUNTRY_PREFIXES = ("+86", "0086")
# Stored numbers are stripped of these on the database side before comparing.
SEPARATORS = (" ", "-", "(", ")", ".")
MIN_PARTIAL_DIGITS = 4


def _is_mobile(digits: str) -> bool:
    return len(digits) == 11 and digits.startswith("1")


def normalise(text: str) -> str:
    """The number as domestic digits: separators gone, +86/0086 dropped, a landline's
    trunk 0 restored. Anything that is not a phone number comes back as its digits."""
    compact = _SEPARATORS.sub("", text or "")
    for prefix in _COUNTRY_PREFIXES:
        if compact.startswith(prefix):
            rest = re.sub(r"\D", "", compact[len(prefix) :])
            if not rest:
                return ""
            return rest if _is_mobile(rest) or rest.startswith("0") else "0" + rest
    return re.sub(r"\D", "", compact)


def variants(text: str) -> list[str]:
    """The forms a stored number equal to ``text`` may take once its separators are
    stripped: domestic, and with +86, 0086 or 86 in front (without a landline's 0)."""
    digits = normalise(text)
    if not digits:
        return []
    national = digits if _is_mobile(digits) else digits.removeprefix("0")
    return [digits, *(f"{prefix}{national}" for prefix in ("+86", "0086", "86"))]
