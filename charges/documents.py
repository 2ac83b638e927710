"""The accepted statement as a PDF (Chinese, the vendor's header), for the archive."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation

from customers.services import service_organisation_get

from .models import ChargeStatement
from .selectors import current_lines

TIME_FORMAT = "%Y-%m-%d %H:%M"


def statement_pdf_bytes(statement: ChargeStatement) -> bytes:
    from core.pdf import render_pdf  # loads WeasyPrint: only when a PDF is made

    zone = ZoneInfo(statement.request.hospital.time_zone)
    accepted_by = statement.accepted_by
    context = {
        "statement": statement,
        "service_request": statement.request,
        "device": statement.request.device,
        "lines": list(statement.lines.all()),
        "current_lines": current_lines(statement),
        "credit_notes": list(statement.credit_notes.order_by("created_at", "pk")),
        "organisation": service_organisation_get(),
        "reported_at": timezone.localtime(statement.request.reported_at, zone).strftime(
            TIME_FORMAT
        ),
        "accepted_at": (
            timezone.localtime(statement.accepted_at, zone).strftime(TIME_FORMAT)
            if statement.accepted_at
            else ""
        ),
        "accepted_by": (accepted_by.get_full_name() or accepted_by.get_username())
        if accepted_by
        else "",
        "generated_at": timezone.localtime(timezone.now(), zone).strftime(TIME_FORMAT),
        "zone_name": statement.request.hospital.time_zone,
    }
    # The archived document does not depend on who clicked: the site's language.
    with translation.override(settings.LANGUAGE_CODE), timezone.override(zone):
        return render_pdf("charges/statement_pdf.html", context)
