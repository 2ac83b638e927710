"""What the return-visit sheet shows, on its page and in its PDF: dates and times in the
hospital's zone, the devices with their observed state, signatures with their hashes.
Reads only."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation

from core.signing.pages import local_text, signature_row
from customers.services import service_organisation_get

from .models import ReturnVisit
from .sheet import RETURN_VISIT_SHEET


def zone_of(visit: ReturnVisit) -> ZoneInfo:
    return ZoneInfo(visit.hospital.time_zone)


def sheet_context(visit: ReturnVisit, *, with_images: bool = True) -> dict[str, Any]:
    """Everything the sheet shows."""
    zone = zone_of(visit)
    signatures = {
        s.role: signature_row(RETURN_VISIT_SHEET, s, zone, with_image=with_images)
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
            (role, RETURN_VISIT_SHEET.role_label(role), signatures.get(role))
            for role in RETURN_VISIT_SHEET.roles
        ],
        "signed_roles": set(signatures),
        "frozen_at": local_text(visit.frozen_at, zone),
        "recorded_at": local_text(visit.recorded_at, zone),
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
                "generated_at": local_text(timezone.now(), zone),
            }
        )
        return render_pdf("return_visits/sheet_pdf.html", context)
