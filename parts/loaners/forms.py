"""Forms of the loaner pages: they parse input; parts.loaners.services validates and writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import (
    BootstrapFormMixin,
    DateTimeInput,
    IdChoiceField,
    SaneInputMixin,
    ServiceModelForm,
    model_choice_field,
)
from service.forms import late_reason_field
from service.models import ServiceRequest

from ..models import LoanerUnit, StockLocation
from .services import requests_for_install


class RequestChoiceField(IdChoiceField):
    def label_from_instance(self, obj: ServiceRequest) -> str:
        return f"{obj.number} · {obj.hospital.name} · {obj.device.product_model}"


class LoanerForm(ServiceModelForm):
    class Meta:
        model = LoanerUnit
        fields = ["product_model", "serial_number", "asset_tag", "location", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "location").queryset = StockLocation.objects.filter(active=True)
        self.fields["location"].required = True


class LoanInstallForm(BootstrapFormMixin, forms.Form):
    request = RequestChoiceField(label=_("Service request"), queryset=ServiceRequest.objects.none())
    installed_at = forms.DateTimeField(
        label=_("Installed at"),
        required=False,
        widget=DateTimeInput,
        help_text=_("Leave empty for now."),
    )
    late_reason = late_reason_field()
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "request").queryset = requests_for_install(user)


class LoanReturnForm(SaneInputMixin, forms.Form):
    location = forms.ModelChoiceField(
        queryset=StockLocation.objects.filter(active=True), required=False
    )


class LoanerNoteForm(BootstrapFormMixin, forms.Form):
    """Send to repair / retire: an optional note kept with the unit."""

    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class LoanerBackInServiceForm(LoanerNoteForm):
    location = forms.ModelChoiceField(
        label=_("Back to"), queryset=StockLocation.objects.filter(active=True)
    )
