"""Forms of the maintenance pages (issue 4 §1, §5). They parse input and offer the viewer's
own choices; every rule (required items, limits, signatures, which visits may be completed
or signed) is the services' job, whose errors land next to these fields."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import VendorRole
from assets.models import Device
from core.forms import (
    BootstrapFormMixin,
    DateInput,
    IdChoiceField,
    IdsChoiceField,
    SaneInputMixin,
    choice_field,
    model_choice_field,
)
from core.signatures import signature_error_message
from core.signing.forms import SignatureForm, signature_field
from customers.models import Hospital

from .models import ChecklistItemType

User = get_user_model()

# The states a visit is shown in (selectors.visit_display_state), in words and colours.
STATE_LABELS = {
    "planned": _("planned"),
    "due": _("due"),
    "overdue": _("overdue"),
    "done": _("done"),
    "awaiting_signature": _("awaiting signature"),
    "cancelled": _("cancelled"),
}
STATE_BADGES = {
    "planned": "text-bg-light border",
    "due": "text-bg-primary",
    "overdue": "text-bg-danger",
    "done": "text-bg-success",
    "awaiting_signature": "text-bg-warning",
    "cancelled": "text-bg-secondary",
}
# What the list can filter on (selectors.visits_for accepts these).
STATE_FILTERS = [
    ("", _("Any state")),
    ("planned", _("Planned")),
    ("overdue", _("Overdue")),
    ("awaiting_signature", _("Awaiting signature")),
    ("done", _("Done")),
    ("cancelled", _("Cancelled")),
]
# Items whose failure can raise a service request on the spot.
FAILABLE_TYPES = {ChecklistItemType.PASS_FAIL.value, ChecklistItemType.NUMBER.value}
SIGN_NOW, SIGN_LATER = "now", "later"
CHECKLIST_FORM_ID = "checklist-form"


def engineers_queryset():
    return User.objects.filter(is_active=True, vendor_role=VendorRole.ENGINEER).order_by(
        "last_name", "first_name", "username"
    )


class EngineerChoiceField(IdChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class EngineersChoiceField(IdsChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


# --- filters ----------------------------------------------------------------------------
class TripFilterForm(BootstrapFormMixin, forms.Form):
    due_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    due_to = forms.DateField(label=_("Until"), required=False, widget=DateInput)
    engineer = EngineerChoiceField(
        label=_("Engineer"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("All engineers"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "engineer").queryset = engineers_queryset()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (the stubs allow None)
        start, end = data.get("due_from"), data.get("due_to")
        if start and end and end < start:
            self.add_error("due_to", _("The end is before the start."))
        return data


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A calendar month (``YYYY-MM``), as the first day of the month."""

    widget = MonthInput
    input_formats = ["%Y-%m"]


