"""The workflow of a document that people sign (GUIDE 7, 15), for every kind of document.

A kind of document declares itself once, as a ``SignedDocument`` subclass
(``core.signing.kinds``): which roles sign it, whose signatures freeze it (and whether they
sign in a fixed order), what its signed content is (the canonical JSON that is hashed), what
must be written before anyone signs, how a change after the freeze is refused, and how its
PDF is rendered. The functions here do the rest the same way for every kind: the content
hash, the withdrawal of the signatures given before a content change, the refusal of a
change once frozen, the freeze after the last signature it needs, amendments of a frozen
document, and the archived PDF.

Domain-free: the kinds live in their apps
(``service.repair_records.services.REPAIR_RECORD``, …); nothing here imports an app.
The caller holds the document's row lock (``select_for_update``) inside its
transaction for every write below.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from core import outbox
from core.models import OutboxEvent
from core.signatures import (
    SignatureImageError,
    content_hash,
    decode_signature_data_url,
    handed_over_errors,
    signature_error_message,
)
from core.signing.kinds import D, SignatureRole, SignedDocument, kind_named

# The longest signer's name a signature row stores.
MAX_SIGNER_NAME = 100


# --- hashes -------------------------------------------------------------------------------
def signed_hash(kind: SignedDocument[D], document: D, image: bytes = b"") -> str:
    """The hash of the document's content (and of a signature image)."""
    return content_hash(kind.content(document), image)


def hash_matches(content: Mapping[str, Any], image: FieldFile | None, stored: str) -> bool:
    """Does ``stored`` still match the content and the image file? (An audit check.)"""
    if not stored:
        return False
    raw = b""
    if image:
        with image.open("rb") as handle:
            raw = handle.read()
    return content_hash(content, raw) == stored


# --- refusals -------------------------------------------------------------------------------
def refuse_if_frozen(kind: SignedDocument[D], document: D) -> None:
    """The one check before any change of a document: the services call it, and the
    views, the API and the admin reach it through them (the admin also through
    ``core.signing.admin``)."""
    if kind.is_frozen(document):
        raise kind.frozen_error(document)


def refuse_if_incomplete(kind: SignedDocument[D], document: D) -> None:
    missing = kind.missing(document)
    if missing:
        raise ValidationError(
            str(kind.incomplete_message) % {"fields": ", ".join(missing)}, code="incomplete"
        )


def role_error(kind: SignedDocument[D], role: str) -> str:
    """Why ``role`` cannot sign this kind at all ("" when it can)."""
    return "" if role in kind.roles else str(kind.role_message)


def refuse_out_of_order(kind: SignedDocument[D], signed: set[str], role: str) -> None:
    """With ``ordered``, a role signs only after every role before it."""
    if not kind.ordered or role not in kind.roles:
        return
    for earlier in kind.roles[: kind.roles.index(role)]:
        if earlier not in signed:
            message = _("%(role)s signs first.") % {"role": kind.role_label(earlier)}
            raise ValidationError({"role": ValidationError(message, code="out_of_order")})


# --- what a signer gives ----------------------------------------------------------------
def clean_signer_name(
    value: Any,
    errors: dict[str, str],
    *,
    key: str = "signer_name",
    missing: str | None = None,
    max_length: int = MAX_SIGNER_NAME,
) -> str:
    """The signer's name, trimmed; a missing or too long one is noted in ``errors``."""
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        errors[key] = missing or _("Write the signer's name.")
    elif len(name) > max_length:
        errors[key] = _("The name is too long.")
    return name


def signature_image(
    data_url: str | None, errors: dict[str, str], *, required: bool = True
) -> bytes:
    """The PNG of a signature drawn on screen (``b""`` when an optional one is not given);
    a refused one is noted in ``errors`` under ``signature``."""
    if not required and not data_url:
        return b""
    try:
        return decode_signature_data_url(data_url)
    except SignatureImageError as exc:
        errors["signature"] = signature_error_message(exc.code)
        return b""


