"""Parts lines of the repair record written from outside the record form (issue 5 §2):
the parts app appends a part used from stock, and takes it off again when it is given back
unused. It passes plain dicts, so ``service`` never imports ``parts``."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.signing import workflow as signing

from ..models import RepairRecord, ServiceRequest
from .services import PART_KEYS, REPAIR_RECORD, clean_parts, record_content


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


def _save_parts(record: RepairRecord, parts: list[dict[str, str]], author: User) -> None:
    before = record_content(record)
    record.parts_replaced = parts
    record._history_user = author  # type: ignore[attr-defined]  # simple_history
    record.save(update_fields=["parts_replaced", "updated_at"])
    signing.withdraw_if_changed(REPAIR_RECORD, record, before)


@transaction.atomic
def repair_record_part_add(
    *, request: ServiceRequest, line: Mapping[str, str], author: User
) -> RepairRecord:
    """Append one parts line (a part used from stock, issue 5 §2) to the unsigned record.

    The parts app calls this with a plain dict: ``service`` never imports ``parts``.
    """
    request, record = _record_for_parts(request)
    try:
        parts = clean_parts([*(record.parts_replaced or []), dict(line)])
    except ValidationError as exc:
        raise ValidationError({"parts_replaced": exc.message_dict["parts_replaced"]}) from exc
    _save_parts(record, parts, author)
    return record


@transaction.atomic
def repair_record_part_remove(
    *, request: ServiceRequest, line: Mapping[str, str], author: User
) -> bool:
    """Drop the first parts line equal to ``line`` (a part given back unused); False when
    the record has no such line (someone edited it by hand): nothing changes then."""
    request, record = _record_for_parts(request)
    wanted = {key: str(line.get(key) or "").strip() for key in PART_KEYS}
    parts = list(record.parts_replaced or [])
    for index, part in enumerate(parts):
        if {key: str(part.get(key) or "").strip() for key in PART_KEYS} == wanted:
            del parts[index]
            _save_parts(record, parts, author)
            return True
    return False
