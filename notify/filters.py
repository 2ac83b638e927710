"""The filters of the inbox: one FilterSet, used by the page and the API alike
(``core.filtering``)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.filtering import BooleanFilter, ListFilterSet


class InboxFilterSet(ListFilterSet):
    unread = BooleanFilter(
        label=_("Show"),
        method="by_read",
        widget=forms.Select(
            choices=[("", _("All messages")), ("true", _("Unread")), ("false", _("Read"))],
            # The list follows the choice at once (static/js/app.js).
            attrs={"data-submit-on-change": ""},
        ),
        api_description="true: the unread messages only; false: the read ones only",
    )

    def by_read(self, messages: QuerySet, name: str, unread: bool) -> QuerySet:
        return messages.filter(read_at__isnull=unread)
