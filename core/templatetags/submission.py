"""``{% submission_token %}``: a fresh one-time token in every form that writes, so the same
form sent twice (a double tap, a resent page, five parallel posts) is done once
(``accounts.middleware.IdempotencyMiddleware``). Nothing for someone not logged in: tokens
are kept per user. A builtin: no ``{% load %}`` needed."""

import uuid

from django import template
from django.utils.html import format_html

from core.idempotency import SUBMISSION_FIELD

register = template.Library()


@register.simple_tag(takes_context=True)
def submission_token(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', SUBMISSION_FIELD, uuid.uuid4().hex
    )
