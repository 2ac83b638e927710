"""Reads about the installed base: finding a device by what someone scanned or typed."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from core import retention
from core.search import contains, matching
from customers.models import Department, Hospital

from .models import Device, DeviceStatus, EmergencyProcedure, MainComponent, ProductModel
from .udi import UdiError, looks_like_udi, parse_udi

# A scanned medservice label holds the device's URL: …/d/<uuid>
_LABEL_URL = re.compile(r"/d/([0-9a-fA-F-]{32,36})/?$")
# …or its code alone, as a reader that keeps only the last part gives it.
_LABEL_CODE = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)
# Words of a free-text search that count (each is one more condition).
MAX_WORDS = 6


@dataclass(frozen=True)
class DeviceMatch:
    devices: QuerySet[Device]
    # ``text`` named devices exactly (a label, a UDI, a serial number or asset tag), not by
    # words found in their names.
    exact: bool


def device_search(
    *,
    devices: QuerySet[Device],
    text: str,
    hospital_id: int | None = None,
    department_id: int | None = None,
) -> QuerySet[Device]:
    """Devices matching ``text``: a scanned label URL, a scanned or typed UDI, an exact
    serial number or asset tag, and failing those every word of ``text`` in a serial, asset
    tag, location, model, hospital or department name ("东海 重症医学科 监护仪": the monitors
    of that ICU). ``hospital_id`` / ``department_id`` narrow the search (the hotline knows
    the caller's hospital). ``devices`` is already scoped to the viewer
    (``Device.objects.for_user``)."""
    return device_match(
        devices=devices, text=text, hospital_id=hospital_id, department_id=department_id
    ).devices


def device_match(
    *,
    devices: QuerySet[Device],
    text: str,
    hospital_id: int | None = None,
    department_id: int | None = None,
    found_at_most: int | None = None,
) -> DeviceMatch:
    """``device_search``, saying whether ``text`` named the devices exactly. With
    ``found_at_most`` (the search box's preview), the words find at most that many devices,
    whichever come first, before they are ordered."""
    if hospital_id is not None:
        devices = devices.filter(hospital_id=hospital_id)
    if department_id is not None:
        devices = devices.filter(department_id=department_id)
    text = (text or "").strip()
    if not text:
        return DeviceMatch(devices, exact=False)
    label = _LABEL_URL.search(text) or _LABEL_CODE.match(text)
    if label:
        try:
            return DeviceMatch(devices.filter(public_id=uuid.UUID(label.group(1))), exact=True)
        except ValueError:
            return DeviceMatch(devices.none(), exact=True)
    if looks_like_udi(text):
        try:
            parsed = parse_udi(text)
        except UdiError:
            return DeviceMatch(devices.none(), exact=True)
        match = Q(udi_di=parsed.device_identifier)
        if parsed.serial:
            match &= Q(udi_serial=parsed.serial) | Q(serial_number=parsed.serial)
        return DeviceMatch(devices.filter(match), exact=True)
    exact = devices.filter(Q(serial_number__iexact=text) | Q(asset_tag__iexact=text))
    if exact.exists():
        return DeviceMatch(exact, exact=True)
    # A word of one character narrows nothing and no index finds it ("0013 8", the digits
    # of a phone with a space): it counts only when it is all that was typed.
    words = [word for word in text.split() if len(word) > 1] or text.split()
    every_word = Q()
    for word in words[:MAX_WORDS]:
        every_word &= _word_match(word)
    return DeviceMatch(matching(devices, every_word, at_most=found_at_most), exact=False)


def _word_match(word: str) -> Q:
    """A device with ``word`` in its serial, asset tag or location, or in the name of its
    model, hospital or department. The names are looked up first in their small tables, so
    on PostgreSQL every condition is one index on the devices (``core.search.contains`` or
    a key) and no join is needed to filter a hundred thousand devices."""

    def ids(queryset: QuerySet) -> list[int]:
        return list(queryset.order_by().values_list("pk", flat=True))

    return (
        contains("serial_number", word)
        | contains("asset_tag", word)
        | contains("location", word)
        | Q(product_model_id__in=ids(ProductModel.objects.filter(name__icontains=word)))
        | Q(hospital_id__in=ids(Hospital.objects.filter(name__icontains=word)))
        | Q(department_id__in=ids(Department.objects.filter(name__icontains=word)))
    )


def emergency_procedures_for(device: Device) -> QuerySet[EmergencyProcedure]:
    """The emergency procedures that apply to ``device`` in its department (R-5.1): its own,
    and those written for its product model."""
    return (
        EmergencyProcedure.objects.filter(department_id=device.department_id)
        .filter(
            Q(device_id=device.pk)
            | Q(device__isnull=True, product_model_id=device.product_model_id)
        )
        .select_related("device", "product_model")
        .order_by("-received_at", "title")
    )


def device_components(device: Device) -> tuple[list[MainComponent], list[MainComponent], list[str]]:
    """Installed and removed components (each removed one knows its replacement), and
    the model's main components not registered yet."""
    components = list(device.components.select_related("replaces").order_by("name", "pk"))
    replacement_of = {c.replaces_id: c for c in components if c.replaces_id}
    for component in components:
        component.replacement = replacement_of.get(component.pk)
    installed = [c for c in components if c.removed_on is None]
    removed = [c for c in components if c.removed_on is not None]
    names = {c.name for c in installed}
    missing = [n for n in device.product_model.main_components if n not in names]
    return installed, removed, missing


HISTORY_HIDDEN = {"created_at", "updated_at", "public_id"}


def device_history(*, device: Device, user, limit: int = 20) -> list[dict]:
    """The latest changes to the device: who changed which field from what to what."""
    records = list(device.history.select_related("history_user").all()[: limit + 1])
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=HISTORY_HIDDEN)
            for change in delta.changes:
                field = Device._meta.get_field(change.field)
                changes.append(
                    {
                        "field": getattr(field, "verbose_name", change.field),
                        "old": _display(user, field, change.old),
                        "new": _display(user, field, change.new),
                    }
                )
        entries.append({"record": record, "changes": changes})
    return entries


def _display(user, field, value) -> str:
    if value in (None, ""):
        return "—"
    if field.is_relation:
        related = field.related_model.objects.for_user(user).filter(pk=value).first()
        return str(related) if related else "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


# --- retention (issue 14 §1) ------------------------------------------------------------
def device_retired_on(device: Device) -> date | None:
    """The end of the device's service life: the day (in its hospital's zone) it was last
    set to retired, from its history; None while it is not retired."""
    if device.status != DeviceStatus.RETIRED:
        return None
    since = device.updated_at
    rows = device.history.order_by("-history_date", "-history_id").values_list(
        "status", "history_date"
    )
    for status, at in rows:
        if status != DeviceStatus.RETIRED:
            break
        since = at
    return since.astimezone(ZoneInfo(device.hospital.time_zone)).date()


def device_records_kept_until(device: Device) -> date | None:
    """The last day the device's records must be kept (``RECORD_RETENTION_YEARS`` after its
    end of service life); None while it is in service. They are never deleted either way."""
    return retention.kept_until(device_retired_on(device))
