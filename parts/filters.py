"""The filters of the parts lists: the catalogue, stock levels, stock movements and loaner
units; one FilterSet per list, used by the page, the API and the export alike
(``core.filtering``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from assets.models import ProductModel
from core.filtering import (
    BooleanFilter,
    ChoiceFilter,
    DayFilter,
    ListFilterSet,
    RecordFilter,
    TextFilter,
    in_scope,
)
from service.models import ServiceRequest

from .models import LoanerState, MovementKind, SparePart, StockLocation

YES_NO = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]


class PartFilterSet(ListFilterSet):
    """The catalogue: what was typed, which model it fits, active or not."""

    q = TextFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search"}),
        api_description="Part number or name (part of it)",
    )
    product_model = RecordFilter(
        label=_("Fits model"),
        field_name="product_models",
        queryset=in_scope(ProductModel),
        empty_label=_("All models"),
        distinct=True,
    )
    active = BooleanFilter(
        label=_("Active"), widget=forms.Select(choices=YES_NO), api_description="In use or not"
    )

    def search(self, queryset: QuerySet[SparePart], name: str, text: str) -> QuerySet[SparePart]:
        return queryset.filter(
            Q(part_number__icontains=text) | Q(name_zh__icontains=text) | Q(name_en__icontains=text)
        )


def _active_locations(request: HttpRequest) -> QuerySet[StockLocation]:
    return StockLocation.objects.for_user(request.user).filter(active=True)


class StockFilterSet(ListFilterSet):
    """Stock levels: where, which part, only those under their reorder point."""

    location = RecordFilter(
        label=pgettext_lazy("stock", "Location"),
        queryset=_active_locations,
        empty_label=_("All locations"),
    )
    # Reached from a part's page; no list of the whole catalogue in the form.
    part = RecordFilter(label=_("Part"), queryset=in_scope(SparePart), widget=forms.HiddenInput)
    # A check box on the page (?low=1); unchecked means every row, never "only the others".
    low = BooleanFilter(
        label=_("Below reorder point only"),
        method="low_only",
        widget=forms.CheckboxInput,
        api_name="low_only",
        api_default=False,
        api_description="Only the levels whose free stock is under the reorder point",
    )

    def low_only(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(is_low=True) if value else queryset


class MovementFilterSet(ListFilterSet):
    """The stock ledger: which part, where (into or out of a place), what kind, for which
    request, when (local days of the viewer's zone)."""

    kind = ChoiceFilter(label=_("Kind"), choices=MovementKind.choices, empty_label=_("All kinds"))
    location = RecordFilter(
        label=pgettext_lazy("stock", "Location"),
        queryset=in_scope(StockLocation),
        empty_label=_("All locations"),
        method="at_location",
        api_description="Into or out of this location",
    )
    occurred_from = DayFilter(
        label=_("From"), method="occurred_since", api_description="First local day, included"
    )
    occurred_to = DayFilter(
        label=_("Until"), method="occurred_until", api_description="Last local day, included"
    )
    # Reached from a part's or a request's page; no list of them all in the form.
    part = RecordFilter(label=_("Part"), queryset=in_scope(SparePart), widget=forms.HiddenInput)
    request = RecordFilter(
        label=_("Service request"),
        queryset=in_scope(ServiceRequest),
        widget=forms.HiddenInput,
    )

    def at_location(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(Q(from_location=value) | Q(to_location=value))

    def occurred_since(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(occurred_at__gte=self._start_of(value))

    def occurred_until(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(occurred_at__lt=self._start_of(value + timedelta(days=1)))

    def _start_of(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=ZoneInfo(self.user.display_time_zone()))


def _models_with_loaners(request: HttpRequest) -> QuerySet[ProductModel]:
    return ProductModel.objects.for_user(request.user).filter(loaner_units__isnull=False).distinct()


class LoanerFilterSet(ListFilterSet):
    """Loaner units: how they stand, which model."""

    state = ChoiceFilter(label=_("State"), choices=LoanerState.choices, empty_label=_("All"))
    model = RecordFilter(
        label=_("Model"),
        field_name="product_model",
        queryset=_models_with_loaners,
        empty_label=_("All"),
        api_name="product_model_id",
    )
