"""Web forms for the service organisation, hospitals, departments and contacts.

The forms only parse input; the services validate the whole object and save it (a
service ``ValidationError`` is shown on the form with ``core.forms.add_service_errors``).
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import ServiceModelForm, model_choice_field

from .models import (
    Contact,
    Department,
    Hospital,
    ServiceOrganisation,
    ServiceRegion,
    default_region_id,
)


class ServiceOrganisationForm(ServiceModelForm):
    class Meta:
        model = ServiceOrganisation
        fields = ["name", "address", "hotline", "manager_name", "manager_phone", "email"]


class HospitalForm(ServiceModelForm):
    class Meta:
        model = Hospital
        fields = ["name", "code", "address", "phone", "time_zone", "region", "notes"]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "time_zone": forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Left empty: the default region (every hospital has one).
        self.fields["region"].required = False

    def clean_region(self):
        return self.cleaned_data.get("region") or ServiceRegion.objects.get(pk=default_region_id())

    @staticmethod
    def time_zones() -> list[str]:
        return sorted(available_timezones())


class DepartmentForm(ServiceModelForm):
    class Meta:
        model = Department
        fields = ["name", "responsible_contact"]

    def __init__(self, *args, hospital: Hospital, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = model_choice_field(self, "responsible_contact")
        field.queryset = Contact.objects.filter(hospital=hospital)
        field.empty_label = _("— nobody named yet —")


class ContactForm(ServiceModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "department", "phone", "email"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    def __init__(self, *args, hospital: Hospital, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = model_choice_field(self, "department")
        field.queryset = Department.objects.filter(hospital=hospital)
        field.empty_label = _("— whole hospital —")
