"""The repair record (客户维修记录表 / 维修记录单, R-3.5, R-3.6, R-5.4): write it, sign it on
screen, freeze it when the customer signs, correct it by amendments, file it.

Signed means frozen (GUIDE 7): once the customer has signed, the record's row never
changes again; a correction is a ``RepairRecordAmendment`` that points at it. Every
signature stores the SHA-256 of the content it vouches for and of its own image.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import User
from core.signatures import (
    SignatureImageError,
    content_hash,
    decode_signature_data_url,
    handed_over_errors,
    signature_error_message,
)

from .messages import timeline_message
from .models import (
    RepairRecord,
    RepairRecordAmendment,
    ServiceEvent,
    ServiceRequest,
    Signature,
    SignatureRole,
)
from .rules import is_request_customer
from .services import (
    MAX_FUTURE,
    TimelineConflict,
    service_request_record_event,
    service_request_set_fault_cause,
)
from .timeline import EventType

logger = logging.getLogger(__name__)

# What a signature vouches for, in this order on the form and the PDF.
CONTENT_FIELDS = (
    "state_before_fault",
    "fault_at",
    "symptoms",
    "checks_done",
    "diagnosis",
    "solution",
    "parts_replaced",
    "labor_hours",
    "fault_cause",
)
TEXT_FIELDS = ("state_before_fault", "symptoms", "checks_done", "diagnosis", "solution")
# Nobody signs a record that does not say what was wrong and what was done.
REQUIRED_TO_SIGN = ("fault_at", "symptoms", "diagnosis", "solution")
PART_KEYS = ("name", "serial_removed", "serial_fitted")
MAX_PARTS = 50


# --- content and hashes -----------------------------------------------------------------
def _json_datetime(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def record_content(record: RepairRecord) -> dict[str, Any]:
    """The record's signed content, JSON-ready: the base of every hash."""
    return {
        "request": record.request.number,
        "state_before_fault": record.state_before_fault,
        "fault_at": _json_datetime(record.fault_at),
        "symptoms": record.symptoms,
        "checks_done": record.checks_done,
        "diagnosis": record.diagnosis,
        "solution": record.solution,
        "parts_replaced": list(record.parts_replaced or []),
        "labor_hours": f"{Decimal(record.labor_hours):.2f}",
        "fault_cause": record.fault_cause,
    }


def effective_content(record: RepairRecord) -> dict[str, Any]:
    """The content as corrected by the amendments, in order."""
    content = record_content(record)
    for amendment in record.amendments.order_by("created_at", "pk"):
        content.update(amendment.changes)
    return content


def amendment_content(amendment: RepairRecordAmendment) -> dict[str, Any]:
    return {
        "record": amendment.record.content_hash,
        "reason": amendment.reason,
        "changes": amendment.changes,
    }


def signature_matches(signature: Signature) -> bool:
    """Does the stored hash still match the content and the image? (An audit check.)"""
    content = (
        amendment_content(signature.amendment)
        if signature.amendment is not None
        else record_content(signature.record)
    )
    with signature.image.open("rb") as handle:
        image = handle.read()
    return content_hash(content, image) == signature.content_hash


