"""Parts lines of the repair record written from outside the record form (issue 5 §2):
the parts app appends a part used from stock, and takes it off again when it is given back
unused. It passes plain dicts, so ``service`` never imports ``parts``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.signing import workflow as signing

from ..models import RepairRecord, ServiceRequest
from .services import REPAIR_RECORD, clean_parts, part_key, record_content, stored_parts


def _record_for_parts(request: ServiceRequest) -> tuple[ServiceRequest, RepairRecord]:
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    record = RepairRecord.objects.select_for_update().filter(request=request).first()
    if record is None:
        raise ValidationError(
            _("Save the repair record first, then add the parts used."), code="no_record"
        )
    signing.refuse_if_frozen(REPAIR_RECORD, record)
    record.request = request
    return request, record


def _save_parts(record: RepairRecord, parts: list[dict[str, Any]], author: User) -> None:
    before = record_content(record)
    record.parts_replaced = parts
    record._history_user = author  # type: ignore[attr-defined]  # simple_history
    record.save(update_fields=["parts_replaced", "updated_at"])
    signing.withdraw_if_changed(REPAIR_RECORD, record, before)


@transaction.atomic
def repair_record_part_add(
    *, request: ServiceRequest, line: Mapping[str, Any], author: User
) -> RepairRecord:
    """Add one parts line (a part used from stock, issue 5 §2) to the unsigned record: a
    part already on it counts up its quantity instead (one line per part, issue 12 §2).

    The parts app calls this with a plain dict: ``service`` never imports ``parts``.
    """
    request, record = _record_for_parts(request)
    try:
        parts = clean_parts([*stored_parts(record), dict(line)])
    except ValidationError as exc:
        raise ValidationError({"parts_replaced": exc.message_dict["parts_replaced"]}) from exc
    _save_parts(record, parts, author)
    return record


@transaction.atomic
def repair_record_part_remove(
    *, request: ServiceRequest, line: Mapping[str, Any], author: User
) -> bool:
    """Take ``line`` (its quantity, default 1) off the record's line of the same part (a
    part given back unused); False when the record has no such line or fewer of it (someone
    edited it by hand): nothing changes then."""
    request, record = _record_for_parts(request)
    try:
        wanted = clean_parts([dict(line)])
    except ValidationError:
        return False
    if not wanted:
        return False
    parts = stored_parts(record)
    for index, part in enumerate(parts):
        if part_key(part) == part_key(wanted[0]):
            if part["quantity"] < wanted[0]["quantity"]:
                return False
            part["quantity"] -= wanted[0]["quantity"]
            if part["quantity"] == 0:
                del parts[index]
            _save_parts(record, parts, author)
            return True
    return False
