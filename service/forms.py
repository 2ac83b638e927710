"""Forms of the service-request pages. They parse input and offer the viewer's own choices;
every rule (report time, timeline order, pause reasons) is the services' job, whose errors
``core.forms.add_service_errors`` puts next to these fields."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import VendorRole
from assets.models import Device
from core.forms import (
    BootstrapFormMixin,
    DateTimeInput,
    IdsChoiceField,
    SaneInputMixin,
    choice_field,
    model_choice_field,
)

from .messages import event_label
from .models import FaultCause, Severity
from .timeline import MANUAL_STEPS, EventType, PauseReason, Status

User = get_user_model()

# --- words for the codes of the pure modules ------------------------------------------
STATUS_LABELS: dict[str, str | Promise] = {
    Status.NEW: _("new"),
    Status.DISPATCHED: _("dispatched"),
    Status.ON_SITE: _("on site"),
    Status.PAUSED: _("paused"),
    Status.RESOLVED: _("resolved"),
    Status.SIGNED: _("signed by the customer"),
    Status.FILED: _("filed"),
    Status.CLOSED: _("closed"),
}
PAUSE_REASON_LABELS = {
    PauseReason.WAITING_FOR_CUSTOMER: _("Waiting for the customer"),
    PauseReason.SITE_NOT_ACCESSIBLE: _("Site not accessible"),
    PauseReason.CUSTOMER_REQUESTED_DELAY: _("Delay asked by the customer"),
    PauseReason.OTHER: _("Other (explain in the note)"),
}
MILESTONE_STATE_LABELS = {
    "pending": _("pending"),
    "met": _("met"),
    "breached": _("breached"),
    "not_applicable": _("not applicable"),
}
STATE_FILTERS = [
    ("open", _("Open")),
    ("at_risk", _("At risk")),
    ("breached", _("Breached")),
]


def engineers_queryset():
    return User.objects.filter(is_active=True, vendor_role=VendorRole.ENGINEER).order_by(
        "last_name", "first_name", "username"
    )


class DateTimeSecondsInput(DateTimeInput):
    """A ``datetime-local`` input to the second: a step logged right after the report is
    never rounded down to before it."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"step": "1", **(attrs or {})})
        self.format = "%Y-%m-%dT%H:%M:%S"


class EngineerChoiceField(IdsChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


# --- intake -----------------------------------------------------------------------------
class DeviceSearchForm(SaneInputMixin, forms.Form):
    q = forms.CharField(label=_("Find the device"), required=False, max_length=300)


class IntakeForm(BootstrapFormMixin, forms.Form):
    device = forms.ModelChoiceField(
        label=_("Device"),
        queryset=Device.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Find the device and pick it."),
            "invalid_choice": _("Pick one of the devices found."),
        },
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=Severity.choices,
        initial=Severity.NORMAL,
        widget=forms.RadioSelect,
    )
    reporter_name = forms.CharField(label=_("Caller"), max_length=100, required=False)
    reporter_phone = forms.CharField(
        label=_("Caller's phone"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    description = forms.CharField(
        label=_("Symptom"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the caller sees: alarms, messages, what still works."),
    )
    reported_at = forms.DateTimeField(
        label=_("Reported at"),
        required=False,
        widget=DateTimeSecondsInput(),
    )

    def __init__(self, *args, user, time_zone: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "device").queryset = Device.objects.for_user(user).select_related(
            "hospital", "department", "product_model"
        )
        self.fields["reported_at"].help_text = _(
            "When the call came in, time zone %(zone)s. Change it only for a call logged "
            "afterwards; it cannot be in the future."
        ) % {"zone": time_zone}


# --- the timeline -----------------------------------------------------------------------
def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def late_reason_field() -> forms.CharField:
    """Why a step is recorded only now: every form that records a timeline step has it (the
    service asks for it when the step is dated more than 15 minutes back)."""
    return forms.CharField(
        label=_("Why recorded only now"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Only for a step that happened more than 15 minutes ago. It meets its promise "
            "once a service manager confirms it."
        ),
    )


class EventForm(BootstrapFormMixin, forms.Form):
    """One step of the timeline. ``idempotency_key`` is fresh for every rendered form, so a
    double tap or a resent form records the step once."""

    type = forms.ChoiceField(label=_("Step"), choices=())
    occurred_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=DateTimeSecondsInput(),
    )
    reason = forms.ChoiceField(
        label=_("Pause reason"),
        required=False,
        choices=[("", "—"), *PAUSE_REASON_LABELS.items()],
        help_text=_("Only for a pause. Waiting for our own parts does not stop the clock."),
        widget=forms.Select(attrs={"data-show-for": EventType.PAUSED}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    engineers = EngineerChoiceField(
        label=_("Engineers"),
        required=False,
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"data-show-for": EventType.DISPATCHED}),
        help_text=_("Only for a dispatch: who goes."),
    )
    parts = forms.CharField(
        label=_("Parts to carry"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "data-show-for": EventType.DISPATCHED}),
        help_text=_("Only for a dispatch: one part per line."),
    )
    late_reason = late_reason_field()
    # Required: the form always carries a fresh one, and a resent form must find it.
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, time_zone: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "type").choices = [
            ("", _("— choose the step —")),
            *((t.value, event_label(t.value).capitalize()) for t in EventType if t in MANUAL_STEPS),
        ]
        model_choice_field(self, "engineers").queryset = engineers_queryset()
        if time_zone:
            self.fields["occurred_at"].help_text = _(
                "Local time of the hospital (%(zone)s); empty means now."
            ) % {"zone": time_zone}
        if not self.is_bound and "idempotency_key" not in self.initial:
            self.initial["idempotency_key"] = new_idempotency_key()

    def service_arguments(self) -> dict:
        """The keyword arguments of ``service_request_record_event`` (besides the request
        and the actor). Engineers and parts belong to a dispatch only: another step sent
        with the engineer boxes still ticked must not reassign anyone."""
        data = self.cleaned_data
        kind = data["type"]
        arguments: dict = {
            "type": kind,
            "occurred_at": data.get("occurred_at"),
            "data": {"note": data.get("note", "")},
            "engineers": None,
            "idempotency_key": data.get("idempotency_key") or None,
            "late_reason": data.get("late_reason", ""),
        }
        if kind == EventType.PAUSED:
            arguments["data"]["reason"] = data.get("reason") or None
        if kind == EventType.DISPATCHED:
            parts = data.get("parts", "").splitlines()
            arguments["data"]["parts"] = [line.strip() for line in parts if line.strip()]
            arguments["engineers"] = list(data.get("engineers") or []) or None
        return arguments


class FaultCauseForm(BootstrapFormMixin, forms.Form):
    fault_cause = forms.ChoiceField(label=_("Fault cause"), choices=FaultCause.choices)
