"""The filters of the installed-base lists: one FilterSet per list, used by the page, the API
and the export alike (``core.filtering``)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.filtering import (
    BooleanFilter,
    ChoiceFilter,
    ListFilterSet,
    RecordChoiceField,
    RecordFilter,
    TextFilter,
    in_scope,
)
from core.forms import id_from
from customers.models import Department, Hospital

from .forms import show_options
from .models import Device, DeviceStatus, ProductCategory, ProductModel
from .selectors import device_search


class DepartmentRecordField(RecordChoiceField):
    """A department by its name: the options are grouped by hospital already."""

    def label_from_instance(self, obj: Department) -> str:
        return obj.name


YES_NO = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]


def _departments(request: Any) -> QuerySet[Department]:
    return Department.objects.for_user(request.user).select_related("hospital")


class ProductModelFilterSet(ListFilterSet):
    """The vendor's catalogue."""

    q = TextFilter(
        label=_("Search"),
        method="search",
        api_description="Manufacturer or name (part of it), or the exact GTIN",
    )
    category = ChoiceFilter(
        label=_("Category"), choices=ProductCategory.choices, empty_label=_("All categories")
    )

    def search(self, queryset: QuerySet, name: str, text: str) -> QuerySet:
        if not text:
            return queryset
        return queryset.filter(
            Q(manufacturer__icontains=text) | Q(name__icontains=text) | Q(gtin=text)
        )


class DeviceFilterSet(ListFilterSet):
    """The installed base: what was typed or scanned, where it stands, its model."""

    q = TextFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Serial, asset tag or scan UDI"), "autocomplete": "off"}
        ),
        api_description="Serial, asset tag, or a scanned UDI/label",
    )
    hospital = RecordFilter(
        label=_("Hospital"), queryset=in_scope(Hospital), empty_label=_("All hospitals")
    )
    department = RecordFilter(
        label=_("Department"),
        queryset=_departments,
        empty_label=_("All departments"),
        field_class=DepartmentRecordField,
    )
    status = ChoiceFilter(
        label=_("Status"), choices=DeviceStatus.choices, empty_label=_("Any status")
    )
    model = RecordFilter(
        label=_("Model"),
        field_name="product_model",
        queryset=in_scope(ProductModel),
        empty_label=_("All models"),
        api_name="product_model_id",
    )
    out_of_use = BooleanFilter(
        label=_("Out of use"),
        method="by_out_of_use",
        widget=forms.Select(choices=YES_NO),
        api_description="Out of use (停用) after a failed safety check, or not",
    )

    def search(self, queryset: QuerySet[Device], name: str, text: str) -> QuerySet[Device]:
        return device_search(devices=queryset, text=text)

    def by_out_of_use(self, queryset: QuerySet[Device], name: str, value: bool | None):
        if value is None:
            return queryset
        return queryset.filter(out_of_use_since__isnull=not value)

    def shape_form(self, form: forms.Form) -> None:
        # The departments of the chosen hospital, else all of the viewer's by hospital.
        department = cast(forms.ModelChoiceField, form.fields["department"])
        departments = _departments(self.request)
        hospital_id = id_from(form.data.get(form.add_prefix("hospital")))
        if hospital_id is not None:
            show_options(department, departments.filter(hospital_id=hospital_id))
        else:
            show_options(department, departments, group_by="hospital")


class ProcedureFilterSet(ListFilterSet):
    """Emergency procedures (R-5.1): where, for which device, received or not."""

    hospital = RecordFilter(
        label=_("Hospital"),
        field_name="department__hospital",
        queryset=in_scope(Hospital),
        empty_label=_("All hospitals"),
    )
    department = RecordFilter(
        label=_("Department"),
        queryset=_departments,
        empty_label=_("All departments"),
        field_class=DepartmentRecordField,
    )
    # Reached from a device's page; no list of every device in the form.
    device = RecordFilter(label=_("Device"), queryset=in_scope(Device), widget=forms.HiddenInput)
    received = ChoiceFilter(
        label=_("Receipt"),
        choices=[("yes", _("Received")), ("no", _("Not yet received"))],
        empty_label=_("Any"),
        method="by_receipt",
    )

    def by_receipt(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value in ("yes", "no"):
            return queryset.filter(received_at__isnull=value == "no")
        return queryset

    def shape_form(self, form: forms.Form) -> None:
        department = cast(forms.ModelChoiceField, form.fields["department"])
        show_options(department, _departments(self.request), group_by="hospital")
