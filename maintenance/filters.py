"""The filters of the maintenance lists: one FilterSet per list, used by the page, the API and
the export alike (``core.filtering``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from assets.models import Device, ProductModel
from contracts.models import Contract
from core.filtering import (
    ChoiceFilter,
    DayFilter,
    FilterForm,
    ListFilterSet,
    RecordFilter,
    in_scope,
)
from customers.models import Hospital

from . import selectors
from .forms import STATE_FILTERS, engineers_queryset
from .models import PLAN_KIND_CHOICES, MaintenancePlanTemplate


def _engineers(request: HttpRequest) -> QuerySet:
    return engineers_queryset()


class PeriodForm(FilterForm):
    """Refuses a period that ends before it starts (the API's 422, a field left out on the
    page)."""

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        start, end = self.cleaned_data.get("due_from"), self.cleaned_data.get("due_to")
        if start and end and start > end:
            self.add_error("due_from", _("The start is after the end."))
        return data


class VisitFilterSet(ListFilterSet):
    """Planned visits: due dates (the hospital's), how they stand, where, who goes."""

    due_from = DayFilter(
        label=_("Due from"),
        field_name="due_on",
        lookup_expr="gte",
        api_description="Due on or after (the hospital's dates)",
    )
    due_to = DayFilter(
        label=_("Due until"),
        field_name="due_on",
        lookup_expr="lte",
        api_description="Due on or before",
    )
    state = ChoiceFilter(
        label=_("State"),
        choices=[choice for choice in STATE_FILTERS if choice[0]],
        empty_label=_("Any state"),
        method="in_state",
        api_description="planned includes overdue; done includes awaiting_signature",
    )
    hospital = RecordFilter(
        label=_("Hospital"), queryset=in_scope(Hospital), empty_label=_("All hospitals")
    )
    engineer = RecordFilter(
        label=_("Engineer"),
        field_name="engineers",
        queryset=_engineers,
        empty_label=_("All engineers"),
    )
    # From the device page's "All visits": the device's visits.
    device = RecordFilter(label=_("Device"), queryset=in_scope(Device), widget=forms.HiddenInput)

    class Meta:
        form = PeriodForm

    def in_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # "overdue" is judged on each hospital's own today.
        return selectors.visits_in_state(queryset, value) if value else queryset

    def shape_form(self, form: forms.Form) -> None:
        if not self.user.is_vendor_staff:
            # Hospital users see their own visits; engineers are the vendor's business.
            del form.fields["engineer"]


class PlanFilterSet(ListFilterSet):
    """Plan templates and the contracts' own numbers (the API lists both): applied to each of
    the two querysets, a model filter keeps templates only, a contract filter a contract's
    numbers only."""

    kind = ChoiceFilter(label=_("Kind"), choices=PLAN_KIND_CHOICES, empty_label=_("Any kind"))
    product_model = RecordFilter(
        label=_("Model"),
        queryset=in_scope(ProductModel),
        method="of_model",
        api_description="Templates of this model only",
    )
    contract = RecordFilter(
        label=_("Contract"),
        queryset=in_scope(Contract),
        method="of_contract",
        api_description="This contract's numbers only",
    )

    def of_model(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        if queryset.model is MaintenancePlanTemplate:
            return queryset.filter(product_model=value)
        return queryset.none()

    def of_contract(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        if queryset.model is MaintenancePlanTemplate:
            return queryset.none()
        return queryset.filter(contract=value)
