"""The filters of the return-visit list: one FilterSet, used by the page, the API and the
export alike (``core.filtering``)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.api import Month
from core.filtering import ChoiceFilter, DayFilter, ListFilterSet, RecordFilter, in_scope
from customers.models import Department, Hospital

from .forms import STATE_LABELS, MonthInput
from .models import ReturnVisit
from .selectors import state_filter


class ReturnVisitFilterSet(ListFilterSet):
    """Return visits: their month, where, how they stand."""

    month = DayFilter(
        label=_("Month"),
        method="in_month",
        input_formats=["%Y-%m"],
        widget=MonthInput(),
        api_type=Month,
        api_description="YYYY-MM, 2000 to 2100",
    )
    hospital = RecordFilter(
        label=_("Hospital"), queryset=in_scope(Hospital), empty_label=_("All hospitals")
    )
    # Reached from a department; no list of every department in the form.
    department = RecordFilter(
        label=_("Department"), queryset=in_scope(Department), widget=forms.HiddenInput
    )
    state = ChoiceFilter(
        label=_("State"),
        choices=list(STATE_LABELS.items()),
        empty_label=_("Any state"),
        method="in_state",
    )

    def in_month(
        self, queryset: QuerySet[ReturnVisit], name: str, value: date
    ) -> QuerySet[ReturnVisit]:
        return queryset.filter(month=value.replace(day=1))

    def in_state(
        self, queryset: QuerySet[ReturnVisit], name: str, value: str
    ) -> QuerySet[ReturnVisit]:
        return state_filter(queryset, value)

    def shape_form(self, form: forms.Form) -> None:
        if not self.user.is_vendor_staff:
            del form.fields["hospital"]  # a hospital user sees one hospital anyway
