"""What the return-visit sheet shows, on its page and in its PDF: dates and times in the
hospital's zone, the devices with their observed state, signatures with their hashes.
Reads only."""

from __future__ import annotations

import base64
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation

from customers.services import service_organisation_get

from .models import ReturnVisit, ReturnVisitSignature, SignatureRole

TIME_FORMAT = "%Y-%m-%d %H:%M"


def zone_of(visit: ReturnVisit) -> ZoneInfo:
    return ZoneInfo(visit.hospital.time_zone)


def _local(value, zone: ZoneInfo) -> str:
    return timezone.localtime(value, zone).strftime(TIME_FORMAT) if value else ""


def image_data_uri(signature: ReturnVisitSignature) -> str:
    try:
        with signature.image.open("rb") as handle:
            raw = handle.read()
    except (FileNotFoundError, ValueError):
        return ""
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


def sheet_context(visit: ReturnVisit, *, with_images: bool = True) -> dict[str, Any]:
    """Everything the sheet shows."""
    zone = zone_of(visit)
    signatures = {
        s.role: {
            "signature": s,
            "signer_name": s.signer_name,
            "signer_role": s.signer_role,
            "handed_over": s.on_vendor_device,
            "signed_at": _local(s.signed_at, zone),
            "content_hash": s.content_hash,
            "image": image_data_uri(s) if with_images else "",
        }
        for s in visit.signatures.order_by("signed_at", "pk")
    }
    return {
        "visit": visit,
        "zone_name": visit.hospital.time_zone,
        "participants": list(visit.participants.order_by("position", "pk")),
        "device_checks": list(
            visit.device_checks.select_related("device__product_model").order_by("pk")
        ),
        "findings": list(
            visit.findings.select_related("device__product_model", "request").order_by(
                "position", "pk"
            )
        ),
        "signature_rows": [
            (role, label, signatures.get(role)) for role, label in SignatureRole.choices
        ],
        "signed_roles": set(signatures),
        "frozen_at": _local(visit.frozen_at, zone),
        "recorded_at": _local(visit.recorded_at, zone),
    }


def sheet_pdf_bytes(visit: ReturnVisit) -> bytes:
    """The sheet as an A4 PDF in the site's language (zh-hans), times in the hospital's
    zone, whoever renders it: the archived document does not depend on who clicked."""
    from core.pdf import render_pdf  # loads WeasyPrint: only when a PDF is made

    zone = zone_of(visit)
    with translation.override(settings.LANGUAGE_CODE), timezone.override(zone):
        context = sheet_context(visit)
        context.update(
            {
                "organisation": service_organisation_get(),
                "generated_at": _local(timezone.now(), zone),
            }
        )
        return render_pdf("return_visits/sheet_pdf.html", context)
