"""The filters of the charge-statement list: one FilterSet, used by the page, the API and
the export alike (``core.filtering``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.filtering import ChoiceFilter, ListFilterSet

from .models import StatementState


class StatementFilterSet(ListFilterSet):
    state = ChoiceFilter(
        label=_("State"),
        choices=StatementState.choices,
        empty_label=_("All states"),
        # The list follows the choice at once (static/js/app.js).
        widget=forms.Select(attrs={"data-submit-on-change": ""}),
    )
