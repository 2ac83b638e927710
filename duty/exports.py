"""The duty roster's lists as files (issue 14 §5): ``GET /duty/shifts`` and ``/duty/swaps``
with ``format=csv|xlsx``. Their filters are the endpoint's own (no FilterSet), so these are
columns over the endpoint's rows, without a ``ListExport``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from core.exports import Column, Table, label_of, table_response, text_of

from .models import Shift, ShiftSwap

SHIFT_COLUMNS = (
    Column(_("Service region"), lambda s: s.region.name, 16),
    Column(_("Role on duty"), label_of("role"), 12),
    Column(_("On duty"), lambda s: text_of(s.user), 16),
    Column(_("Starts at"), lambda s: s.starts_at, 18),
    Column(_("Ends at"), lambda s: s.ends_at, 18),
    Column(_("Note"), lambda s: s.note, 24),
    Column(_("From the rotation"), lambda s: s.slot_id is not None, 10),
)


def _starts_at(shift: Shift | None):
    return shift.starts_at if shift is not None else None


SWAP_COLUMNS = (
    Column(_("Shift starts at"), lambda w: w.shift.starts_at, 18),
    Column(_("Service region"), lambda w: w.shift.region.name, 16),
    Column(_("Proposed by"), lambda w: text_of(w.proposed_by), 16),
    Column(_("To"), lambda w: text_of(w.to_user), 16),
    Column(_("Their shift starts at"), lambda w: _starts_at(w.other_shift), 18),
    Column(_("State"), label_of("state"), 10),
    Column(_("Note"), lambda w: w.note, 24),
    Column(_("Decided at"), lambda w: w.decided_at, 18),
)


def shifts_response(shifts: QuerySet[Shift], *, fmt: str) -> StreamingHttpResponse | FileResponse:
    rows = shifts.select_related("region", "user")
    table = Table(columns=SHIFT_COLUMNS, rows=rows, title=_("Duty roster"))
    return table_response(table, fmt=fmt, name="duty-shifts")


def swaps_response(swaps: QuerySet[ShiftSwap], *, fmt: str) -> StreamingHttpResponse | FileResponse:
    rows = swaps.select_related("shift__region", "other_shift", "proposed_by", "to_user")
    table = Table(columns=SWAP_COLUMNS, rows=rows, title=_("Shift swaps"))
    return table_response(table, fmt=fmt, name="duty-swaps")
