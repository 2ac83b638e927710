"""The filters of the contract lists: one FilterSet per list, used by the page, the API and
the export alike (``core.filtering``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assets.models import Device
from core.filtering import ListFilterSet, RecordFilter, TextFilter, in_scope
from customers.models import Hospital


class ContractFilterSet(ListFilterSet):
    hospital = RecordFilter(
        label=_("Hospital"), queryset=in_scope(Hospital), empty_label=_("All hospitals")
    )
    q = TextFilter(
        label=_("Number"),
        field_name="number",
        lookup_expr="icontains",
        widget=forms.SearchInput(attrs={"placeholder": _("Number")}),
        api_description="The number (part of it)",
    )


class AgreementFilterSet(ContractFilterSet):
    # Reached from a device's page; no list of every device in the form.
    device = RecordFilter(
        label=_("Device"),
        field_name="devices",
        queryset=in_scope(Device),
        widget=forms.HiddenInput,
    )
