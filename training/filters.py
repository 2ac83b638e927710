"""The filters of the training lists: one FilterSet per list, used by the page, the API and
the export alike (``core.filtering``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import DateTimeField, ExpressionWrapper, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from core.filtering import ChoiceFilter, DayFilter, ListFilterSet, RecordFilter, in_scope
from customers.models import Hospital

from . import selectors
from .models import SessionState, TrainingPlan, TrainingSession
from .services import MAX_DURATION

UPCOMING, PAST, ALL = "upcoming", "past", "all"
WHEN_CHOICES = [(UPCOMING, _("Upcoming")), (PAST, _("Past")), (ALL, _("All"))]


class TrainingPlanFilterSet(ListFilterSet):
    hospital = RecordFilter(
        label=_("Hospital"), queryset=in_scope(Hospital), empty_label=_("All hospitals")
    )
    # Reached from a contract; no list of every contract in the form.
    contract = RecordFilter(
        label=_("Contract"), queryset=in_scope(Contract), widget=forms.HiddenInput
    )


class TrainingSessionFilterSet(ListFilterSet):
    """Sessions: where, which plan, when. The page shows the upcoming ones unless asked
    otherwise; the API lists them all unless ``when`` says."""

    hospital = RecordFilter(
        label=_("Hospital"), queryset=in_scope(Hospital), empty_label=_("All hospitals")
    )
    when = ChoiceFilter(
        label=_("When"),
        choices=WHEN_CHOICES,
        empty_label=None,
        method="by_when",
        api_description="upcoming: not over yet and not cancelled; past: started before now",
    )
    since = DayFilter(
        label=_("From"),
        method="starting_since",
        api_name="from",
        api_description="First local day (the caller's time zone)",
    )
    until = DayFilter(
        label=_("Until"),
        method="starting_until",
        api_name="to",
        api_description="Last local day, included",
    )
    # Reached from a plan's page; no list of every plan in the form.
    plan = RecordFilter(
        label=_("Training plan"), queryset=in_scope(TrainingPlan), widget=forms.HiddenInput
    )

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        page = not kwargs.get("for_api") and data is not None
        if page and data.get("when") not in dict(WHEN_CHOICES):
            data = data.copy()
            data["when"] = UPCOMING  # the page's default, and what a bad value gets
        super().__init__(data, *args, **kwargs)

    def by_when(
        self, queryset: QuerySet[TrainingSession], name: str, value: str
    ) -> QuerySet[TrainingSession]:
        now = timezone.now()
        if value == UPCOMING:
            # A session still running counts as upcoming; the longest lasts MAX_DURATION,
            # which bounds the scan by the indexed start.
            ends = ExpressionWrapper(F("starts_at") + F("duration"), output_field=DateTimeField())
            return (
                queryset.filter(starts_at__gte=now - MAX_DURATION)
                .exclude(state=SessionState.CANCELLED)
                .alias(ends=ends)
                .filter(ends__gt=now)
            )
        if value == PAST:
            return queryset.filter(starts_at__lt=now)
        return queryset

    def starting_since(
        self, queryset: QuerySet[TrainingSession], name: str, value: date
    ) -> QuerySet[TrainingSession]:
        return selectors.sessions_between(queryset, zone=self._zone(), start=value, end=None)

    def starting_until(
        self, queryset: QuerySet[TrainingSession], name: str, value: date
    ) -> QuerySet[TrainingSession]:
        return selectors.sessions_between(queryset, zone=self._zone(), start=None, end=value)

    def _zone(self) -> Any:
        return selectors.user_zone(self.user)


def chosen(filters: ListFilterSet, name: str) -> Any:
    """The valid value of filter ``name`` (a page shows the hospital it lists), or None."""
    if not filters.is_bound:
        return None
    filters.form.is_valid()  # its cleaned_data holds the valid filters only
    return filters.form.cleaned_data.get(name)
