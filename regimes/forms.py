"""Forms of the regime pages: they parse input and offer the viewer's own choices; every
rule is the services' job, whose errors ``core.forms.add_service_errors`` puts next to
these fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from assets.forms import DepartmentChoiceField, show_options
from core.forms import (
    BootstrapFormMixin,
    DateInput,
    DateTimeInput,
    IdChoiceField,
    model_choice_field,
)
from core.signing.forms import signature_field
from core.uploads import accept_attribute
from customers.models import Contact, Department, Hospital

from .models import RegimeDocument, RegimeKind, RegimeVersion


class RegimeDocumentForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RegimeKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    department = DepartmentChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.none(),
        empty_label=_("Whole hospital"),
        help_text=_("Leave empty for a regime of the whole hospital."),
    )

    def __init__(self, *args, user, hospital: Hospital, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "department").queryset = Department.objects.for_user(user)
        show_options(model_choice_field(self, "department"), hospital.departments.order_by("name"))


class RegimeVersionForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("The document as PDF, Word, Excel or a photo; or write its text below."),
        widget=forms.ClearableFileInput(attrs={"accept": accept_attribute()}),
    )
    text = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput)
    summary = forms.CharField(
        label=_("Summary of changes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What changed since the previous version."),
    )


class VersionChoiceField(IdChoiceField):
    def label_from_instance(self, obj: RegimeVersion) -> str:
        return gettext("Version %(number)s · effective from %(date)s") % {
            "number": obj.number,
            "date": obj.effective_from.isoformat(),
        }


class UserChoiceField(IdChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


class RegimeReceiptForm(BootstrapFormMixin, forms.Form):
    version = VersionChoiceField(label=_("Version"), queryset=RegimeVersion.objects.none())
    recipient_contact = forms.ModelChoiceField(
        label=_("Contact"),
        required=False,
        queryset=Contact.objects.none(),
        help_text=_("Pick the person from the hospital's contacts, or write the name below."),
    )
    recipient_name = forms.CharField(
        label=_("Received by"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    department = DepartmentChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.none(),
        help_text=_("Empty: the contact's department."),
    )
    recipient_user = UserChoiceField(
        label=_("User account"),
        required=False,
        queryset=User.objects.none(),
        help_text=_("If the recipient has an account here."),
    )
    received_at = forms.DateTimeField(label=_("Received at"), widget=DateTimeInput)
    signature = signature_field()

    def __init__(self, *args, user, document: RegimeDocument, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        hospital = document.hospital
        # The fields accept what the viewer sees; the lists offer this document's hospital
        # only, so a wrong pick gets the service's explanation.
        model_choice_field(self, "version").queryset = RegimeVersion.objects.for_user(user)
        show_options(model_choice_field(self, "version"), document.versions.order_by("-number"))
        model_choice_field(self, "department").queryset = Department.objects.for_user(user)
        show_options(model_choice_field(self, "department"), hospital.departments.order_by("name"))
        contacts = Contact.objects.for_user(user)
        model_choice_field(self, "recipient_contact").queryset = contacts
        show_options(
            model_choice_field(self, "recipient_contact"),
            contacts.filter(hospital=hospital).order_by("name"),
        )
        members = User.objects.filter(
            is_active=True, hospital_membership__hospital=hospital
        ).order_by("last_name", "first_name", "username")
        model_choice_field(self, "recipient_user").queryset = members
        show_options(model_choice_field(self, "recipient_user"), members)
