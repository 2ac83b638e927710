"""Forms of the duty roster. Times are typed in the region's zone (shown on the form)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.forms import BootstrapFormMixin, DateTimeInput
from customers.models import ServiceRegion

from .models import Shift, ShiftRole


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
