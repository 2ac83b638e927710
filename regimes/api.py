"""API: a hospital's regime documents (R-7.5), their versions and receipts.

A version's file travels as base64 inside the JSON body (``file: {name, content_base64}``),
so every write of the API stays one JSON document; it is served to people by the web view
``regimes:version_file`` and listed here by name and SHA-256.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from core.api import (
    READ_ERRORS,
    SIGNATURE_DATA_URL_MAX,
    WRITE_ERRORS,
    Day,
    Id,
    Input,
    Moment,
    PageIn,
    page,
    page_of,
    resolve,
)
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm
from core.uploads import DEFAULT_MAX_BYTES
from customers.models import Contact, Department, Hospital

from . import selectors, services
from .exports import DOCUMENTS
from .filters import RegimeDocumentFilterSet
from .models import RegimeDocument, RegimeKind, RegimeReceipt, RegimeVersion

router = Router(tags=["management regime"])
User = get_user_model()

# Service field -> the API's name for it, where they differ.
API_NAMES = {
    "version": "version_id",
    "recipient_contact": "recipient_contact_id",
    "recipient_user": "recipient_user_id",
    "signature": "signature_data_url",
}


class DocumentIn(Input):
    hospital_id: Id
    kind: RegimeKind
    title: str = Field(min_length=1, max_length=200)
    department_id: Id | None = None


class FileIn(Input):
    name: str = Field(min_length=1, max_length=200, description="File name with extension")
    content_base64: str = Field(
        min_length=1,
        max_length=(DEFAULT_MAX_BYTES + 2) // 3 * 4,
        description="The file's bytes, base64 (at most 10 MB once decoded)",
    )


class VersionIn(Input):
    effective_from: Day
    text: str = ""
    summary: str = ""
    file: FileIn | None = Field(None, description="PDF, DOCX, DOC, XLSX, … at most 10 MB")


class ReceiptIn(Input):
    version_id: Id | None = Field(None, description="Default: the current version")
    recipient_name: str = Field("", max_length=100, description="Default: the contact's name")
    recipient_contact_id: Id | None = None
    recipient_user_id: Id | None = None
    department_id: Id | None = Field(None, description="Default: the contact's department")
    received_at: Moment | None = Field(None, description="ISO 8601 with offset; now")
    signature_data_url: str = Field(
        "", max_length=SIGNATURE_DATA_URL_MAX, description="data:image/png;base64,… (optional)"
    )


class VersionOut(Schema):
    id: int
    number: int
    effective_from: date
    summary: str
    text: str
    file_name: str
    file_sha256: str
    created_at: AwareDatetime
    created_by_id: int | None


class DocumentOut(Schema):
    id: int
    hospital_id: int
    department_id: int | None
    kind: RegimeKind
    title: str
    current_version: int | None = Field(description="Number of the version in effect today")
    versions: list[VersionOut]


class ReceiptOut(Schema):
    id: int
    version_id: int
    version: int
    recipient_name: str
    recipient_contact_id: int | None
    recipient_user_id: int | None
    department_id: int | None
    received_at: AwareDatetime
    recorded_by_id: int | None
    signed: bool
    needs_current_version: bool


class RecipientOut(Schema):
    id: int
    name: str
    state: str = Field(description="missing | outdated (needs the current version)")


class DocumentDetailOut(DocumentOut):
    receipts: list[ReceiptOut]
    departments_without_current: list[RecipientOut]
    contacts_without_current: list[RecipientOut]


@filter_query(RegimeDocumentFilterSet)
class DocumentQuery(Input):
    """The filters of GET /regime-documents."""


def _documents(request):
    return (
        RegimeDocument.objects.for_user(request.user)
        .select_related("hospital")
        .prefetch_related("versions")
        .order_by("pk")
    )


def _version_out(version: RegimeVersion) -> dict:
    return {
        "id": version.pk,
        "number": version.number,
        "effective_from": version.effective_from,
        "summary": version.summary,
        "text": version.text,
        "file_name": version.file_name,
        "file_sha256": version.file_sha256,
        "created_at": version.created_at,
        "created_by_id": version.created_by_id,
    }


def _document_out(document: RegimeDocument) -> dict:
    versions = sorted(document.versions.all(), key=lambda v: v.number)
    current = selectors.current_version(versions, selectors.hospital_today(document.hospital))
    return {
        "id": document.pk,
        "hospital_id": document.hospital_id,
        "department_id": document.department_id,
        "kind": document.kind,
        "title": document.title,
        "current_version": current.number if current else None,
        "versions": [_version_out(v) for v in versions],
    }


def _receipt_out(receipt: RegimeReceipt, outdated: bool) -> dict:
    return {
        "id": receipt.pk,
        "version_id": receipt.version_id,
        "version": receipt.version.number,
        "recipient_name": receipt.recipient_name,
        "recipient_contact_id": receipt.recipient_contact_id,
        "recipient_user_id": receipt.recipient_user_id,
        "department_id": receipt.department_id,
        "received_at": receipt.received_at,
        "recorded_by_id": receipt.recorded_by_id,
        "signed": bool(receipt.signature),
        "needs_current_version": outdated,
    }


def _detail_out(request, document: RegimeDocument) -> dict:
    status = selectors.document_regime(document=document, user=request.user)
    return _document_out(status.document) | {
        "receipts": [_receipt_out(r, outdated) for r, outdated in status.receipt_rows],
        "departments_without_current": [
            {"id": s.recipient.pk, "name": s.recipient.name, "state": s.state}
            for s in status.departments_without_current
        ],
        "contacts_without_current": [
            {"id": s.recipient.pk, "name": s.recipient.name, "state": s.state}
            for s in status.contacts_without_current
        ],
    }


def _api_errors(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({API_NAMES.get(k, k): v for k, v in exc.error_dict.items()})


@router.get(
    "/regime-documents",
    response={200: page_of(DocumentOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def regime_document_list(
    request, filters: Query[DocumentQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    documents = api_filter(filters, _documents(request), request=request)
    if output.format:
        return DOCUMENTS.response(documents, fmt=output.format)
    result = page(documents, paging)
    result["items"] = [_document_out(d) for d in result["items"]]
    return result


@router.post("/regime-documents", response={201: DocumentDetailOut, **WRITE_ERRORS})
def regime_document_create(request, payload: DocumentIn):
    hospital = resolve(Hospital.objects.for_user(request.user), payload.hospital_id, "hospital_id")
    require_perm(request, "regimes.add_regimedocument", hospital)
    department = resolve(
        Department.objects.for_user(request.user), payload.department_id, "department_id"
    )
    document = services.regime_document_create(
        hospital=hospital,
        kind=payload.kind,
        title=payload.title,
        department=department,
        created_by=request.user,
    )
    return Status(201, _detail_out(request, document))


@router.get(
    "/regime-documents/{regime_document_id}", response={200: DocumentDetailOut, **READ_ERRORS}
)
def regime_document_read(request, regime_document_id: Id):
    """The document, its versions, its receipts (each saying whether its recipient needs
    the current version) and who has not received the current version."""
    document = get_object_or_404(_documents(request), pk=regime_document_id)
    return _detail_out(request, document)


def _uploaded(file: FileIn | None) -> ContentFile | None:
    if file is None:
        return None
    try:
        content = base64.b64decode(file.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(
            {"file": _("The file content is not valid base64.")}, code="invalid_base64"
        ) from exc
    return ContentFile(content, name=file.name)


@router.post(
    "/regime-documents/{regime_document_id}/versions",
    response={201: VersionOut, **WRITE_ERRORS},
)
def regime_version_create(request, regime_document_id: Id, payload: VersionIn):
    """Append the next version (numbers 1, 2, … per document). It cannot take effect before
    the version it follows."""
    document = get_object_or_404(_documents(request), pk=regime_document_id)
    require_perm(request, "regimes.add_regimeversion", document)
    version = services.regime_version_add(
        document=document,
        effective_from=payload.effective_from,
        text=payload.text,
        summary=payload.summary,
        file=_uploaded(payload.file),
        created_by=request.user,
    )
    return Status(201, _version_out(version))


@router.post(
    "/regime-documents/{regime_document_id}/receipts",
    response={201: ReceiptOut, **WRITE_ERRORS},
)
def regime_receipt_create(request, regime_document_id: Id, payload: ReceiptIn):
    document = get_object_or_404(_documents(request), pk=regime_document_id)
    require_perm(request, "regimes.add_regimereceipt", document)
    user = request.user
    version = resolve(RegimeVersion.objects.for_user(user), payload.version_id, "version_id")
    contact = resolve(
        Contact.objects.for_user(user), payload.recipient_contact_id, "recipient_contact_id"
    )
    department = resolve(Department.objects.for_user(user), payload.department_id, "department_id")
    recipient_user = resolve(
        User.objects.filter(is_active=True, hospital_membership__hospital=document.hospital),
        payload.recipient_user_id,
        "recipient_user_id",
    )
    try:
        receipt = services.regime_receipt_record(
            document=document,
            version=version,
            recipient_name=payload.recipient_name,
            recipient_contact=contact,
            recipient_user=recipient_user,
            department=department,
            received_at=payload.received_at,
            signature_data_url=payload.signature_data_url,
            recorded_by=user,
        )
    except ValidationError as exc:
        raise _api_errors(exc) from exc
    current = selectors.current_version(
        document.versions.all(), selectors.hospital_today(document.hospital)
    )
    outdated = current is not None and receipt.version.number < current.number
    return Status(201, _receipt_out(receipt, outdated))
