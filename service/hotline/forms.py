"""Forms of the hotline desk. They parse input and offer the viewer's own choices; the
rules are ``service.hotline.services``'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assets.models import Device
from core.forms import BootstrapFormMixin, SaneInputMixin, model_choice_field
from customers.models import Contact, Department, Hospital

from ..forms import DateTimeSecondsInput
from ..models import CallKind, Severity

# What the desk's buttons ask for, besides logging the call.
ACTIONS = ("save", "open_request", "open_request_anyway", "add_to_request", "solved", "close")


class CallForm(BootstrapFormMixin, forms.Form):
    phone = forms.CharField(
        label=_("Caller's phone"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    caller_name = forms.CharField(label=_("Caller"), max_length=100, required=False)
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(), required=False, widget=forms.HiddenInput
    )
    hospital = forms.ModelChoiceField(
        label=_("Hospital"), queryset=Hospital.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    device = forms.ModelChoiceField(
        queryset=Device.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Pick one of the devices found.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of call"),
        choices=CallKind.choices,
        initial=CallKind.FAULT,
        widget=forms.RadioSelect,
    )
    said = forms.CharField(
        label=_("What was said"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In the caller's words: alarms, messages, what still works."),
    )
    guidance = forms.CharField(
        label=_("Remote guidance given"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    severity = forms.ChoiceField(
        label=_("Severity, if a request is opened"),
        choices=Severity.choices,
        initial=Severity.NORMAL,
        widget=forms.RadioSelect,
    )
    started_at = forms.DateTimeField(
        label=_("Call started"), required=False, widget=DateTimeSecondsInput()
    )
    action = forms.ChoiceField(
        choices=[(a, a) for a in ACTIONS], initial="save", widget=forms.HiddenInput
    )
    open_request = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, user, hospital_id: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "contact").queryset = Contact.objects.for_user(user)
        model_choice_field(self, "hospital").queryset = Hospital.objects.for_user(user)
        departments = Department.objects.for_user(user)
        model_choice_field(self, "department").queryset = (
            departments.filter(hospital_id=hospital_id) if hospital_id else departments.none()
        )
        if self.is_bound:
            # A bound form checks the department against every one the viewer sees (the
            # service checks it belongs to the hospital).
            model_choice_field(self, "department").queryset = departments
        model_choice_field(self, "device").queryset = Device.objects.for_user(user).select_related(
            "hospital", "department", "product_model"
        )
        self.fields["hospital"].empty_label = _("— unknown —")  # type: ignore[attr-defined]
        self.fields["department"].empty_label = _("— unknown —")  # type: ignore[attr-defined]


class CallActionForm(BootstrapFormMixin, forms.Form):
    """The call page's buttons on an open call."""

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS if a != "save"])
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=Severity.choices,
        initial=Severity.NORMAL,
        widget=forms.RadioSelect,
        required=False,
    )
    guidance = forms.CharField(
        label=_("Remote guidance given"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    open_request = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class DeskSearchForm(SaneInputMixin, forms.Form):
    """The desk's device search and phone lookup (htmx GETs)."""

    q = forms.CharField(required=False, max_length=300)
    phone = forms.CharField(required=False, max_length=60)
