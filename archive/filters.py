"""The archive's one filter: kinds and a window of local days, for the page and the API.
The rules are here once (a known kind, a day the business knows, ``to`` not before
``from``); the page's form and the API's query both end in ``archive_query``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assets.models import Device
from contracts.models import Contract
from core.archive import ArchiveQuery
from core.bounds import day_error
from core.forms import BootstrapFormMixin
from customers.models import Department, Hospital

from .sources import kinds as known_kinds

PAGE_SIZE = 50


@dataclass(frozen=True)
class Subject:
    """Whose archive: a hospital's or a contract's (issue 14 §1, "the same archive per
    hospital and per contract"): every device of it the viewer sees, in its hospital's
    zone. A device's own archive needs none (``archive_query(device=…)``)."""

    kind: str  # "hospital" or "contract"
    obj: Any
    time_zone: str
    devices: QuerySet[Device]

    @property
    def hospital_id(self) -> int:
        return self.obj.pk if self.kind == "hospital" else self.obj.hospital_id


def hospital_subject(hospital: Hospital, *, visible_to) -> Subject:
    devices = Device.objects.for_user(visible_to).filter(hospital=hospital)
    return Subject("hospital", hospital, hospital.time_zone, devices)


def contract_subject(contract: Contract, *, visible_to) -> Subject:
    devices = Device.objects.for_user(visible_to).filter(contract_line__contract=contract)
    return Subject("contract", contract, contract.hospital.time_zone, devices)


def archive_query(
    *,
    visible_to,
    device: Device | None = None,
    subject: Subject | None = None,
    kinds: Iterable[str] | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    only_device: int | None = None,
    only_department: int | None = None,
    limit: int = PAGE_SIZE,
) -> ArchiveQuery:
    """The query of ``device``'s archive, or of ``subject``'s devices (those of
    ``only_device`` / ``only_department`` alone if given), for ``visible_to``: ``kinds``
    (none: all), the local days ``first_day`` … ``last_day`` (both included) in the
    hospital's zone. Bad input is a ``ValidationError`` on the query's field names
    (``kind``, ``from``, ``to``, ``device``, ``department``)."""
    if (device is None) == (subject is None):
        raise TypeError("The archive of a device or of a subject.")
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
    device_ids = None
    if subject is not None:
        devices = subject.devices
        if only_device is not None:
            devices = devices.filter(pk=only_device)
            if not devices.exists():
                errors["device"] = [_("This device is not in this archive.")]
        if only_department is not None:
            devices = devices.filter(department_id=only_department)
            if (
                subject.kind != "hospital"
                or not Department.objects.filter(
                    pk=only_department, hospital_id=subject.hospital_id
                ).exists()
            ):
                errors["department"] = [_("This department is not in this archive.")]
        device_ids = frozenset(devices.values_list("pk", flat=True))
    if errors:
        raise ValidationError(errors)
    if device is not None:
        zone = ZoneInfo(device.hospital.time_zone)
    else:
        assert subject is not None  # one of the two, checked above
        zone = ZoneInfo(subject.time_zone)
    return ArchiveQuery(
        visible_to=visible_to,
        device_id=device.pk if device is not None else None,
        device_ids=device_ids,
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

    def __init__(self, *args, subject: Subject | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.MultipleChoiceField)
        kind.choices = [(key, str(label)) for key, label in known_kinds().items()]
        if subject is not None:  # a hospital's or a contract's: which device, which department
            devices = subject.devices.select_related("product_model", "department")
            self.fields["device"] = forms.TypedChoiceField(
                label=gettext_lazy("Device"), required=False, coerce=int, empty_value=None,
                choices=[("", "—"), *((d.pk, f"{d} · {d.department}") for d in devices)],
                widget=forms.Select(attrs={"class": "form-select"}),
            )  # fmt: skip
            if subject.kind == "hospital":
                departments = Department.objects.filter(
                    pk__in=subject.devices.values("department_id")
                ).order_by("name")
                self.fields["department"] = forms.TypedChoiceField(
                    label=gettext_lazy("Department"), required=False, coerce=int,
                    empty_value=None, choices=[("", "—"), *((d.pk, d.name) for d in departments)],
                    widget=forms.Select(attrs={"class": "form-select"}),
                )  # fmt: skip

    def query(
        self, *, visible_to, device: Device | None = None, subject: Subject | None = None
    ) -> ArchiveQuery | None:
        """The query the valid form asks for, its errors on the form otherwise (None)."""
        if not self.is_valid():
            return None
        try:
            return archive_query(
                device=device,
                subject=subject,
                visible_to=visible_to,
                kinds=self.cleaned_data["kind"],
                first_day=self.cleaned_data["from"],
                last_day=self.cleaned_data["to"],
                only_device=self.cleaned_data.get("device"),
                only_department=self.cleaned_data.get("department"),
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