def signer_side(
    kind: SignedDocument[D],
    document: D,
    *,
    role: str,
    user: Any,
    vendor_staff: bool,
    own_hospital: bool,
    signer_name: str,
    signer_role: str,
) -> bool:
    """Who may sign in ``role``: only the vendor's staff as the engineer (``PermissionDenied``
    otherwise); the hospital on a hospital user's own account (``own_hospital``), or on the
    vendor's device handed over, which is what it returns: then the signer's position is
    required and the signer is none of the vendor's people (``ValidationError``)."""
    if role == SignatureRole.ENGINEER and not vendor_staff:
        raise PermissionDenied(_("Only the vendor's engineer signs as the engineer."))
    handed_over = role == SignatureRole.HOSPITAL and not own_hospital
    if handed_over:
        names = [*kind.vendor_signer_names(document)]
        if user is not None:
            names += [user.get_full_name(), user.get_username()]
        problems = handed_over_errors(
            signer_name=signer_name, signer_role=signer_role, vendor_names=names
        )
        if problems:
            raise ValidationError(problems)
    return handed_over


# --- files ------------------------------------------------------------------------------------
def delete_files_on_commit(files: Iterable[FieldFile]) -> None:
    """Delete the files once the transaction that dropped their rows has committed."""
    doomed = [(f.storage, f.name) for f in files if f and f.name]

    def delete() -> None:
        for storage, name in doomed:
            storage.delete(name)

    if doomed:
        transaction.on_commit(delete)


@contextmanager
def image_stored(field: FieldFile, image: bytes, prefix: str) -> Iterator[None]:
    """Store ``image`` in ``field`` under a fresh name for the row the block saves; when the
    block raises, the file goes again (storage is not transactional)."""
    if image:
        field.save(f"{prefix}-{uuid.uuid4().hex[:12]}.png", ContentFile(image), save=False)
    try:
        yield
    except BaseException:
        if field and field.name:
            field.storage.delete(field.name)
        raise


# --- signatures on rows ---------------------------------------------------------------------
def withdraw(kind: SignedDocument[D], document: D, *, role: str | None = None) -> int:
    """Drop the document's signatures (of one role): they vouched for other content, or are
    signed again. Their images go after commit."""
    rows = kind.signatures(document)
    if role is not None:
        rows = rows.filter(role=role)
    stale = list(rows)
    delete_files_on_commit(s.image for s in stale)
    rows.model._default_manager.filter(pk__in=[s.pk for s in stale]).delete()
    return len(stale)


def withdraw_if_changed(kind: SignedDocument[D], document: D, before: dict[str, Any]) -> bool:
    """After a write of an unfrozen document: a changed content withdraws every signature
    given before (each signer signs what is written). ``before``: ``kind.content`` then."""
    if kind.content(document) == before:
        return False
    withdraw(kind, document)
    return True


def freeze(
    kind: SignedDocument[D],
    document: D,
    *,
    content: Mapping[str, Any],
    now: datetime,
    actor: Any,
) -> None:
    """The last signature the document needs: it is frozen at ``now`` with the hash of its
    content, after the kind's own step (which may refuse)."""
    more = list(kind.on_freeze(document, now=now, actor=actor))
    document.frozen_at = now  # type: ignore[attr-defined]  # every kind with rows has it
    document.content_hash = content_hash(content)  # type: ignore[attr-defined]
    document.save(update_fields=["frozen_at", "content_hash", "updated_at", *more])


def add_signature(
    kind: SignedDocument[D],
    document: D,
    signature: Any,
    image: bytes,
    *,
    now: datetime,
    actor: Any,
    amendment: Any = None,
) -> Any:
    """Store ``signature`` (an unsaved ``DrawnSignature`` row of ``document``, its role and
    signer filled in) with its image and hash, and freeze the document when this is the
    last signature it needs. ``amendment``: the signature is the amendment's, over its
    content, one per role.

    Before the freeze, signing again in a role replaces the earlier signature; after it, a
    role that has signed cannot sign again (one that has not still may). The document must
    be complete (``SignedDocument.missing``) and, for an ``ordered`` kind, the roles before
    this one must have signed."""
    role = signature.role
    if amendment is not None:
        if amendment.signatures.filter(role=role).exists():
            raise ValidationError(_("This amendment is already signed in this role."))
        content = amendment_content(kind, amendment)
    else:
        signed = set(kind.signatures(document).values_list("role", flat=True))
        frozen = kind.is_frozen(document)
        if frozen and role in signed:
            raise ValidationError(str(kind.already_signed_message))
        refuse_out_of_order(kind, signed, role)
        refuse_if_incomplete(kind, document)
        content = kind.content(document)
        if not frozen:
            withdraw(kind, document, role=role)
            if set(kind.freezing_roles or kind.roles) <= signed | {role}:
                freeze(kind, document, content=content, now=now, actor=actor)
    signature.signed_at = now
    signature.content_hash = content_hash(content, image)
    with image_stored(signature.image, image, f"signature-{role}"):
        signature.save()
    if kind.is_frozen(document):
        archive_pdf_on_commit(kind, document)
    return signature


