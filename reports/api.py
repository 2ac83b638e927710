"""API: the monthly service reports of the hospitals the caller sees, with the figures the
PDF prints (``reports.figures``), and the PDF itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from core.api import READ_ERRORS, Id, Input, PageIn, page, page_of
from core.exports import EXPORT_OPENAPI, Column, ExportQuery, Table, table_response

from .models import MonthlyReport
from .pdf import pdf_file_response

router = Router(tags=["monthly reports"])


class ReportQuery(Input):
    hospital_id: Id | None = None
    month: str | None = Field(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM", examples=["2026-11"]
    )
    all_versions: bool = Field(False, description="Every version, not only the newest")


class ReportOut(Schema):
    id: int
    hospital_id: int
    month: date
    version: int
    generated_at: datetime
    generated_by_id: int | None
    reason: str
    content_hash: str
    pdf_url: str
    figures: dict[str, Any]


def _out(report: MonthlyReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "hospital_id": report.hospital_id,
        "month": report.month,
        "version": report.version,
        "generated_at": report.generated_at,
        "generated_by_id": report.generated_by_id,
        "reason": report.reason,
        "content_hash": report.content_hash,
        "pdf_url": f"/api/v1/monthly-reports/{report.pk}/pdf",
        "figures": report.figures,
    }


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value} %"


def _on_time(report: MonthlyReport) -> str:
    """Each promise's on-time rate, as the PDF prints it: "到场 80.0 %; …"."""
    rows = report.figures.get("on_time") or []
    return "; ".join(f"{row['promise']} {_percent(row['rate'])}" for row in rows)


def _table(reports) -> Table:
    return Table(
        title=_("Monthly service reports"),
        rows=reports.select_related("hospital"),
        columns=(
            Column(_("Month"), lambda r: f"{r.month:%Y-%m}", 10),
            Column(_("Hospital"), lambda r: r.hospital.name, 24),
            Column(_("Version"), lambda r: r.version, 8),
            Column(_("Written"), lambda r: r.generated_at, 18),
            Column(_("Faults reported"), lambda r: r.figures.get("done", {}).get("reported"), 10),
            Column(_("On-time rate"), _on_time, 40),
            Column(_("Open issues"), lambda r: r.figures.get("open_requests", {}).get("count"), 10),
            Column(
                _("Satisfaction"), lambda r: r.figures.get("satisfaction", {}).get("average"), 10
            ),
        ),
    )


@router.get(
    "/monthly-reports",
    response={200: page_of(ReportOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def monthly_report_list(
    request, filters: Query[ReportQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """The newest version of each report, newest month first (``all_versions``: all)."""
    reports = MonthlyReport.objects.for_user(request.user)
    if not filters.all_versions:
        reports = reports.latest_versions()
    if filters.hospital_id is not None:
        reports = reports.filter(hospital_id=filters.hospital_id)
    if filters.month is not None:
        year, month = filters.month.split("-")
        reports = reports.filter(month=date(int(year), int(month), 1))
    if output.format:
        return table_response(_table(reports), fmt=output.format, name="monthly-reports")
    result = page(reports, paging)
    result["items"] = [_out(r) for r in result["items"]]
    return result


@router.get("/monthly-reports/{report_id}/pdf", response={200: None, **READ_ERRORS})
def monthly_report_pdf(request, report_id: Id) -> FileResponse:
    report = get_object_or_404(MonthlyReport.objects.for_user(request.user), pk=report_id)
    return pdf_file_response(report)
