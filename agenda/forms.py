"""The calendar's filters and the form that creates a calendar feed."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin, IdChoiceField, choice_field, model_choice_field
from customers.models import Hospital

from . import selectors
from .models import FeedScope

EVERYONE = "all"


class _PersonChoice(IdChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class CalendarFilterForm(BootstrapFormMixin, forms.Form):
    """Engineer (vendor staff only; an engineer sees himself unless he picks someone else)
    and hospital (vendor staff pick one; a hospital user always sees his own)."""

    engineer = forms.ChoiceField(label=_("Engineer"), required=False)
    hospital: forms.ModelChoiceField[Hospital] = forms.ModelChoiceField(
        label=_("Hospital"), queryset=None, required=False, empty_label=_("All hospitals")
    )

    def __init__(self, data: Any, *, user: Any) -> None:
        super().__init__(data)
        self.user = user
        self.fixed_hospital = selectors.own_hospital(user)
        if user.is_vendor_staff:
            people = selectors.engineers()
            choice_field(self, "engineer").choices = [
                (EVERYONE, _("All engineers")),
                *((str(p.pk), str(p)) for p in people),
            ]
            model_choice_field(self, "hospital").queryset = Hospital.objects.order_by("name")
        else:
            del self.fields["engineer"]
            del self.fields["hospital"]

    def _value(self, name: str) -> Any:
        if name not in self.fields:
            return None
        if not self.is_bound:
            return None
        self.is_valid()  # an invalid value leaves its field out of cleaned_data
        return self.cleaned_data.get(name)

    @property
    def engineer_id(self) -> int | None:
        if "engineer" not in self.fields:
            return None
        value = self._value("engineer")
        if value == EVERYONE:
            return None
        if value:
            return int(value)
        # No choice made: an engineer's calendar is his own.
        if self.user.effective_vendor_role == "engineer":
            return self.user.pk
        return None

    @property
    def selected_hospital(self):
        if self.fixed_hospital is not None:
            return self.fixed_hospital
        return self._value("hospital")

    def query(self) -> dict[str, str]:
        """The filters as query parameters, for the navigation links."""
        params = {}
        engineer = self.engineer_id
        if "engineer" in self.fields:
            params["engineer"] = str(engineer) if engineer else EVERYONE
        hospital = self.selected_hospital
        if "hospital" in self.fields and hospital is not None:
            params["hospital"] = str(hospital.pk)
        return params


def new_submission_key() -> str:
    return uuid.uuid4().hex


class CalendarFeedForm(BootstrapFormMixin, forms.Form):
    """Whose calendar to subscribe to, limited to what the user may subscribe to; a fresh
    ``submission_key`` per rendered form makes a double submission create one feed."""

    scope = forms.ChoiceField(
        label=_("Calendar of"),
        choices=FeedScope.choices,
        # static/js/app.js shows only the chooser of the kind picked.
        widget=forms.Select(attrs={"data-shows-fields": "engineer hospital"}),
    )
    engineer = _PersonChoice(label=_("Engineer"), queryset=None, required=False)
    hospital: forms.ModelChoiceField[Hospital] = forms.ModelChoiceField(
        label=_("Hospital"), queryset=None, required=False
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("How your calendar app names the calendar. Leave empty for a default."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, user: Any, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        targets = selectors.feed_targets(user)
        self.targets = targets
        scopes = targets.scopes
        choice_field(self, "scope").choices = [c for c in FeedScope.choices if c[0] in scopes]
        model_choice_field(self, "engineer").queryset = targets.engineers
        model_choice_field(self, "hospital").queryset = targets.hospitals
        if FeedScope.ENGINEER not in scopes:
            del self.fields["engineer"]
        if FeedScope.HOSPITAL not in scopes:
            del self.fields["hospital"]
        if len(scopes) == 1:
            self.fields["scope"].initial = scopes[0]
            self.fields["scope"].widget = forms.HiddenInput()
            only = "engineer" if scopes[0] == FeedScope.ENGINEER else "hospital"
            field = model_choice_field(self, only)
            options = field.queryset  # set above; the stubs allow None
            if options is not None and options.count() == 1:
                field.initial = options.first()
                field.empty_label = None
        if not self.is_bound:
            self.fields["submission_key"].initial = new_submission_key()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (the stubs allow None)
        scope = data.get("scope")
        if scope == FeedScope.ENGINEER and not data.get("engineer"):
            self.add_error("engineer", _("Choose the engineer."))
        if scope == FeedScope.HOSPITAL and not data.get("hospital"):
            self.add_error("hospital", _("Choose the hospital."))
        return data
