"""The filters of the customer lists: one FilterSet per list, used by the page, the API and
the export alike (``core.filtering``)."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.filtering import ListFilterSet, RecordFilter, TextFilter, in_scope

from .models import Department, Hospital


class HospitalFilterSet(ListFilterSet):
    q = TextFilter(
        label=_("Search hospitals"),
        method="search",
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Name or code")}),
        api_description="Name or code (part of it)",
    )

    def search(self, queryset: QuerySet, name: str, text: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=text) | Q(code__icontains=text))


class DepartmentFilterSet(ListFilterSet):
    hospital = RecordFilter(label=_("Hospital"), queryset=in_scope(Hospital))
    q = TextFilter(
        label=_("Search"),
        field_name="name",
        lookup_expr="icontains",
        api_description="Name (part of it)",
    )


class ContactFilterSet(ListFilterSet):
    hospital = RecordFilter(label=_("Hospital"), queryset=in_scope(Hospital))
    department = RecordFilter(label=_("Department"), queryset=in_scope(Department))
