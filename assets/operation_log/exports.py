"""A device's operation log as a file (issue 14 §5): ``GET /devices/{id}/operation-log``
with ``format=csv|xlsx``. The log has no filters, so no ``ListExport``: its columns over
the endpoint's rows, times in the device's hospital's zone (where the entries were made)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from core.exports import Column, Table, label_of, table_response, text_of

from ..models import Device, OperationLogEntry

COLUMNS = (
    Column(_("Recorded at"), lambda e: e.recorded_at, 18),
    Column(_("Kind"), label_of("kind"), 14),
    Column(_("Result"), label_of("result"), 10),
    Column(_("Usage"), lambda e: e.usage_value, 10),
    Column(_("Unit"), label_of("usage_unit"), 8),
    Column(_("Event"), label_of("event"), 14),
    Column(_("Note"), lambda e: e.note, 40),
    Column(_("Photo"), lambda e: bool(e.photo), 8),
    Column(_("Recorded by"), lambda e: text_of(e.recorded_by), 16),
)


def operation_log_response(
    device: Device, entries: QuerySet[OperationLogEntry], *, fmt: str
) -> StreamingHttpResponse | FileResponse:
    table = Table(
        columns=COLUMNS,
        rows=entries.select_related("recorded_by"),
        title=_("Operation log"),
    )
    zone = ZoneInfo(device.hospital.time_zone)
    return table_response(table, fmt=fmt, name=f"operation-log-{device.pk}", zone=zone)
