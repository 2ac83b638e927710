"""The arithmetic of the KPIs: percentiles and rates. Pure: no Django, no database.

Percentiles interpolate linearly between the two nearest ranks, as PostgreSQL's
``percentile_cont`` and a spreadsheet's ``PERCENTILE.INC`` do, so a figure checked by hand
or recomputed in SQL gives the same number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """The ``fraction`` (0 … 1) percentile of ``values``; None when there are none.

    With the values sorted as x[0] … x[n-1], it is x at the position ``fraction * (n-1)``,
    interpolated between its neighbours: the median of (1, 2, 3, 10) is 2.5, its 90th
    percentile 0.7·3 + 0.3·10 = 7.9."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be within 0 and 1, not {fraction}")
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    below = math.floor(position)
    above = math.ceil(position)
    weight = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * weight


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 0.5)


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a share between 0 and 1; None when nothing was counted
    (no figure, rather than a 0 % or a 100 % nobody earned)."""
    if whole <= 0:
        return None
    return part / whole


def mean(values: Iterable[float]) -> float | None:
    numbers = list(values)
    return sum(numbers) / len(numbers) if numbers else None
