"""Forms of the return-visit pages: the list's filters and the sheet (its header, the
participants, one row per device, the findings). They parse input;
``return_visits.sheet`` decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import (
    BootstrapFormMixin,
    DateInput,
    SaneInputMixin,
    choice_field,
)

from .models import DeviceState, FindingKind

STATE_LABELS = {
    "planned": _("Planned"),
    "overdue": _("Overdue"),
    "awaiting_signature": _("Awaiting signatures"),
    "done": _("Done"),
    "cancelled": _("Cancelled"),
}
STATE_BADGES = {
    "planned": "text-bg-primary",
    "overdue": "text-bg-danger",
    "awaiting_signature": "text-bg-warning",
    "done": "text-bg-success",
    "cancelled": "text-bg-secondary",
}
SATISFACTION_CHOICES = [
    (5, _("5 · Very satisfied")),
    (4, _("4 · Satisfied")),
    (3, _("3 · Neutral")),
    (2, _("2 · Dissatisfied")),
    (1, _("1 · Very dissatisfied")),
]


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "class": "form-control-lg"})


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m")


class SheetForm(BootstrapFormMixin, forms.Form):
    visited_on = forms.DateField(
        label=_("Visited on"),
        required=False,
        widget=DateInput(attrs={"class": "form-control-lg"}),
        help_text=_("Empty: today."),
    )
    training_given = forms.CharField(
        label=_("Training given"),
        required=False,
        max_length=5000,
        widget=_text(),
        help_text=_("What the department's staff were shown or taught on this visit."),
    )
    satisfaction = forms.TypedChoiceField(
        label=_("The department's satisfaction"),
        coerce=int,
        choices=SATISFACTION_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Give the department's satisfaction from 1 to 5.")},
    )
    comments = forms.CharField(
        label=_("The department's comments"), required=False, max_length=5000, widget=_text(2)
    )


class ParticipantForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("person", "Name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control-lg", "autocomplete": "name"}),
    )
    role = forms.CharField(
        label=_("Role"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control-lg"}),
    )


class DeviceCheckForm(SaneInputMixin, forms.Form):
    """One device of the department: rendered by hand as large toggle buttons."""

    device = forms.IntegerField(widget=forms.HiddenInput)
    state = forms.ChoiceField(
        label=_("State"),
        choices=DeviceState.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose normal, needs attention or out of service.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class FindingForm(BootstrapFormMixin, forms.Form):
    device = forms.TypedChoiceField(label=_("Device"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=FindingKind.choices, initial=FindingKind.FAULT
    )
    description = forms.CharField(
        label=_("What was found"), required=False, max_length=5000, widget=_text(2)
    )
    raise_request = forms.BooleanField(
        label=_("Raise a service request"),
        required=False,
        help_text=_("Opens a service request found on a visit, linked to this line."),
    )

    def __init__(self, *args: Any, device_choices: list[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "device").choices = [("", _("Choose the device")), *device_choices]


ParticipantFormSet = forms.formset_factory(ParticipantForm, extra=2, max_num=30, validate_max=True)
DeviceCheckFormSet = forms.formset_factory(DeviceCheckForm, extra=0)
FindingFormSet = forms.formset_factory(FindingForm, extra=2, max_num=100, validate_max=True)


def rows_of(formset: forms.BaseFormSet, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every row of a valid formset, empty ones included: the service skips them and its
    errors name the row by the same index."""
    return [{name: form.cleaned_data.get(name) for name in fields} for form in formset.forms]


class CancelForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why is it cancelled?"), max_length=1000, widget=_text(2))
