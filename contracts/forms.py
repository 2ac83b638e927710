"""Web forms for contracts, maintenance agreements and the coverage question.

The choices offered are the user's scope: the devices of the contract's hospital, active
service engineers, vendor service managers. The services validate and save.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import VendorRole
from assets.models import Device, MainComponent
from core.forms import (
    BootstrapFormMixin,
    DateInput,
    DateTimeInput,
    IdChoiceField,
    IdsChoiceField,
    ServiceModelForm,
    model_choice_field,
)
from customers.models import Hospital

from .coverage import Cause
from .models import Contract, ContractDevice, MaintenanceAgreement
from .reasons import CAUSE_LABELS

User = get_user_model()

DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class DeviceChoiceField(IdsChoiceField):
    def label_from_instance(self, obj: Device) -> str:
        return f"{obj.serial_number} · {obj.product_model} · {obj.department}"


class PersonChoiceField(IdChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class PeopleChoiceField(IdsChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


def service_managers():
    return User.objects.filter(is_active=True).filter(
        Q(vendor_role__in=[VendorRole.MANAGER, VendorRole.ADMIN]) | Q(is_superuser=True)
    )


def service_engineers():
    return User.objects.filter(is_active=True, vendor_role=VendorRole.ENGINEER)


def _devices_of(hospital: Hospital, user):
    return (
        Device.objects.for_user(user)
        .filter(hospital=hospital)
        .select_related("product_model", "department")
        .order_by("department__name", "serial_number")
    )


class HospitalChoiceForm(BootstrapFormMixin, forms.Form):
    """First step of a new contract or agreement: whose is it?"""

    hospital = forms.ModelChoiceField(label=_("Hospital"), queryset=Hospital.objects.none())

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "hospital").queryset = Hospital.objects.for_user(user)


class ContractForm(ServiceModelForm):
    service_manager = PersonChoiceField(
        label=_("Service manager"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— not named yet —"),
    )
    dedicated_engineers = PeopleChoiceField(
        label=_("Dedicated engineers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Two named engineers dedicated to this customer's system."),
    )
    devices = DeviceChoiceField(
        label=_("Devices"),
        queryset=Device.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Devices of this hospital; a device is sold under one contract only, so "
            "devices already on another contract are not listed."
        ),
    )

    class Meta:
        model = Contract
        fields = [
            "number",
            "title",
            "signed_on",
            "warranty_months",
            "extended_warranty_months",
            "service_manager",
            "dedicated_engineers",
            "devices",
            "notify_hospital_on_breach",
            "notes",
        ]
        widgets = {
            "signed_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "warranty_months": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "extended_warranty_months": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args, hospital: Hospital, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "service_manager").queryset = service_managers()
        model_choice_field(self, "dedicated_engineers").queryset = service_engineers()
        taken = ContractDevice.objects.all()
        if self.instance.pk is not None:
            taken = taken.exclude(contract=self.instance)
        # Devices already on another contract stay out of the list; a posted one of them,
        # or one of another hospital, is "not one of the available choices".
        model_choice_field(self, "devices").queryset = _devices_of(hospital, user).exclude(
            pk__in=taken.values("device_id")
        )
        if self.instance.pk is not None:
            self.initial["devices"] = [line.device_id for line in self.instance.lines.all()]


class AgreementForm(ServiceModelForm):
    devices = DeviceChoiceField(
        label=_("Devices"),
        queryset=Device.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = MaintenanceAgreement
        fields = [
            "number",
            "signed_on",
            "starts_on",
            "ends_on",
            "devices",
            "covers_parts",
            "covers_labor",
            "covers_travel",
            "fee",
            "currency",
            "notes",
        ]
        widgets = {
            "signed_on": DateInput(),
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "fee": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, hospital: Hospital, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "devices").queryset = _devices_of(hospital, user)
        if self.instance.pk is None:
            # Left empty, the service gives the next MA-<year>-<n> number.
            self.fields["number"].required = False
        else:
            self.initial["devices"] = [d.pk for d in self.instance.devices.all()]


class CoverageQueryForm(BootstrapFormMixin, forms.Form):
    """Ask again: which cover at another moment, for a fault cause, for a component.

    ``at`` is a local date and time in the hospital's zone: validate the form with that
    zone active (``timezone.override``)."""

    at = forms.DateTimeField(
        label=_("Moment"),
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=DateTimeInput(),
        help_text=_("Local time of the hospital; empty means now."),
    )
    cause = forms.ChoiceField(
        label=_("Fault cause"),
        required=False,
        choices=[(cause.value, label) for cause, label in CAUSE_LABELS.items()],
    )
    component = forms.ModelChoiceField(
        label=_("Replaced component"),
        required=False,
        queryset=MainComponent.objects.none(),
        empty_label=_("— the device itself —"),
    )

    def __init__(self, *args, device: Device, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "component").queryset = MainComponent.objects.filter(
            device=device, replaced_on__isnull=False
        ).order_by("-replaced_on", "name")

    def clean_cause(self) -> Cause:
        return Cause(self.cleaned_data["cause"] or Cause.UNDETERMINED)