# --- cleaning ---------------------------------------------------------------------------
def clean_parts(value: Any) -> list[dict[str, str]]:
    """The parts lines as stored: each a dict of ``PART_KEYS``, named, at most ``MAX_PARTS``."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError({"parts_replaced": _("List the parts replaced.")})
    parts: list[dict[str, str]] = []
    for item in value:
        if not isinstance(item, Mapping):
            raise ValidationError({"parts_replaced": _("List the parts replaced.")})
        part = {key: str(item.get(key) or "").strip()[:100] for key in PART_KEYS}
        if not any(part.values()):
            continue
        if not part["name"]:
            raise ValidationError(
                {"parts_replaced": _("Name every part replaced, not only its serials.")}
            )
        parts.append(part)
    if len(parts) > MAX_PARTS:
        raise ValidationError({"parts_replaced": _("Too many parts for one record.")})
    return parts


def _clean_content(fields: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """Check and normalise content fields as given (a form, the API, an amendment)."""
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown repair record fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in fields.items():
        if name in TEXT_FIELDS:
            clean[name] = str(value or "").strip()
        elif name == "fault_at":
            if isinstance(value, str):
                value = parse_datetime(value) if value else None
            if value is not None and timezone.is_naive(value):
                errors[name] = _("Give the time with its time zone.")
            elif value is not None and value > now + MAX_FUTURE:
                errors[name] = _("The time cannot be in the future.")
            clean[name] = value
        elif name == "labor_hours":
            try:
                clean[name] = Decimal(str(value if value not in (None, "") else 0))
            except InvalidOperation:
                errors[name] = _("Give the labor hours as a number.")
        elif name == "parts_replaced":
            try:
                clean[name] = clean_parts(value)
            except ValidationError as exc:
                errors[name] = exc.message_dict["parts_replaced"][0]
        else:
            clean[name] = value
    if errors:
        raise ValidationError(errors)
    return clean


def _validate_record_fields(record: RepairRecord) -> None:
    """The model's own field checks (choices, labor hours ≥ 0, digits) on the content."""
    excluded = [f.name for f in record._meta.fields if f.name not in CONTENT_FIELDS]
    record.clean_fields(exclude=excluded)


def _lock(record: RepairRecord) -> tuple[ServiceRequest, RepairRecord]:
    # The request first, in the same order as ``service_request_record_event``.
    request = ServiceRequest.objects.select_for_update().get(pk=record.request_id)
    locked = RepairRecord.objects.select_for_update().get(pk=record.pk)
    locked.request = request
    return request, locked


def _delete_files_on_commit(names: list[tuple[Any, str]]) -> None:
    def delete() -> None:
        for storage, name in names:
            storage.delete(name)

    if names:
        transaction.on_commit(delete)


def frozen_error() -> ValidationError:
    return ValidationError(
        _(
            "The customer has signed this record, so it can no longer change. "
            "Write an amendment to correct it."
        ),
        code="frozen",
    )


# --- writes -----------------------------------------------------------------------------
@transaction.atomic
def repair_record_save(
    *, request: ServiceRequest, author: User, now: datetime | None = None, **fields: Any
) -> RepairRecord:
    """Create or update the request's repair record while it is unsigned.

    A change of content after the engineer signed withdraws that signature (it vouched for
    other content): the engineer signs again.
    """
    now = now or timezone.now()
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    record = RepairRecord.objects.filter(request=request).first()
    if record is not None and record.is_frozen:
        raise frozen_error()
    clean = _clean_content(fields, now=now)
    if record is None:
        record = RepairRecord(request=request, author=author)
        before = None
    else:
        record.request = request
        before = record_content(record)
    for name, value in clean.items():
        setattr(record, name, value)
    if not record.symptoms:
        raise ValidationError({"symptoms": _("Describe the symptoms.")})
    record._history_user = author  # type: ignore[attr-defined]  # simple_history
    _validate_record_fields(record)
    record.save()
    if before is not None and record_content(record) != before:
        withdraw_engineer_signature(record)
    return record


def withdraw_engineer_signature(record: RepairRecord) -> None:
    """A content change voids the engineer's signature: it vouched for other content."""
    stale = list(record.signatures.filter(amendment__isnull=True))
    _delete_files_on_commit([(s.image.storage, s.image.name) for s in stale])
    Signature.objects.filter(pk__in=[s.pk for s in stale]).delete()


