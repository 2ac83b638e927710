"""The repair record (客户维修记录表 / 维修记录单, R-3.5, R-3.6, R-5.4): write it, sign it on
screen, freeze it when the customer signs, correct it by amendments, file it.

Signed means frozen (GUIDE 7): once the customer has signed, the record's row never
changes again; a correction is a ``RepairRecordAmendment`` that points at it. Every
signature stores the SHA-256 of the content it vouches for and of its own image.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.signing import SignatureRole, SignedDocument
from core.signing import workflow as signing
from core.signing.pages import model_label

from ..messages import timeline_message
from ..models import (
    RepairRecord,
    RepairRecordAmendment,
    ServiceEvent,
    ServiceRequest,
    Signature,
)
from ..rules import is_request_customer
from ..services import (
    MAX_FUTURE,
    TimelineConflict,
    service_request_record_event,
    service_request_set_fault_cause,
)
from ..timeline import EventType

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
MAX_PART_QUANTITY = 9999
# “<name> × 2”: how a quantity was written into the name before lines had their own.
QUANTITY_IN_NAME = re.compile(r"\s*×\s*([1-9]\d{0,3})\s*$")


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


# --- cleaning ---------------------------------------------------------------------------
def part_key(part: Mapping[str, Any]) -> tuple[str, str, str]:
    """Lines that are the same part: the same name (spaces and case aside) and serials."""
    name = " ".join(str(part.get("name") or "").split()).casefold()
    return (name, str(part.get("serial_removed") or ""), str(part.get("serial_fitted") or ""))


def merge_parts(parts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per part (issue 12 §2): lines of the same part (``part_key``) add up their
    quantities on the first one, in the order the parts were first written."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for part in parts:
        key = part_key(part)
        if key in merged:
            merged[key]["quantity"] += part["quantity"]
        else:
            merged[key] = dict(part)
    return list(merged.values())


def _part_quantity(raw: Any, name: str) -> tuple[int, str]:
    """The line's quantity and its name: a line without one counts the “× N” at the end of
    its name (as stock lines were written before), else 1."""
    if raw in (None, ""):
        match = QUANTITY_IN_NAME.search(name)
        if match and match.start() > 0:
            return int(match.group(1)), name[: match.start()]
        return 1, name
    try:
        quantity = int(str(raw).strip())
    except ValueError:
        quantity = 0
    if not 1 <= quantity <= MAX_PART_QUANTITY:
        raise ValidationError(
            {
                "parts_replaced": _(
                    "Give each part's quantity as a whole number from 1 to %(max)s."
                )
                % {"max": MAX_PART_QUANTITY}
            }
        )
    return quantity, name


def clean_parts(value: Any) -> list[dict[str, Any]]:
    """The parts lines as stored: each a dict of ``PART_KEYS`` and its ``quantity``, named,
    one line per part (``merge_parts``), at most ``MAX_PARTS``."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError({"parts_replaced": _("List the parts replaced.")})
    parts: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, Mapping):
            raise ValidationError({"parts_replaced": _("List the parts replaced.")})
        text = {key: str(item.get(key) or "").strip()[:100] for key in PART_KEYS}
        if not any(text.values()):
            continue
        if not text["name"]:
            raise ValidationError(
                {"parts_replaced": _("Name every part replaced, not only its serials.")}
            )
        quantity, name = _part_quantity(item.get("quantity"), text["name"])
        parts.append(
            {
                "name": name,
                "quantity": quantity,
                "serial_removed": text["serial_removed"],
                "serial_fitted": text["serial_fitted"],
            }
        )
    parts = merge_parts(parts)
    if len(parts) > MAX_PARTS:
        raise ValidationError({"parts_replaced": _("Too many parts for one record.")})
    if any(part["quantity"] > MAX_PART_QUANTITY for part in parts):
        raise ValidationError(
            {
                "parts_replaced": _(
                    "Give each part's quantity as a whole number from 1 to %(max)s."
                )
                % {"max": MAX_PART_QUANTITY}
            }
        )
    return parts


def stored_parts(record: RepairRecord) -> list[dict[str, Any]]:
    """The record's parts lines as ``clean_parts`` writes them now (one line per part, with
    its quantity), however they were stored."""
    try:
        return clean_parts(record.parts_replaced or [])
    except ValidationError:  # stored by an older rule: shown as it is
        return [dict(part, quantity=part.get("quantity") or 1) for part in record.parts_replaced]