def signature_matches(kind: SignedDocument[D], signature: Any) -> bool:
    """Does a signature row's hash still match what it signed and its image?"""
    amendment = getattr(signature, "amendment", None)
    content = (
        amendment_content(kind, amendment)
        if amendment is not None
        else kind.content(signature.document)
    )
    return hash_matches(content, signature.image, signature.content_hash)


# --- amendments ---------------------------------------------------------------------------
def amendment_content(kind: SignedDocument[D], amendment: Any) -> dict[str, Any]:
    """What an amendment's hash covers: the frozen document's hash, the reason, the changes."""
    return {
        kind.amendment_key: amendment.document.content_hash,
        "reason": amendment.reason,
        "changes": amendment.changes,
    }


def effective_content(kind: SignedDocument[D], document: D) -> dict[str, Any]:
    """The content as corrected by the amendments, in order."""
    content = kind.content(document)
    for amendment in kind.amendments(document).order_by("created_at", "pk"):
        content.update(amendment.changes)
    return content


def amend(
    kind: SignedDocument[D],
    document: D,
    *,
    author: Any,
    reason: str,
    changes: Mapping[str, Any],
    now: datetime,
) -> Any:
    """Correct a frozen document: it stays as signed, and the amendment keeps only the
    fields that really change against the document as already amended. Its PDF is archived
    again after commit."""
    if not kind.is_frozen(document):
        raise ValidationError(str(kind.not_frozen_message), code="not_frozen")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": str(kind.amend_reason_message)})
    current = effective_content(kind, document)
    corrected = kind.corrected_content(document, current, changes, now=now)
    diff = {name: corrected[name] for name in changes if corrected[name] != current[name]}
    if not diff:
        raise ValidationError(
            _("Nothing changed: an amendment corrects at least one field."), code="no_change"
        )
    amendment = kind.new_amendment(document, author=author, reason=reason, changes=diff)
    amendment.content_hash = content_hash(  # type: ignore[attr-defined]
        amendment_content(kind, amendment)
    )
    amendment.save()
    archive_pdf_on_commit(kind, document)
    return amendment


# --- the archived PDF ---------------------------------------------------------------------
def archive_pdf(kind: SignedDocument[D], document: D) -> D:
    """Render the frozen document and store its PDF, replacing an earlier file. Only the
    file column is written: the signed content of a frozen document never changes."""
    field: FieldFile = getattr(document, kind.pdf_field)
    rendered = kind.pdf_bytes(document)
    old_name = field.name if field else ""
    field.save(kind.pdf_name(document), ContentFile(rendered), save=False)
    type(document)._default_manager.filter(pk=document.pk).update(**{kind.pdf_field: field.name})
    if old_name and old_name != field.name:
        field.storage.delete(old_name)
    return document


# The outbox event that archives a signed document's PDF, and its handler's stable name.
DOCUMENT_SIGNED = "signing.document_signed"
ARCHIVE_PDF = "signing.archive_pdf"


def archive_pdf_on_commit(kind: SignedDocument[D], document: D) -> None:
    """Archive the PDF once the signature is committed, through the outbox: rendering takes
    a moment and the write lock is not held meanwhile; a failed render is retried and stays
    visible (admin: outbox deliveries). Until it is archived, the PDF view renders it on
    demand (``core.signing.pages.archived_pdf_response``)."""
    if kind.pdf_field:
        outbox.publish(DOCUMENT_SIGNED, {"kind": kind.key, "pk": document.pk})


def archive_pdf_delivered(event: OutboxEvent) -> None:
    """The outbox handler: render the document as it is now. Idempotent: a second delivery
    renders the same frozen content again and replaces the file."""
    kind = kind_named(event.payload["kind"])
    archive_pdf(kind, kind.load(event.payload["pk"]))
