"""Writing an entry of a device's operation log: one service call, checked whole before
anything is stored (a refused entry leaves neither a row nor a file)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.modeling import validated_save
from core.uploads import (
    DEFAULT_MAX_BYTES,
    CheckedFile,
    DocumentFileError,
    check_document_file,
    document_file_error_message,
    extension,
)

from ..models import (
    Device,
    OperationEvent,
    OperationLogEntry,
    OperationLogKind,
    StartupResult,
    UsageUnit,
)

NOTE_MAX = 2000
# Hours or counts: a ten-year-old device run around the clock has < 100,000 hours; a
# counter (exposures, cycles) may run into the millions. The column holds < 10**9.
USAGE_MAX = Decimal("99999999.9")
PHOTO_TYPES = {".jpg", ".jpeg", ".png"}


def _check_photo(photo: Any, errors: dict[str, str]) -> CheckedFile | None:
    """A JPEG or PNG photo, checked by ``core.uploads`` (extension, first bytes, size)."""
    if not photo:
        return None
    name = getattr(photo, "name", "") or ""
    if extension(name) not in PHOTO_TYPES:
        errors["photo"] = _("Upload a photo in JPEG or PNG format.")
        return None
    try:
        return check_document_file(photo, name=name, max_bytes=DEFAULT_MAX_BYTES)
    except DocumentFileError as exc:
        errors["photo"] = document_file_error_message(exc.code)
        return None


def _usage_value(value: Any, errors: dict[str, str]) -> Decimal | None:
    if value is None or value == "":
        errors["usage_value"] = _("Enter the hours or counts read on the device.")
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors["usage_value"] = _("Enter a number.")
        return None
    if not number.is_finite() or number < 0 or number > USAGE_MAX:
        errors["usage_value"] = _("Enter a number from 0 to %(max)s.") % {"max": USAGE_MAX}
        return None
    if number != number.quantize(Decimal("0.1")):
        errors["usage_value"] = _("At most one decimal place.")
        return None
    return number


def _fields_for(kind: str, data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The columns of ``kind``, checked; the other kinds' columns stay empty."""
    fields: dict[str, Any] = {"result": "", "usage_value": None, "usage_unit": "", "event": ""}
    if kind == OperationLogKind.STARTUP_CHECK:
        if data.get("result") not in StartupResult.values:
            errors["result"] = _("Say whether the device started normally.")
        fields["result"] = data.get("result") or ""
        if fields["result"] == StartupResult.ABNORMAL and not data["note"]:
            errors["note"] = _("Describe what was abnormal.")
    elif kind == OperationLogKind.USAGE:
        fields["usage_value"] = _usage_value(data.get("usage_value"), errors)
        if data.get("usage_unit") not in UsageUnit.values:
            errors["usage_unit"] = _("Choose hours or counts.")
        fields["usage_unit"] = data.get("usage_unit") or ""
    elif kind == OperationLogKind.EVENT:
        if data.get("event") not in OperationEvent.values:
            errors["event"] = _("Choose what happened.")
        fields["event"] = data.get("event") or ""
        if fields["event"] == OperationEvent.OTHER and not data["note"]:
            errors["note"] = _("Describe what happened.")
    else:
        errors["kind"] = _("Choose a start-up check, usage or an event.")
    return fields


@transaction.atomic
def operation_log_record(
    *,
    device: Device,
    recorded_by: User,
    kind: str,
    result: str = "",
    usage_value: Any = None,
    usage_unit: str = "",
    event: str = "",
    note: str = "",
    photo: Any = None,
    now: datetime | None = None,
) -> OperationLogEntry:
    """Record an entry of ``device``'s operation log by one of its hospital's staff (the
    vendor's staff read the log but do not write it: ``PermissionDenied``). Refused on
    ``kind``, ``result``, ``usage_value``, ``usage_unit``, ``event``, ``note`` or ``photo``
    with nothing stored. The entry keeps the device's hospital and department of the day."""
    if not recorded_by.has_perm("assets.add_operationlogentry", device):
        raise PermissionDenied
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if len(note) > NOTE_MAX:
        errors["note"] = _("At most %(n)s characters.") % {"n": NOTE_MAX}
    fields = _fields_for(
        kind,
        {"result": result, "usage_value": usage_value, "usage_unit": usage_unit,
         "event": event, "note": note},
        errors,
    )  # fmt: skip
    checked = _check_photo(photo, errors)
    if errors:
        raise ValidationError(errors)
    entry = OperationLogEntry(
        device=device,
        hospital_id=device.hospital_id,
        department_id=device.department_id,
        kind=kind,
        note=note,
        recorded_by=recorded_by,
        recorded_at=now or timezone.now(),
        **fields,
    )
    if checked is not None:
        entry.photo.save(checked.name, photo, save=False)
    try:
        return validated_save(entry)
    except Exception:
        if entry.photo:  # a refused row leaves no file behind
            entry.photo.storage.delete(entry.photo.name)
        raise
