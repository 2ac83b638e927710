"""The archive's one filter: kinds and a window of local days, for the page and the API.
The rules are here once (a known kind, a day the business knows, ``to`` not before
``from``); the page's form and the API's query both end in ``archive_query``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assets.models import Device
from core.archive import ArchiveQuery
from core.bounds import day_error
from core.forms import BootstrapFormMixin

from .sources import kinds as known_kinds

PAGE_SIZE = 50


def archive_query(
    *,
    device: Device,
    visible_to,
    kinds: Iterable[str] | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    limit: int = PAGE_SIZE,
) -> ArchiveQuery:
    """The query of ``device``'s archive for ``visible_to``: ``kinds`` (none: all), the
    local days ``first_day`` … ``last_day`` (both included) in the hospital's zone. Bad
    input is a ``ValidationError`` on the query's field names (``kind``, ``from``, ``to``)."""
    errors: dict[str, list[str]] = {}
    wanted = frozenset(kinds or ())
    unknown = sorted(wanted - set(known_kinds()))
    if unknown:
        errors["kind"] = [_("Unknown kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)}]
    for name, day in (("from", first_day), ("to", last_day)):
        if day is not None and (problem := day_error(day)):
            errors[name] = [problem]
    if first_day and last_day and last_day < first_day and "to" not in errors:
        errors["to"] = [_("The last day is before the first.")]
    if errors:
        raise ValidationError(errors)
    zone = ZoneInfo(device.hospital.time_zone)
    return ArchiveQuery(
        visible_to=visible_to,
        device_id=device.pk,
        kinds=wanted or None,
        start=datetime.combine(first_day, time.min, tzinfo=zone) if first_day else None,
        end=(
            datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
            if last_day
            else None
        ),
        limit=limit,
    )


class ArchiveFilterForm(BootstrapFormMixin, forms.Form):
    """The page's form; its fields are the API's query parameters (``from`` and ``to``
    are added below: ``from`` is a Python keyword)."""

    kind = forms.MultipleChoiceField(
        label=gettext_lazy("Kind"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.MultipleChoiceField)
        kind.choices = [(key, str(label)) for key, label in known_kinds().items()]

    def query(self, *, device: Device, visible_to) -> ArchiveQuery | None:
        """The query the valid form asks for, its errors on the form otherwise (None)."""
        if not self.is_valid():
            return None
        try:
            return archive_query(
                device=device,
                visible_to=visible_to,
                kinds=self.cleaned_data["kind"],
                first_day=self.cleaned_data["from"],
                last_day=self.cleaned_data["to"],
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
            return None


for _name, _label in (("from", gettext_lazy("From")), ("to", gettext_lazy("To"))):
    ArchiveFilterForm.base_fields[_name] = forms.DateField(
        label=_label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
