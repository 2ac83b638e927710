"""``{% countdown_words %}``: the words of a live countdown as ``data-`` attributes of
``static/js/service.js``'s script tag, from ``core.durations`` (one wording for the server's
first paint and the script's every minute)."""

from django import template
from django.utils.html import format_html_join

from core import durations

register = template.Library()


@register.simple_tag
def countdown_words() -> str:
    return format_html_join(" ", 'data-countdown-{}="{}"', sorted(durations.patterns().items()))
