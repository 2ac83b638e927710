"""The KPI page's filter: from, to (local days) and the grouping. Its fields are the API's
query parameters; the rules are ``query.kpi_query``'s, shown on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin, DateInput, add_service_errors

from .query import KpiQuery, group_choices, kpi_query


class KpiFilterForm(BootstrapFormMixin, forms.Form):
    # ``from`` is a Python keyword: the fields are declared by name.
    vars()["from"] = forms.DateField(label=_("Reported from"), required=False, widget=DateInput)
    to = forms.DateField(label=_("Reported until"), required=False, widget=DateInput)
    group_by = forms.ChoiceField(label=_("Group by"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        group_by = self.fields["group_by"]
        assert isinstance(group_by, forms.ChoiceField)
        group_by.choices = group_choices(user)

    def query(self) -> KpiQuery | None:
        """The query the form asks for; None with the errors on the form."""
        if not self.is_valid():
            return None
        try:
            return kpi_query(
                user=self.user,
                first_day=self.cleaned_data.get("from"),
                last_day=self.cleaned_data.get("to"),
                group_by=self.cleaned_data.get("group_by") or None,
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
            return None
