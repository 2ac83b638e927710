"""The "use a part" form of the repair record's parts panel (issue 5 §2)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from assets.models import ComponentFate, MainComponent
from core.forms import BootstrapFormMixin
from service.models import ServiceRequest

from ..models import PART_STATES_ON_SHELF, SerialUnit, SparePart, StockLocation
from ..selectors import bag_of, proposed_parts


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class RepairPartUseForm(BootstrapFormMixin, forms.Form):
    part = forms.TypedChoiceField(label=_("Part"), coerce=int)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=999, initial=1)
    location = forms.ModelChoiceField(
        label=_("Taken from"), queryset=StockLocation.objects.none(), required=False
    )
    serial = forms.ChoiceField(label=_("Serial fitted"), required=False)
    removed_component = forms.ModelChoiceField(
        label=_("Component removed"), queryset=MainComponent.objects.none(), required=False
    )
    removed_serial = forms.CharField(
        label=_("or the serial removed"),
        max_length=100,
        required=False,
        help_text=_("When the removed component is not in the list above."),
    )
    removal_fate = forms.ChoiceField(
        label=_("The removed component goes"),
        choices=[("", "—"), *ComponentFate.choices],
        required=False,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, service_request: ServiceRequest, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.service_request = service_request
        proposals = proposed_parts(request=service_request, engineer=user)
        proposed_ids = {p.part.pk for p in proposals}
        proposed = [
            (
                p.part.pk,
                gettext("%(part)s (my bag %(bag)s, elsewhere %(other)s)")
                % {"part": p.part, "bag": p.in_bag, "other": p.elsewhere},
            )
            for p in proposals
        ]
        bag = bag_of(user)
        # Not the whole catalogue (thousands of parts on a phone): what else is in my bag.
        others = [
            (part.pk, str(part))
            for part in SparePart.objects.for_user(user)
            .filter(active=True, levels__location=bag, levels__on_hand__gt=0)
            .exclude(pk__in=proposed_ids)
            .distinct()
            .order_by("part_number")
        ]
        choices: list[Any] = [("", "—")]
        if proposed:
            choices.append((gettext("Fits this device"), proposed))
        if others:
            choices.append((gettext("Other parts in my bag"), others))
        self._choice_field("part").choices = choices
        self.parts = {p.part.pk: p.part for p in proposals}
        self.locations = StockLocation.objects.for_user(user).filter(active=True)
        location_field = self.fields["location"]
        assert isinstance(location_field, forms.ModelChoiceField)
        location_field.queryset = self.locations
        location_field.empty_label = (
            gettext("My bag (%(name)s)") % {"name": bag.name} if bag else "—"
        )
        removed_field = self.fields["removed_component"]
        assert isinstance(removed_field, forms.ModelChoiceField)
        removed_field.queryset = MainComponent.objects.filter(
            device=service_request.device
        ).installed()
        self._choice_field("serial").choices = self._serial_choices(bag)
        # Big controls: the engineer fills this on a phone, on site (≥ 44 px).
        for name in ("quantity", "removed_serial"):
            self.fields[name].widget.attrs["class"] += " form-control-lg"
        for name in ("part", "location", "serial", "removed_component", "removal_fate"):
            self.fields[name].widget.attrs["class"] += " form-select-lg"
        self.fields["quantity"].widget.attrs["inputmode"] = "numeric"
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4().hex

    def _choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def _value(self, name: str) -> Any:
        return self.data.get(name) if self.is_bound else self.initial.get(name)

    def selected_part(self) -> SparePart | None:
        part_id = _int(self._value("part"))
        if part_id is None:
            return None
        return self.parts.get(part_id) or SparePart.objects.filter(pk=part_id).first()

    def _serial_choices(self, bag: StockLocation | None) -> list[tuple[str, str]]:
        part = self.selected_part()
        if part is None or not part.is_main_component:
            return [("", "—")]
        location_id = _int(self._value("location")) or (bag.pk if bag else None)
        units = SerialUnit.objects.filter(
            part=part, location_id=location_id, state__in=PART_STATES_ON_SHELF
        ).order_by("serial_number")
        return [("", "—")] + [
            (unit.serial_number, f"{unit.serial_number} ({unit.get_state_display()})")
            for unit in units
        ]

    def clean_part(self) -> SparePart:
        part_id = self.cleaned_data["part"]
        part = SparePart.objects.filter(pk=part_id, active=True).first()
        if part is None:
            raise forms.ValidationError(gettext("Choose a part."))
        return part
