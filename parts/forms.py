"""Forms of the parts pages: they parse input; the services validate and write."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import (
    BootstrapFormMixin,
    SaneInputMixin,
    ServiceModelForm,
    choice_field,
    model_choice_field,
)
from service.forms import new_idempotency_key
from service.models import ServiceRequest

from .models import MAX_MOVEMENT_QUANTITY, LocationKind, MovementKind, SparePart, StockLocation
from .rules import OFFICE_KINDS, STORE_KINDS


class PartForm(ServiceModelForm):
    class Meta:
        model = SparePart
        fields = [
            "part_number",
            "name_zh",
            "name_en",
            "product_models",
            "symptom_keywords",
            "is_main_component",
            "unit",
            "cost_price",
            "list_price",
            "currency",
            "active",
        ]
        widgets = {"product_models": forms.CheckboxSelectMultiple}


class MovementForm(BootstrapFormMixin, forms.Form):
    """Any movement; the kind says which fields count (the service checks them)."""

    kind = forms.ChoiceField(label=_("What happens"), choices=MovementKind.choices)
    part = forms.ModelChoiceField(label=_("Part"), queryset=SparePart.objects.none())
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_MOVEMENT_QUANTITY, required=False
    )
    counted = forms.IntegerField(
        label=_("Counted"),
        min_value=0,
        required=False,
        help_text=_("Count correction: the units found on the shelf."),
    )
    location = forms.ModelChoiceField(
        label=pgettext_lazy("stock", "Location"),
        queryset=StockLocation.objects.none(),
        required=False,
        help_text=_("Every kind but a transfer."),
    )
    from_location = forms.ModelChoiceField(
        label=pgettext_lazy("stock", "From"), queryset=StockLocation.objects.none(), required=False
    )
    to_location = forms.ModelChoiceField(
        label=pgettext_lazy("stock", "To"), queryset=StockLocation.objects.none(), required=False
    )
    request = forms.ModelChoiceField(
        label=_("Service request"),
        queryset=ServiceRequest.objects.none(),
        required=False,
        help_text=_("Reserve, release, issue and return."),
    )
    serial = forms.CharField(label=_("Serial number"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", new_idempotency_key())
        super().__init__(*args, **kwargs)
        model_choice_field(self, "part").queryset = SparePart.objects.for_user(user).filter(
            active=True
        )
        locations = StockLocation.objects.for_user(user).filter(active=True)
        requests = ServiceRequest.objects.for_user(user).order_by("-reported_at")
        if not user.has_perm("parts.adjust_stock"):
            # An engineer moves their own bag (parts.rules): offer only what they may do.
            choice_field(self, "kind").choices = [
                (value, label) for value, label in MovementKind.choices if value not in OFFICE_KINDS
            ]
            own_bag = Q(kind=LocationKind.ENGINEER_BAG, engineer=user)
            locations = locations.filter(own_bag | Q(kind__in=STORE_KINDS))
            requests = requests.filter(engineers=user)
        for name in ("location", "from_location", "to_location"):
            model_choice_field(self, name).queryset = locations
        model_choice_field(self, "request").queryset = requests.select_related(None)


class BagIssueForm(SaneInputMixin, forms.Form):
    part = forms.IntegerField()
    request = forms.IntegerField()
    quantity = forms.IntegerField(min_value=1, max_value=MAX_MOVEMENT_QUANTITY)
    serial = forms.CharField(max_length=100, required=False)
    idempotency_key = forms.CharField(max_length=64)


class RequestReserveForm(SaneInputMixin, forms.Form):
    """The request page's "reserve" button: one unit, at the chosen location or the default
    (the engineer's bag, else the store with most)."""

    part = forms.IntegerField()
    location = forms.IntegerField(required=False)
    idempotency_key = forms.CharField(max_length=64)


class RequestUnreserveForm(SaneInputMixin, forms.Form):
    """The request page's "unreserve" button: give back one reserved line."""

    part = forms.IntegerField()
    location = forms.IntegerField()
    quantity = forms.IntegerField(min_value=1, max_value=MAX_MOVEMENT_QUANTITY)
    serial = forms.CharField(max_length=100, required=False)
    idempotency_key = forms.CharField(max_length=64)
