"""Forms of the duty roster. Times are typed in the region's zone (shown on the form)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.forms import BootstrapFormMixin, DateInput, DateTimeInput
from customers.models import ServiceRegion

from .models import Rotation, RotationPeriod, Shift, ShiftRole
from .rotation_templates import SlotInput
from .services import ROLE_OF_SHIFT


def in_zone(value: datetime | None, zone: str) -> datetime | None:
    """A wall-clock time typed in a form (parsed in the viewer's zone) as that wall-clock
    time in ``zone``."""
    if value is None:
        return None
    naive = timezone.make_naive(value) if timezone.is_aware(value) else value
    return naive.replace(tzinfo=ZoneInfo(zone))


def vendor_people():
    return User.objects.filter(is_active=True).exclude(vendor_role="").order_by("username")


class ShiftForm(BootstrapFormMixin, forms.Form):
    region = forms.ModelChoiceField(ServiceRegion.objects.all(), label=_("Service region"))
    role = forms.ChoiceField(choices=ShiftRole.choices, label=_("Role on duty"))
    user = forms.ModelChoiceField(vendor_people(), label=_("Person on duty"))
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DateTimeInput())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, shift: Shift | None = None, **kwargs) -> None:
        if shift is not None:
            zone = ZoneInfo(shift.region.time_zone)
            kwargs.setdefault(
                "initial",
                {
                    "region": shift.region_id,
                    "role": shift.role,
                    "user": shift.user_id,
                    "starts_at": shift.starts_at.astimezone(zone).replace(tzinfo=None),
                    "ends_at": shift.ends_at.astimezone(zone).replace(tzinfo=None),
                    "note": shift.note,
                },
            )
        super().__init__(*args, **kwargs)
        user_field: forms.ModelChoiceField = self.fields["user"]  # type: ignore[assignment]
        user_field.queryset = vendor_people()
        if shift is not None:
            # A shift keeps its region and role; its person and times change.
            for name in ("region", "role"):
                self.fields[name].disabled = True

    def clean(self):
        data = super().clean() or {}
        region = data.get("region")
        if region is not None:
            for name in ("starts_at", "ends_at"):
                data[name] = in_zone(data.get(name), region.time_zone)
        return data


class SwapForm(BootstrapFormMixin, forms.Form):
    to_user = forms.ModelChoiceField(User.objects.none(), label=_("Colleague"))
    other_shift = forms.ModelChoiceField(
        Shift.objects.none(),
        label=_("Their shift in exchange"),
        required=False,
        empty_label=_("— nothing: hand my shift over —"),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, shift: Shift, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        colleagues = (
            User.objects.filter(is_active=True, vendor_role=shift.user.vendor_role)
            .exclude(pk=shift.user_id)
            .order_by("username")
        )
        to_user: forms.ModelChoiceField = self.fields["to_user"]  # type: ignore[assignment]
        other: forms.ModelChoiceField = self.fields["other_shift"]  # type: ignore[assignment]
        to_user.queryset = colleagues
        other.queryset = (
            Shift.objects.filter(
                user__in=colleagues,
                role=shift.role,
                ends_at__gt=timezone.now(),
                starts_at__lt=timezone.now() + timedelta(days=62),
            )
            .select_related("user", "region")
            .order_by("starts_at")
        )
        zone = ZoneInfo(shift.region.time_zone)
        other.label_from_instance = lambda s: (  # type: ignore[method-assign,assignment]
            f"{s.user} · {s.starts_at.astimezone(zone):%m-%d %H:%M} - "
            f"{s.ends_at.astimezone(zone):%m-%d %H:%M} · {s.region}"
        )


# --- rotation templates (the manager's page) ----------------------------------------------
WEEKDAYS = [
    ("", _("Every day")),
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]


class RotationForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    region = forms.ModelChoiceField(ServiceRegion.objects.all(), label=_("Service region"))
    starts_on = forms.DateField(
        label=_("First day"),
        widget=DateInput(),
        help_text=_("The turns are counted from this day."),
    )
    period = forms.TypedChoiceField(
        label=_("Turn"), choices=RotationPeriod.choices, coerce=int, initial=RotationPeriod.WEEKLY
    )
    active = forms.BooleanField(label=_("Generates shifts every day"), required=False)

    def __init__(self, *args, rotation: Rotation | None = None, **kwargs) -> None:
        if rotation is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": rotation.name,
                    "region": rotation.region_id,
                    "starts_on": rotation.starts_on,
                    "period": rotation.period,
                    "active": rotation.active,
                },
            )
        super().__init__(*args, **kwargs)
        region: forms.ModelChoiceField = self.fields["region"]  # type: ignore[assignment]
        region.queryset = ServiceRegion.objects.all()


class SlotForm(BootstrapFormMixin, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    role = forms.ChoiceField(label=_("Role on duty"), choices=ShiftRole.choices)
    weekday = forms.TypedChoiceField(
        label=_("Day"), choices=WEEKDAYS, coerce=int, empty_value=None, required=False
    )
    start_time = forms.TimeField(
        label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    hours = forms.DecimalField(
        label=_("Hours"), min_value=Decimal("0.25"), max_value=Decimal(168), decimal_places=2
    )
    offset = forms.IntegerField(
        label=_("Offset"),
        min_value=0,
        max_value=50,
        initial=0,
        help_text=_("Moves the order so that two slots of one turn get different people."),
    )

    def slot(self) -> SlotInput:
        data = self.cleaned_data
        return SlotInput(
            id=data.get("id"),
            role=data["role"],
            weekday=data.get("weekday"),
            start_time=data["start_time"],
            duration=timedelta(hours=float(data["hours"])),
            offset=data.get("offset") or 0,
        )


class MemberForm(BootstrapFormMixin, forms.Form):
    # Empty: the row says nobody (the same as removing it).
    user = forms.ModelChoiceField(User.objects.none(), label=_("Person"), required=False)

    def __init__(self, *args, role: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        user: forms.ModelChoiceField = self.fields["user"]  # type: ignore[assignment]
        user.queryset = vendor_people().filter(
            vendor_role__in=[str(r) for r in ROLE_OF_SHIFT[ShiftRole(role)]]
        )


class RowsFormSet(forms.BaseFormSet):
    """A formset whose "remove" box looks like the page's other check boxes."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


SlotFormSet = forms.formset_factory(
    SlotForm, formset=RowsFormSet, extra=1, can_delete=True, max_num=14, absolute_max=14
)
MemberFormSet = forms.formset_factory(
    MemberForm, formset=RowsFormSet, extra=2, can_delete=True, max_num=50, absolute_max=50
)


def slot_initial(rotation: Rotation) -> list[dict]:
    return [
        {
            "id": slot.pk,
            "role": slot.role,
            "weekday": slot.weekday,
            "start_time": slot.start_time,
            "hours": Decimal(slot.duration.total_seconds()) / 3600,
            "offset": slot.offset,
        }
        for slot in rotation.slots.all()
    ]


def member_initial(rotation: Rotation, role: str) -> list[dict]:
    return [{"user": m.user_id} for m in rotation.members.filter(role=role).order_by("position")]
