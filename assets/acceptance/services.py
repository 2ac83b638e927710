"""Uploading a device's acceptance certificate (R-3.1): a PDF or a photo of the signed
certificate, checked by ``core.uploads`` (extension, first bytes, size) before anything is
stored. Each upload is a new kept row; the newest is the device's certificate."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.modeling import validated_save
from core.uploads import DEFAULT_MAX_BYTES, DocumentFileError, check_document_file
from core.uploads import document_file_error_message as _refusal

from ..models import AcceptanceCertificate, Device

# What a certificate is: the signed paper, scanned or photographed.
CERTIFICATE_TYPES = frozenset({".pdf", ".png", ".jpg", ".jpeg"})


def certificate_max_bytes() -> int:
    return int(getattr(settings, "ACCEPTANCE_CERTIFICATE_MAX_BYTES", DEFAULT_MAX_BYTES))


@transaction.atomic
def acceptance_certificate_upload(
    *, device: Device, document: Any, uploaded_by: User
) -> AcceptanceCertificate:
    """Store ``document`` as ``device``'s current acceptance certificate. Refused
    (``ValidationError`` on ``document``) unless it is a PDF or a JPEG/PNG photo whose
    first bytes say so, within the size cap; refused (``PermissionDenied``) for anyone but
    the vendor's office and engineers."""
    if not uploaded_by.has_perm("assets.add_acceptancecertificate", device):
        raise PermissionDenied
    if not document:
        raise ValidationError({"document": _("Choose the certificate's file.")})
    max_bytes = certificate_max_bytes()
    try:
        checked = check_document_file(
            document,
            name=getattr(document, "name", "") or "",
            max_bytes=max_bytes,
            allowed=CERTIFICATE_TYPES,
        )
    except DocumentFileError as exc:
        message = _refusal(exc.code, max_bytes=max_bytes, allowed=CERTIFICATE_TYPES)
        raise ValidationError({"document": message}) from exc
    certificate = AcceptanceCertificate(
        device=device,
        sha256=checked.sha256,
        size=checked.size,
        uploaded_at=timezone.now(),
        uploaded_by=uploaded_by,
    )
    certificate.document.save(checked.name, document, save=False)
    return validated_save(certificate)
