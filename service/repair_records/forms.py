"""Forms of the repair record pages: the record, its parts, an amendment, the root-cause
report (the signature's is ``core.signing.forms``). They parse input;
``service.repair_records.services`` decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin, DateTimeInput, ServiceModelForm

from ..models import RepairRecord, RootCauseReport
from .services import MAX_PART_QUANTITY, merge_parts

RECORD_FORM_FIELDS = [
    "state_before_fault",
    "fault_at",
    "symptoms",
    "checks_done",
    "diagnosis",
    "solution",
    "labor_hours",
    "fault_cause",
]


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "class": "form-control-lg"})


class RepairRecordForm(ServiceModelForm):
    class Meta:
        model = RepairRecord
        fields = RECORD_FORM_FIELDS
        widgets = {
            "state_before_fault": _text(),
            "fault_at": DateTimeInput(attrs={"class": "form-control-lg"}),
            "symptoms": _text(),
            "checks_done": _text(),
            "diagnosis": _text(),
            "solution": _text(4),
            "labor_hours": forms.NumberInput(
                attrs={
                    "step": "0.25",
                    "min": "0",
                    "inputmode": "decimal",
                    "class": "form-control-lg",
                }
            ),
            "fault_cause": forms.Select(attrs={"class": "form-select-lg"}),
        }
        help_texts = {
            "state_before_fault": _("How the device was working before the fault."),
            "checks_done": _("What was checked, including the device's operation records."),
            "fault_at": _("In the hospital's time zone."),
            "labor_hours": _("In hours, for example 2.5."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["symptoms"].required = True


class PartForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Part"), max_length=100, required=False)
    # Empty means one (issue 12 §2: one line per part, with its quantity).
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_PART_QUANTITY,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "1"}),
    )
    serial_removed = forms.CharField(label=_("Serial removed"), max_length=100, required=False)
    serial_fitted = forms.CharField(label=_("Serial fitted"), max_length=100, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = data.get("serial_removed") or data.get("serial_fitted") or data.get("quantity")
        if given and not data.get("name"):
            self.add_error("name", _("Name the part."))
        return data


PartFormSet = forms.formset_factory(PartForm, extra=1, max_num=50, validate_max=True)


def parts_from(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The filled rows of a valid parts formset, as the record stores them: the same part
    written twice is one line with both quantities (``clean_parts``)."""
    rows = [
        {
            "name": form.cleaned_data.get("name", ""),
            "quantity": form.cleaned_data.get("quantity") or 1,
            "serial_removed": form.cleaned_data.get("serial_removed", ""),
            "serial_fitted": form.cleaned_data.get("serial_fitted", ""),
        }
        for form in formset.forms
        if form.cleaned_data and form.cleaned_data.get("name")
    ]
    return merge_parts(rows)


class AmendmentForm(RepairRecordForm):
    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control-lg"}),
    )

    class Meta(RepairRecordForm.Meta):
        pass

    field_order = ["reason", *RECORD_FORM_FIELDS]


class RootCauseForm(ServiceModelForm):
    class Meta:
        model = RootCauseReport
        fields = ["cause", "measures", "explained_to", "explained_at"]
        widgets = {
            "cause": _text(4),
            "measures": _text(4),
            "explained_at": DateTimeInput(attrs={"class": "form-control-lg"}),
        }
        help_texts = {
            "explained_to": _("The hospital staff the cause and measures were explained to."),
            "explained_at": _("In the hospital's time zone."),
        }
