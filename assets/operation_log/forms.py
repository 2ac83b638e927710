"""The phone form of an operation-log entry: one kind at a time (the kind is picked by a
tap on the page before), its choices as large buttons. Rules are the service's."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin

from ..models import OperationEvent, OperationLogKind, StartupResult, UsageUnit
from .services import NOTE_MAX

# The fields each kind asks for, in the order they are shown.
KIND_FIELDS = {
    OperationLogKind.STARTUP_CHECK: ("result", "note", "photo"),
    OperationLogKind.USAGE: ("usage_value", "usage_unit", "note"),
    OperationLogKind.EVENT: ("event", "note", "photo"),
}


class OperationLogForm(BootstrapFormMixin, forms.Form):
    result = forms.ChoiceField(
        label=_("Start-up check"),
        choices=StartupResult.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the device started normally.")},
    )
    usage_value = forms.DecimalField(
        label=_("Hours or counts read on the device"),
        min_value=0,
        max_digits=10,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    usage_unit = forms.ChoiceField(
        label=_("Unit"),
        choices=UsageUnit.choices,
        initial=UsageUnit.HOURS,
        widget=forms.RadioSelect,
    )
    event = forms.ChoiceField(
        label=_("What happened"),
        choices=OperationEvent.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happened.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png", "capture": "environment"}
        ),
    )

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        wanted = KIND_FIELDS[OperationLogKind(kind)]
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        if kind == OperationLogKind.STARTUP_CHECK:
            self.fields["note"].help_text = _("Required when abnormal: what you saw.")