def part_line_text(part: Mapping[str, Any]) -> str:
    """“<name> × N” (N above one): a parts line in a sentence."""
    quantity = int(part.get("quantity") or 1)
    return f"{part.get('name', '')} × {quantity}" if quantity > 1 else str(part.get("name", ""))


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


# --- the kind of document -------------------------------------------------------------------
class RepairRecordDocument(SignedDocument[RepairRecord]):
    """The repair record in the signing workflow: the engineer signs first, then the
    customer (``ordered``: the customer signs what the engineer vouched for, issue 12 §2);
    the customer's signature freezes it (after the repair, by the timeline); a correction
    is an amendment (its signatures take no order); the PDF is archived with the record."""

    key = "repair_record"
    model = RepairRecord
    roles = (SignatureRole.ENGINEER, SignatureRole.HOSPITAL)
    freezing_roles = (SignatureRole.HOSPITAL,)
    ordered = True
    role_labels = {
        SignatureRole.ENGINEER: gettext_lazy("Engineer"),
        SignatureRole.HOSPITAL: gettext_lazy("Customer"),
    }
    pdf_field = "pdf"
    amendment_key = "record"
    frozen_message = gettext_lazy(
        "The customer has signed this record, so it can no longer change. "
        "Write an amendment to correct it."
    )
    already_signed_message = gettext_lazy("The record is already signed in this role.")
    incomplete_message = gettext_lazy("Complete the record before signing: %(fields)s.")
    role_message = gettext_lazy("Sign as the engineer or as the customer.")
    not_frozen_message = gettext_lazy("The record is not signed yet: correct it directly instead.")
    amend_reason_message = gettext_lazy("Say why the record is corrected.")

    def content(self, document: RepairRecord) -> dict[str, Any]:
        return record_content(document)

    def missing(self, document: RepairRecord) -> list[str]:
        return [
            model_label(RepairRecord, name)
            for name in REQUIRED_TO_SIGN
            if not getattr(document, name)
        ]

    def frozen_error(self, document: RepairRecord) -> Exception:
        # A non-field error: the top of the record's form.
        return ValidationError(str(self.frozen_message), code="frozen")

    def load(self, pk: Any) -> RepairRecord:
        return RepairRecord.objects.select_related(
            "request__hospital", "request__department", "request__device__product_model"
        ).get(pk=pk)

    def signatures(self, document: RepairRecord) -> models.QuerySet[Signature]:
        return document.signatures.filter(amendment__isnull=True)

    def vendor_signer_names(self, document: RepairRecord) -> list[str]:
        # An engineer who signed only an amendment is the vendor's person too.
        rows = document.signatures.filter(role=SignatureRole.ENGINEER)
        return list(rows.values_list("signer_name", flat=True))

    def on_freeze(self, document: RepairRecord, *, now: datetime, actor: Any) -> Iterable[str]:
        # The timeline decides whether the customer may sign (only after the repair); a
        # refusal rolls everything back before any file is stored.
        request = document.request
        service_request_record_event(
            request=request, type=EventType.CUSTOMER_SIGNED, occurred_at=now, actor=actor, now=now
        )
        service_request_set_fault_cause(request=request, cause=document.fault_cause)
        return ()

    def amendments(self, document: RepairRecord) -> models.QuerySet[RepairRecordAmendment]:
        return document.amendments.all()

    def corrected_content(
        self,
        document: RepairRecord,
        current: dict[str, Any],
        changes: Mapping[str, Any],
        *,
        now: datetime,
    ) -> dict[str, Any]:
        clean = _clean_content(changes, now=now)
        # The corrected values checked by the model's own rules, on a throwaway copy.
        probe = RepairRecord(request=document.request, author=document.author)
        for name in CONTENT_FIELDS:
            value = current[name]
            if name == "fault_at":
                value = parse_datetime(value) if value else None
            setattr(probe, name, value)
        for name, value in clean.items():
            setattr(probe, name, value)
        _validate_record_fields(probe)
        return record_content(probe)

    def new_amendment(
        self, document: RepairRecord, *, author: Any, reason: str, changes: dict[str, Any]
    ) -> RepairRecordAmendment:
        return RepairRecordAmendment(record=document, author=author, reason=reason, changes=changes)

    def pdf_bytes(self, document: RepairRecord) -> bytes:
        from .pdf import repair_record_pdf_bytes

        return repair_record_pdf_bytes(document)

    def pdf_name(self, document: RepairRecord) -> str:
        return f"repair-record-{document.request.number}.pdf"