class CompletionPeriodForm(BootstrapFormMixin, forms.Form):
    """A month (the default: this month), or a from/to period when both are given."""

    month = MonthField(label=_("Month"), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput)
    end = forms.DateField(label=_("Until"), required=False, widget=DateInput)
    hospital = forms.ModelChoiceField(
        label=_("Hospital"),
        required=False,
        queryset=Hospital.objects.none(),
        empty_label=_("All hospitals"),
    )

    def __init__(self, *args, user, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        model_choice_field(self, "hospital").queryset = Hospital.objects.for_user(user)
        if not user.is_vendor_staff:
            del self.fields["hospital"]  # their own hospital only, whatever they ask

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (the stubs allow None)
        start, end = data.get("start"), data.get("end")
        if bool(start) != bool(end):
            self.add_error("end" if start else "start", _("Give both ends of the period."))
        elif start and end and end < start:
            self.add_error("end", _("The end is before the start."))
        return data

    def period(self) -> tuple[date, date]:
        """The period asked for (both ends included); this month when nothing valid is."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("start") and data.get("end"):
            return data["start"], data["end"]
        first = data.get("month") or self.today.replace(day=1)
        last = calendar.monthrange(first.year, first.month)[1]
        return first, first.replace(day=last)

    def chosen_hospital(self) -> Hospital | None:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("hospital")


# --- the checklist ----------------------------------------------------------------------
def _item_field(item: dict[str, Any]) -> forms.Field | None:
    kind = item["type"]
    if kind == ChecklistItemType.PASS_FAIL:
        return forms.ChoiceField(
            label=item["label"],
            choices=[("pass", _("Pass")), ("fail", _("Fail"))],
            widget=forms.RadioSelect,
            required=False,
        )
    if kind == ChecklistItemType.NUMBER:
        attrs = {"inputmode": "decimal", "step": "any", "class": "form-control-lg"}
        for bound in ("min", "max"):
            if item.get(bound) is not None:
                attrs[f"data-{bound}"] = str(item[bound])
        # Text, not a number: the service reads the reading (a comma too) and says what is wrong.
        return forms.CharField(
            label=item["label"], required=False, max_length=40, widget=forms.NumberInput(attrs)
        )
    if kind == ChecklistItemType.TEXT:
        return forms.CharField(
            label=item["label"],
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
    return None  # a photo item: its photos are uploaded one by one, in place


class ChecklistForm(BootstrapFormMixin, forms.Form):
    """One field per checklist item (``item_<key>``, a note ``note_<key>`` beside it), the
    items to raise a service request for, and who signs: the hospital now on this phone,
    or later on its own account. Build it with ``checklist_form(checklist, ...)``. Its
    inputs sit outside the <form> element (``form=`` attribute) so that each photo item can
    have its own upload form in place."""

    checklist: list[dict[str, Any]] = []

    raise_requests_for = forms.MultipleChoiceField(
        label=_("Raise a service request"), required=False, choices=()
    )
    sign_mode = forms.ChoiceField(
        label=_("Hospital signature"),
        choices=[(SIGN_NOW, _("Hospital signs now")), (SIGN_LATER, _("Hospital signs later"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether the hospital signs now or later.")},
    )
    signer_name = forms.CharField(
        label=_("Name of the signer"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control-lg", "autocomplete": "off"}),
    )
    # signature_pad's toDataURL(): checked again (and decoded) by the service.
    signature = signature_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "raise_requests_for").choices = [
            (item["key"], item["label"])
            for item in self.checklist
            if item["type"] in FAILABLE_TYPES
        ]
        for name, field in self.fields.items():
            field.widget.attrs["form"] = CHECKLIST_FORM_ID
            if name.startswith("item_") and isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs["class"] = "btn-check"  # big pass/fail buttons

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (the stubs allow None)
        if data.get("sign_mode") == SIGN_NOW:
            # Both empty would mean "later" to the service: say what is missing instead.
            if not (data.get("signer_name") or "").strip():
                self.add_error(
                    "signer_name", _("Give the name of the person signing for the hospital.")
                )
            if not data.get("signature"):
                self.add_error("signature", signature_error_message("blank"))
        return data

    def rows(self) -> list[dict[str, Any]]:
        """The items in order, each with its bound fields, for the template."""
        raised = set(self["raise_requests_for"].value() or [])
        rows = []
        for item in self.checklist:
            key = item["key"]
            name = f"item_{key}"
            rows.append(
                {
                    "item": item,
                    "key": key,
                    "field": self[name] if name in self.fields else None,
                    "note": self[f"note_{key}"],
                    "failable": item["type"] in FAILABLE_TYPES,
                    "raise_checked": key in raised,
                    "errors": self.errors.get(name, []) + self.errors.get(f"note_{key}", []),
                }
            )
        return rows

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        results: dict[str, dict[str, Any]] = {}
        for item in self.checklist:
            key = item["key"]
            results[key] = {
                "value": data.get(f"item_{key}") or None,
                "note": data.get(f"note_{key}") or "",
            }
        signs_now = data.get("sign_mode") == SIGN_NOW
        return {
            "results": results,
            "raise_requests_for": list(data.get("raise_requests_for") or []),
            "signer_name": data.get("signer_name", "") if signs_now else "",
            "signature_data_url": data.get("signature", "") if signs_now else "",
        }

    def add_service_errors(self, exc: ValidationError) -> None:
        """The service names items by their key: each error goes next to its item."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, errors in exc.error_dict.items():
            target: str | None = None
            for name in (f"item_{key}", key, f"note_{key}"):
                if name in self.fields and name != NON_FIELD_ERRORS:
                    target = name
                    break
            for error in errors:
                self.add_error(target, error)


def checklist_form(checklist: list[dict[str, Any]], *args, **kwargs) -> ChecklistForm:
    """The checklist form of these items: a form class made for them, so that every field is
    declared (and styled by ``BootstrapFormMixin``) like any other."""
    fields: dict[str, Any] = {"checklist": checklist}
    for item in checklist:
        field = _item_field(item)
        if field is not None:
            fields[f"item_{item['key']}"] = field
        fields[f"note_{item['key']}"] = forms.CharField(
            label=_("Note"),
            required=False,
            max_length=1000,
            widget=forms.TextInput(attrs={"autocomplete": "off"}),
        )
    form_class = type("VisitChecklistForm", (ChecklistForm,), fields)
    return form_class(*args, **kwargs)


# --- signing, photos, special inspections ---------------------------------------------
class VisitSignForm(SignatureForm):
    """The hospital's confirmation signature of a completed visit (R-2.4)."""


class PhotoForm(SaneInputMixin, forms.Form):
    item_key = forms.CharField(max_length=100)
    # Checked by the service (Pillow: JPEG, PNG or WebP, at most 10 MB).
    photo = forms.FileField(
        label=_("Photo"), error_messages={"required": _("Take or choose a photo.")}
    )


class SpecialVisitForm(BootstrapFormMixin, forms.Form):
    """An ad-hoc special inspection (R-4.1: when something abnormal shows)."""

    device = forms.ModelChoiceField(
        queryset=Device.objects.none(), required=False, widget=forms.HiddenInput
    )
    device_code = forms.CharField(
        label=_("Device (serial number or asset tag)"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What abnormal sign calls for the inspection."),
        error_messages={"required": _("Give the reason for the special inspection.")},
    )
    due_on = forms.DateField(
        label=_("Due on"),
        required=False,
        widget=DateInput,
        help_text=_("Today when left empty."),
    )
    engineers = EngineersChoiceField(
        label=_("Engineers"),
        required=False,
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The contract's dedicated engineers when none is chosen."),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.devices = Device.objects.for_user(user).select_related(
            "product_model", "hospital", "department"
        )
        model_choice_field(self, "device").queryset = self.devices
        model_choice_field(self, "engineers").queryset = engineers_queryset()
        self.fields["device"].error_messages["invalid_choice"] = _("Choose one of your devices.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (the stubs allow None)
        if data.get("device") or "device" in self.errors:
            return data
        code = (data.get("device_code") or "").strip()
        if not code:
            self.add_error("device_code", _("Give the device's serial number or asset tag."))
            return data
        found = list(self.devices.filter(Q(serial_number=code) | Q(asset_tag=code))[:2])
        if not found:
            self.add_error("device_code", _("No device of yours has this serial or asset tag."))
        elif len(found) > 1:
            self.add_error(
                "device_code",
                _("Several devices match: open the device's page and start from there."),
            )
        else:
            data["device"] = found[0]
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "device": data["device"],
            "reason": data["reason"],
            "due_on": data.get("due_on"),
            "engineers": list(data.get("engineers") or []),
        }
