"""The monthly report as a Chinese A4 PDF under the vendor's letterhead (``core.pdf``)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils import timezone, translation

from core.signing.pages import local_text
from customers.services import service_organisation_get

from .models import MonthlyReport


def report_pdf_bytes(figures: dict, *, generated_at: datetime, version: int) -> bytes:
    """The document of ``figures`` (``reports.figures.month_figures``), in the site's
    language and the hospital's zone, whoever asks for it."""
    from core.pdf import render_pdf  # loads WeasyPrint: only when a PDF is made

    zone = ZoneInfo(figures["time_zone"])
    with translation.override(settings.LANGUAGE_CODE), timezone.override(zone):
        return render_pdf(
            "reports/report_pdf.html",
            {
                "figures": figures,
                "month": date.fromisoformat(figures["month"]),
                "version": version,
                "organisation": service_organisation_get(),
                "generated_at": local_text(generated_at, zone),
                "zone_name": figures["time_zone"],
            },
        )


def pdf_file_response(report: MonthlyReport) -> FileResponse:
    """The stored PDF, shown in the browser; never cached by a shared proxy."""
    try:
        handle = report.pdf.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=False, filename=report.file_name)
    response["Cache-Control"] = "private, no-store"
    return response
