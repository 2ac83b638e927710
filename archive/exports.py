"""The archive's timeline as a file (issue 14 §5): ``GET /devices/{id}/archive``,
``/hospitals/{id}/archive`` and ``/contracts/{id}/archive`` with ``format=csv|xlsx``. The
entries are no queryset (merged from every source), so the file is a ``core.exports.Table``
of the whole filtered timeline: counted first (keys only), then read in one window; times in
the hospital's zone as on the archive's page, the PDF as an address to open."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from assets.models import Device
from core.archive import ArchiveEntry, ArchiveQuery
from core.exports import Column, Table, table_response

from .selectors import timeline
from .sources import kinds


def _columns(request: HttpRequest, devices: dict[int, str]) -> tuple[Column, ...]:
    labels = kinds()

    def absolute(path: str) -> str:
        return request.build_absolute_uri(path) if path else ""

    return (
        Column(_("Time"), lambda e: e.at, 18),
        Column(_("Kind"), lambda e: labels.get(e.kind, e.kind), 16),
        Column(_("Title"), lambda e: e.title, 36),
        Column(_("Detail"), lambda e: e.detail, 36),
        Column(_("Device"), lambda e: devices.get(e.device_id or 0, ""), 28),
        Column(_("Signed"), lambda e: e.signed, 8),
        Column(_("PDF"), lambda e: absolute(e.pdf_url), 40),
    )


def archive_response(
    request: HttpRequest, query: ArchiveQuery, *, time_zone: str, fmt: str, name: str
) -> StreamingHttpResponse | FileResponse:
    """Every entry of ``query`` (its filters; its page size ignored), newest first."""
    count = timeline(replace(query, limit=1)).count
    entries: list[ArchiveEntry] = timeline(replace(query, limit=max(count, 1))).entries
    shown = {e.device_id for e in entries if e.device_id is not None}
    devices = {
        d.pk: str(d) for d in Device.objects.filter(pk__in=shown).select_related("product_model")
    }
    table = Table(columns=_columns(request, devices), rows=entries, title=_("Service archive"))
    return table_response(table, fmt=fmt, name=name, zone=ZoneInfo(time_zone))