@transaction.atomic
def repair_record_sign(
    *,
    record: RepairRecord,
    role: str,
    signer_name: str,
    image_data_url: str,
    user: User | None,
    amendment: RepairRecordAmendment | None = None,
    signer_role: str = "",
    now: datetime | None = None,
) -> Signature:
    """Store a signature drawn on screen, engineer or customer, in either order.

    The customer signs on a hospital user's own account, or on the engineer's device handed
    over: then ``signer_role`` (the signer's position) is required, the signer is not the
    vendor's own person, and the signature says it was given on the engineer's device.

    The customer's signature on the record freezes it, sets the request's fault cause from
    it and records the ``customer_signed`` step; when the timeline refuses (the repair is
    not done yet) nothing is stored and ``TimelineConflict`` goes to the caller. The PDF is
    rendered after commit. ``amendment``: sign a correction instead of the record.
    """
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if role not in SignatureRole.values:
        errors["role"] = _("Sign as the engineer or as the customer.")
    signer_name = (signer_name or "").strip()
    if not signer_name:
        errors["signer_name"] = _("Write the signer's name.")
    elif len(signer_name) > 100:
        errors["signer_name"] = _("The name is too long.")
    image = b""
    try:
        image = decode_signature_data_url(image_data_url)
    except SignatureImageError as exc:
        errors["signature"] = signature_error_message(exc.code)
    if errors:
        raise ValidationError(errors)

    request, record = _lock(record)
    if role == SignatureRole.ENGINEER and (user is None or not user.is_vendor_staff):
        raise PermissionDenied(_("Only the vendor's engineer signs as the engineer."))
    handed_over = role == SignatureRole.CUSTOMER and not (
        user is not None and is_request_customer(user, request)
    )
    if handed_over:
        engineer_names = record.signatures.filter(role=SignatureRole.ENGINEER).values_list(
            "signer_name", flat=True
        )
        problems = handed_over_errors(
            signer_name=signer_name,
            signer_role=signer_role,
            vendor_names=[
                *engineer_names,
                user.get_full_name() if user else "",
                user.get_username() if user else "",
            ],
        )
        if problems:
            raise ValidationError(problems)
    if amendment is not None:
        if amendment.record_id != record.pk:
            raise ValidationError(_("This amendment belongs to another record."))
        if amendment.signatures.filter(role=role).exists():
            raise ValidationError(_("This amendment is already signed in this role."))
        content = amendment_content(amendment)
    else:
        existing = record.signatures.filter(amendment__isnull=True, role=role)
        if record.is_frozen and existing.exists():
            raise ValidationError(_("The record is already signed in this role."))
        missing = [
            str(getattr(record._meta.get_field(name), "verbose_name", name))
            for name in REQUIRED_TO_SIGN
            if not getattr(record, name)
        ]
        if missing:
            raise ValidationError(
                _("Complete the record before signing: %(fields)s.")
                % {"fields": ", ".join(missing)},
                code="incomplete",
            )
        content = record_content(record)
        if role == SignatureRole.CUSTOMER:
            # First, so a refusal costs nothing: the timeline decides whether the customer
            # may sign (only after the repair), and a refusal rolls everything back.
            service_request_record_event(
                request=request,
                type=EventType.CUSTOMER_SIGNED,
                occurred_at=now,
                actor=user,
                now=now,
            )
            service_request_set_fault_cause(request=request, cause=record.fault_cause)
            record.frozen_at = now
            record.content_hash = content_hash(content)
            record.save(update_fields=["frozen_at", "content_hash", "updated_at"])
        else:
            # Re-signing an unsigned record replaces the engineer's earlier signature.
            stale = list(existing)
            _delete_files_on_commit([(s.image.storage, s.image.name) for s in stale])
            Signature.objects.filter(pk__in=[s.pk for s in stale]).delete()

    signature = Signature(
        record=record,
        amendment=amendment,
        role=role,
        signer_name=signer_name,
        signer_role=signer_role.strip() if handed_over else "",
        on_vendor_device=handed_over,
        signed_at=now,
        content_hash=content_hash(content, image),
        user=None if handed_over else user,  # handed over: the signer has no account here
    )
    signature.image.save(
        f"signature-{role}-{uuid.uuid4().hex[:12]}.png", ContentFile(image), save=False
    )
    try:
        signature.save()
    except Exception:
        signature.image.storage.delete(signature.image.name)
        raise
    if record.is_frozen:
        _render_pdf_on_commit(record)
    return signature


