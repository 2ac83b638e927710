"""The KPI arithmetic, checked against values worked out by hand."""

import pytest

from kpis.stats import mean, median, percentile, rate


def test_median_of_an_even_count_is_the_middle_pair_averaged():
    assert median([10, 1, 3, 2]) == 2.5


def test_percentile_interpolates_between_ranks():
    # Sorted 1, 2, 3, 10: position 0.9 × 3 = 2.7 → 3 + 0.7 × (10 - 3).
    assert percentile([3, 1, 10, 2], 0.9) == pytest.approx(7.9)
    assert percentile([5], 0.9) == 5
    assert percentile([1, 2], 0) == 1 and percentile([1, 2], 1) == 2


def test_nothing_counted_is_no_figure():
    assert median([]) is None
    assert rate(0, 0) is None
    assert mean([]) is None


def test_rate_and_mean():
    assert rate(3, 4) == 0.75
    assert mean([4, 5]) == 4.5


def test_a_fraction_outside_zero_and_one_is_refused():
    with pytest.raises(ValueError):
        percentile([1], 1.5)
