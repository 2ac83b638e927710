"""``{% submission_token %}``: a fresh one-time token in every form that writes, so the same
form sent twice (a double tap, a resent page, five parallel posts) is done once
(``accounts.middleware.IdempotencyMiddleware``). A builtin: no ``{% load %}`` needed."""

import uuid

from django import template
from django.utils.html import format_html

from core.idempotency import SUBMISSION_FIELD

register = template.Library()


@register.simple_tag
def submission_token() -> str:
    return format_html(
        '<input type="hidden" name="{}" value="{}">', SUBMISSION_FIELD, uuid.uuid4().hex
    )