@transaction.atomic
def repair_record_amend(
    *,
    record: RepairRecord,
    author: User,
    reason: str,
    changes: Mapping[str, Any],
    now: datetime | None = None,
) -> RepairRecordAmendment:
    """Correct a signed record: the record stays as signed, the amendment keeps only the
    fields that really change (against the record as already amended)."""
    now = now or timezone.now()
    request, record = _lock(record)
    if not record.is_frozen:
        raise ValidationError(
            _("The record is not signed yet: correct it directly instead."), code="not_frozen"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the record is corrected.")})
    clean = _clean_content(changes, now=now)
    # Check the corrected values with the model's own rules, on a throwaway copy.
    current = effective_content(record)
    probe = RepairRecord(request=request, author=author)
    for name in CONTENT_FIELDS:
        value = current[name]
        if name == "fault_at":
            value = parse_datetime(value) if value else None
        setattr(probe, name, value)
    for name, value in clean.items():
        setattr(probe, name, value)
    _validate_record_fields(probe)
    corrected = record_content(probe)
    diff = {name: corrected[name] for name in clean if corrected[name] != current[name]}
    if not diff:
        raise ValidationError(
            _("Nothing changed: an amendment corrects at least one field."), code="no_change"
        )
    amendment = RepairRecordAmendment(record=record, author=author, reason=reason, changes=diff)
    amendment.content_hash = content_hash(amendment_content(amendment))
    amendment.save()
    if "fault_cause" in diff:
        # The fault cause decides the charges: the request follows the corrected record.
        service_request_set_fault_cause(request=request, cause=diff["fault_cause"])
    _render_pdf_on_commit(record)
    return amendment


@transaction.atomic
def repair_record_file(
    *, record: RepairRecord, actor: User, now: datetime | None = None
) -> ServiceRequest:
    """The company archived the customer-signed record (备案, R-3.6): the ``filed`` step."""
    now = now or timezone.now()
    request, record = _lock(record)
    if not record.is_frozen:
        code = "filed_before_signature"
        raise TimelineConflict(code, timeline_message(code, EventType.FILED))
    last_signed = (
        ServiceEvent.objects.filter(request=request, type=EventType.CUSTOMER_SIGNED)
        .order_by("-occurred_at", "-pk")
        .values_list("occurred_at", flat=True)
        .first()
    )
    already = ServiceEvent.objects.filter(request=request, type=EventType.FILED)
    if last_signed is not None:
        already = already.filter(occurred_at__gte=last_signed)
    if already.exists():
        code = "already_filed"
        raise TimelineConflict(code, _("The signed record is already filed."))
    return service_request_record_event(
        request=request, type=EventType.FILED, occurred_at=now, actor=actor, now=now
    )


# --- the PDF ----------------------------------------------------------------------------
def _render_pdf_on_commit(record: RepairRecord) -> None:
    record_id = record.pk
    # Rendering takes a fraction of a second: outside the transaction, so the write lock
    # is not held meanwhile. A failure is logged; the PDF view renders a missing PDF.
    transaction.on_commit(lambda: repair_record_render_pdf(record_id=record_id), robust=True)


def repair_record_render_pdf(*, record_id: int) -> RepairRecord:
    """Render the signed record (with its signatures and amendments) and store the PDF."""
    from .record_pdf import repair_record_pdf_bytes

    record = RepairRecord.objects.select_related(
        "request__hospital", "request__department", "request__device__product_model"
    ).get(pk=record_id)
    content = repair_record_pdf_bytes(record)
    old_name = record.pdf.name if record.pdf else ""
    record.pdf.save(f"repair-record-{record.request.number}.pdf", ContentFile(content), save=False)
    # Only the file column: the signed content of a frozen record never changes.
    RepairRecord.objects.filter(pk=record.pk).update(pdf=record.pdf.name)
    if old_name and old_name != record.pdf.name:
        record.pdf.storage.delete(old_name)
    return record
