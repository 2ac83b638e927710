"""The words of a countdown (issue 12 §3): "超时 132 小时 4 分" / "132 h 4 min overdue",
"剩余 3 小时 59 分" / "3 h 59 min left"; minutes only under an hour, hours only on the
hour, days counted as hours, whole minutes rounded down."""

import pytest
from django.template import Context, Template
from django.utils import translation

from core.durations import countdown_words, duration_words

HOUR = 3600
CASES = [
    # seconds left (negative: overdue), English, Chinese
    (-(132 * HOUR + 4 * 60 + 21), "132 h 4 min overdue", "超时 132 小时 4 分"),
    (3 * HOUR + 59 * 60 + 58, "3 h 59 min left", "剩余 3 小时 59 分"),
    (59 * 60 + 59, "59 min left", "剩余 59 分"),
    (-(12 * 60), "12 min overdue", "超时 12 分"),
    (4 * HOUR, "4 h left", "剩余 4 小时"),
    (-(2 * HOUR + 30), "2 h overdue", "超时 2 小时"),
    (5 * 24 * HOUR + 60, "120 h 1 min left", "剩余 120 小时 1 分"),
    (30, "0 min left", "剩余 0 分"),
]


@pytest.mark.parametrize(("seconds", "english", "chinese"), CASES)
def test_countdown_words_in_both_languages(seconds, english, chinese):
    with translation.override("en"):
        assert countdown_words(seconds) == english
    with translation.override("zh-hans"):
        assert countdown_words(seconds) == chinese


def test_duration_ignores_the_sign():
    assert duration_words(-(3 * HOUR + 60)) == duration_words(3 * HOUR + 60) == "3 h 1 min"


def test_the_script_tag_carries_the_same_patterns_translated():
    with translation.override("zh-hans"):
        html = Template("{% load durations %}<script {% countdown_words %}></script>").render(
            Context()
        )
    assert 'data-countdown-overdue="超时 %(duration)s"' in html
    assert 'data-countdown-left="剩余 %(duration)s"' in html
    assert 'data-countdown-hours-minutes="%(hours)s 小时 %(minutes)s 分"' in html
    assert 'data-countdown-hours="%(hours)s 小时"' in html
    assert 'data-countdown-minutes="%(minutes)s 分"' in html
