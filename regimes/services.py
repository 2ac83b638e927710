"""Writes of the management regime (R-2.3, R-7.5): regime documents, their append-only
versions, and receipts (who received which version when, optionally signed on screen).

Every function validates all of its input before it writes anything: bad input raises one
``ValidationError`` naming the fields, and nothing is saved (GUIDE 8).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.modeling import validated_save
from core.signing import SignatureRole, SignedDocument
from core.signing import workflow as signing
from core.uploads import (
    DEFAULT_MAX_BYTES,
    DocumentFileError,
    check_document_file,
    document_file_error_message,
)
from customers.models import Contact, Department, Hospital

from .models import RegimeDocument, RegimeKind, RegimeReceipt, RegimeVersion
from .selectors import current_version, hospital_today


def max_file_bytes() -> int:
    return int(getattr(settings, "REGIME_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def file_error_message(code: str) -> str:
    return document_file_error_message(code, max_bytes=max_file_bytes())


# --- documents ------------------------------------------------------------------------
@transaction.atomic
def regime_document_create(
    *,
    hospital: Hospital,
    kind: str,
    title: str,
    created_by: User | None,
    department: Department | None = None,
) -> RegimeDocument:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if kind not in RegimeKind.values:
        errors["kind"] = _("Choose the kind of regime.")
    if not title:
        errors["title"] = _("Give the document a title.")
    elif RegimeDocument.objects.filter(hospital=hospital, title=title).exists():
        errors["title"] = _("This hospital already has a regime document with this title.")
    if department is not None and department.hospital_id != hospital.pk:
        errors["department"] = _("This department belongs to another hospital.")
    if errors:
        raise ValidationError(errors)
    return validated_save(
        RegimeDocument(
            hospital=hospital,
            kind=kind,
            title=title,
            department=department,
            created_by=created_by,
        )
    )


# --- versions -------------------------------------------------------------------------
@transaction.atomic
def regime_version_add(
    *,
    document: RegimeDocument,
    effective_from: date | None,
    created_by: User | None,
    file: Any = None,
    text: str = "",
    summary: str = "",
) -> RegimeVersion:
    """Append the next version (1, 2, … without gaps) of ``document``.

    Versions take effect in the order of their numbers: a new version cannot take effect
    before the version it follows (it could never be current, or would silently rewrite
    which version was in force). The same day is allowed: a same-day correction.
    """
    errors: dict[str, str] = {}
    text = (text or "").strip()
    summary = (summary or "").strip()
    checked = None
    if file:
        try:
            checked = check_document_file(
                file, name=getattr(file, "name", "") or "", max_bytes=max_file_bytes()
            )
        except DocumentFileError as exc:
            errors["file"] = file_error_message(exc.code)
    elif not text:
        errors["text"] = _("Upload the document or write its text.")
    if effective_from is None:
        errors["effective_from"] = _("Say from which day this version applies.")
    if errors or effective_from is None:
        raise ValidationError(errors)

    # The document row is the version counter's lock: two uploads at once queue here and
    # get consecutive numbers.
    locked = RegimeDocument.objects.select_for_update().get(pk=document.pk)
    previous = locked.versions.order_by("-number").first()
    if previous is not None and effective_from < previous.effective_from:
        raise ValidationError(
            {
                "effective_from": _(
                    "Version %(number)s takes effect on %(date)s: a newer version cannot "
                    "take effect before it."
                )
                % {"number": previous.number, "date": previous.effective_from.isoformat()}
            },
            code="effective_before_previous",
        )
    version = RegimeVersion(
        document=locked,
        number=previous.number + 1 if previous is not None else 1,
        text=text,
        effective_from=effective_from,
        summary=summary,
        created_by=created_by,
    )
    if checked is not None:
        version.file_sha256 = checked.sha256
        version.file.save(checked.name, file, save=False)
    try:
        validated_save(version)
    except Exception:
        if version.file:
            version.file.storage.delete(version.file.name)
        raise
    return version


# --- receipts -------------------------------------------------------------------------
class RegimeReceiptDocument(SignedDocument[RegimeReceipt]):
    """A receipt in the signing workflow: the recipient may sign it on screen when it is
    recorded; receipts are append-only, so a receipt is frozen from the start."""

    key = "regime_receipt"
    model = RegimeReceipt
    roles = (SignatureRole.HOSPITAL,)

    def content(self, document: RegimeReceipt) -> dict[str, Any]:
        return receipt_content(document)

    def is_frozen(self, document: RegimeReceipt) -> bool:
        return document.pk is not None


REGIME_RECEIPT = RegimeReceiptDocument()


def receipt_content(receipt: RegimeReceipt) -> dict[str, Any]:
    """What a recipient's signature vouches for: this version of this document, received
    by this person on this day."""
    version = receipt.version
    document = version.document
    return {
        "hospital": document.hospital_id,
        "document": document.pk,
        "title": document.title,
        "version": version.number,
        "effective_from": version.effective_from,
        "file_sha256": version.file_sha256,
        "text_sha256": hashlib.sha256(version.text.encode("utf-8")).hexdigest(),
        "recipient_name": receipt.recipient_name,
        "department": receipt.department.name if receipt.department is not None else "",
        "received_at": receipt.received_at,
    }


def receipt_signature_matches(receipt: RegimeReceipt) -> bool:
    return bool(receipt.signature) and signing.hash_matches(
        REGIME_RECEIPT.content(receipt), receipt.signature, receipt.signature_hash
    )


def _recipient_user_error(user: User, hospital: Hospital) -> str:
    membership = getattr(user, "hospital_membership", None)
    if membership is None or membership.hospital_id != hospital.pk:
        return _("This user is not a member of this hospital.")
    return ""


@transaction.atomic
def regime_receipt_record(
    *,
    document: RegimeDocument,
    recorded_by: User | None,
    version: RegimeVersion | None = None,
    recipient_name: str = "",
    department: Department | None = None,
    recipient_contact: Contact | None = None,
    recipient_user: User | None = None,
    received_at: datetime | None = None,
    signature_data_url: str = "",
    now: datetime | None = None,
) -> RegimeReceipt:
    """Record that someone of the hospital received a version of ``document``: the one
    given, else the current one (else the newest, announced ahead of taking effect)."""
    now = now or timezone.now()
    hospital = document.hospital
    errors: dict[str, str] = {}
    if version is None:
        versions = list(document.versions.all())
        version = current_version(versions, hospital_today(hospital)) or (
            versions[-1] if versions else None
        )
        if version is None:
            errors["version"] = _("This document has no version yet: upload one first.")
    elif version.document_id != document.pk:
        if version.document.hospital_id != hospital.pk:
            errors["version"] = _(
                "This version belongs to another hospital's regime: a receipt is recorded "
                "on the document it belongs to."
            )
        else:
            errors["version"] = _("This version belongs to another document.")
    if department is not None and department.hospital_id != hospital.pk:
        errors["department"] = _("This department belongs to another hospital.")
    if recipient_contact is not None and recipient_contact.hospital_id != hospital.pk:
        errors["recipient_contact"] = _("This person belongs to another hospital.")
    if recipient_user is not None:
        problem = _recipient_user_error(recipient_user, hospital)
        if problem:
            errors["recipient_user"] = problem
    recipient_name = (recipient_name or "").strip()
    if not recipient_name and "recipient_contact" not in errors and recipient_contact:
        recipient_name = recipient_contact.name
    if not recipient_name and "recipient_user" not in errors and recipient_user:
        recipient_name = recipient_user.get_full_name() or recipient_user.username
    if not recipient_name:
        errors["recipient_name"] = _("Say who received the document.")
    elif len(recipient_name) > 100:
        errors["recipient_name"] = _("The name is too long.")
    if received_at is None:
        received_at = now
    elif timezone.is_naive(received_at):
        errors["received_at"] = _("Give the time with its time zone.")
    elif received_at > now:
        errors["received_at"] = _("The receipt cannot be in the future.")
    image = signing.signature_image((signature_data_url or "").strip(), errors, required=False)
    if errors:
        raise ValidationError(errors)

    if department is None:
        if recipient_contact is not None and recipient_contact.department_id:
            department = recipient_contact.department
        elif document.department_id:
            department = document.department
    receipt = RegimeReceipt(
        version=version,
        recipient_name=recipient_name,
        recipient_contact=recipient_contact,
        recipient_user=recipient_user,
        department=department,
        received_at=received_at,
        recorded_by=recorded_by,
    )
    if image:
        receipt.signature_hash = signing.signed_hash(REGIME_RECEIPT, receipt, image)
    with signing.image_stored(receipt.signature, image, "signature"):
        validated_save(receipt)
    return receipt