REPAIR_RECORD = RepairRecordDocument()


def effective_content(record: RepairRecord) -> dict[str, Any]:
    """The content as corrected by the amendments, in order."""
    return signing.effective_content(REPAIR_RECORD, record)


def signature_matches(signature: Signature) -> bool:
    """Does the stored hash still match the content and the image? (An audit check.)"""
    return signing.signature_matches(REPAIR_RECORD, signature)


def frozen_error() -> ValidationError:
    return ValidationError(str(REPAIR_RECORD.frozen_message), code="frozen")


def repair_record_initial(*, request: ServiceRequest) -> dict[str, Any]:
    """What a new record starts from (issue 12 §2): the fault's time is when it was
    reported, the symptoms are the reported symptom; the engineer may change both before
    saving. The device and the arrivals on site are the request's and its timeline's, shown
    with the record (``pdf.repair_record_context``), not copied into it."""
    return {"fault_at": request.reported_at, "symptoms": request.description}


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
    if record is not None:
        signing.refuse_if_frozen(REPAIR_RECORD, record)
    clean = _clean_content(fields, now=now)
    if record is None:
        record = RepairRecord(request=request, author=author)
        before = None
    else:
        record.request = request
        before = record_content(record)
    if before is not None and clean.get("parts_replaced") == stored_parts(record):
        # The same parts, only written the older way: not a change of content.
        del clean["parts_replaced"]
    for name, value in clean.items():
        setattr(record, name, value)
    if not record.symptoms:
        raise ValidationError({"symptoms": _("Describe the symptoms.")})
    record._history_user = author  # type: ignore[attr-defined]  # simple_history
    _validate_record_fields(record)
    record.save()
    if before is not None:
        signing.withdraw_if_changed(REPAIR_RECORD, record, before)
    return record


@transaction.atomic
def repair_record_sign(
    *,
    record: RepairRecord,
    role: str,
    signer_name: str,
    signature_data_url: str,
    user: User | None,
    amendment: RepairRecordAmendment | None = None,
    signer_role: str = "",
    now: datetime | None = None,
) -> Signature:
    """Store a signature drawn on screen: the engineer first, then the customer (a
    customer's signature before the engineer's is refused on ``role``).

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
    if problem := signing.role_error(REPAIR_RECORD, role):
        errors["role"] = problem
    signer_name = signing.clean_signer_name(signer_name, errors)
    image = signing.signature_image(signature_data_url, errors)
    if errors:
        raise ValidationError(errors)

    request, record = _lock(record)
    handed_over = signing.signer_side(
        REPAIR_RECORD,
        record,
        role=role,
        user=user,
        vendor_staff=user is not None and user.is_vendor_staff,
        own_hospital=user is not None and is_request_customer(user, request),
        signer_name=signer_name,
        signer_role=signer_role,
    )
    if amendment is not None and amendment.record_id != record.pk:
        raise ValidationError(_("This amendment belongs to another record."))
    signature = Signature(
        record=record,
        amendment=amendment,
        role=role,
        signer_name=signer_name,
        signer_role=signer_role.strip() if handed_over else "",
        on_vendor_device=handed_over,
        user=None if handed_over else user,  # handed over: the signer has no account here
    )
    return signing.add_signature(
        REPAIR_RECORD, record, signature, image, now=now, actor=user, amendment=amendment
    )


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
    request, record = _lock(record)
    amendment = signing.amend(
        REPAIR_RECORD,
        record,
        author=author,
        reason=reason,
        changes=changes,
        now=now or timezone.now(),
    )
    if "fault_cause" in amendment.changes:
        # The fault cause decides the charges: the request follows the corrected record.
        service_request_set_fault_cause(request=request, cause=amendment.changes["fault_cause"])
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
def repair_record_render_pdf(*, record_id: int) -> RepairRecord:
    """Render the signed record (with its signatures and amendments) and store the PDF."""
    return signing.archive_pdf(REPAIR_RECORD, REPAIR_RECORD.load(record_id))
