"""Lists as spreadsheets: ``.csv`` and ``.xlsx`` written row by row (issue 14 §3, §5).

Domain-free. A table is columns (a header in the viewer's language, a function of the row)
and rows: a queryset read with ``iterator(chunk_size=…)`` or any iterable (a computed
table such as a KPI table is a list of rows, dicts or objects, and goes through the same
writers: ``table_response(Table(columns=…, rows=…), fmt="xlsx", name="…")``). Neither
writer holds the rows: the CSV is a generator of bytes for a ``StreamingHttpResponse``, the
workbook (``core.xlsx``) is compressed into a temporary file as it is written, then streamed
from it.

What a cell holds:

- text that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@``, and tab or
  carriage return before them, OWASP "CSV injection") gets a leading ``'``: shown as written,
  never evaluated. Numbers stay numbers, negative ones included;
- an aware time is shown in the viewer's zone (the zone the page shows): in the workbook a
  naive local datetime with a date format, in the CSV ``YYYY-MM-DD HH:MM``;
- what the workbook's XML cannot hold (control characters) is left out.

A list of the project (one FilterSet, one scoped queryset) is a ``ListExport``, declared in
its app's ``exports.py``: the page's download, the API's ``format=`` and the worker's job all
read it.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from itertools import islice
from typing import IO, Any, Literal

from django.db.models import Model, QuerySet
from django.http import FileResponse, HttpRequest, QueryDict, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from ninja import Field
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .api import Input
from .filtering import ListFilterSet
from .xlsx import SheetWriter

ExportFormat = Literal["csv", "xlsx"]
FORMATS: tuple[str, ...] = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 2000  # rows fetched per round trip; a chunk of objects is all that is held
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 (Chinese intact) only after it


# --- what is written ----------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column: its header (a lazy gettext string, read in the active language), the
    value of a row, and its width in the workbook (characters)."""

    header: str | Promise
    value: Callable[[Any], Any]
    width: int = 16


@dataclass
class Table:
    """Columns and rows (any iterable; a queryset is read in chunks). ``title`` names the
    worksheet; ``batch``, if given, sees each chunk of rows before they are written (to read
    what the rows of the chunk share in one query, e.g. ``ListExport.joined``)."""

    columns: Sequence[Column]
    rows: Iterable[Any]
    title: str | Promise = ""
    batch: Callable[[list[Any]], None] | None = None


def neutralise(value: Any) -> Any:
    """``value`` unable to run as a formula: text starting like one gets a leading ``'``;
    anything else (numbers too) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell_value(value: Any, *, zone: tzinfo) -> Any:
    """``value`` as a workbook cell: numbers, dates and local naive times stay typed, the
    rest becomes neutralised text (a yes/no in words)."""
    if value is None:
        return None
    if type(value) is str:  # most cells: the one check before the text's own
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(zone).replace(tzinfo=None, microsecond=0)
        return value.replace(microsecond=0) if value.microsecond else value
    if isinstance(value, date):
        return value
    if isinstance(value, timedelta):
        return int(value.total_seconds() // 60)  # minutes: a number people can add up
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def csv_text(value: Any, *, zone: tzinfo) -> str:
    """``value`` as CSV text (the same conversions as the workbook)."""
    value = cell_value(value, zone=zone)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _rows(table: Table) -> Iterator[Any]:
    rows = table.rows
    source = rows.iterator(chunk_size=CHUNK_ROWS) if isinstance(rows, QuerySet) else iter(rows)
    if table.batch is None:
        yield from source
        return
    while chunk := list(islice(source, CHUNK_ROWS)):
        table.batch(chunk)
        yield from chunk


def headers(table: Table) -> list[str]:
    return [str(column.header) for column in table.columns]


# --- the writers ----------------------------------------------------------------------------
class _Line:
    """A file that hands back what ``csv.writer`` wrote instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def csv_chunks(
    table: Table, *, zone: tzinfo, progress: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """The table as UTF-8 CSV with a BOM, a few hundred rows per chunk."""
    writer = csv.writer(_Line())
    yield (BOM + writer.writerow(headers(table))).encode()
    batch: list[str] = []
    done = 0
    for row in _rows(table):
        batch.append(writer.writerow([csv_text(c.value(row), zone=zone) for c in table.columns]))
        done += 1
        if len(batch) == 500:
            yield "".join(batch).encode()
            batch = []
            if progress is not None:
                progress(done)
    if batch:
        yield "".join(batch).encode()
    if progress is not None:
        progress(done)


def xlsx_write(
    table: Table,
    target: IO[bytes] | str,
    *,
    zone: tzinfo,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the table as a workbook to ``target`` (a path or a binary file); returns the
    number of rows. Rows are compressed into the file as they come (``core.xlsx``)."""
    widths = [column.width for column in table.columns]
    done = 0
    with SheetWriter(target, title=_sheet_title(table.title), widths=widths) as sheet:
        sheet.header(headers(table))
        for row in _rows(table):
            sheet.row([cell_value(c.value(row), zone=zone) for c in table.columns])
            done += 1
            if progress is not None and done % 1000 == 0:
                progress(done)
    if progress is not None:
        progress(done)
    return done


def _sheet_title(title: str | Promise) -> str:
    # A worksheet's name: at most 31 characters, none of []:*?/\
    text = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:31]
    return text or "Sheet1"


def file_name(name: str, fmt: str, *, zone: tzinfo) -> str:
    """``devices-2026-12-08.xlsx``: the list and the viewer's day."""
    return f"{name}-{timezone.localdate(timezone.now(), zone).isoformat()}.{fmt}"


def table_response(
    table: Table, *, fmt: str, name: str, zone: tzinfo | None = None
) -> StreamingHttpResponse | FileResponse:
    """The table as a download: the CSV streamed as it is written, the workbook written to a
    temporary file (deleted when closed) and streamed from it."""
    zone = zone or timezone.get_current_timezone()
    filename = file_name(name, fmt, zone=zone)
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_chunks(table, zone=zone), content_type=CONTENT_TYPES[fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if fmt != "xlsx":
        raise ValueError(f"unknown export format {fmt!r}")
    spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    xlsx_write(table, spool, zone=zone)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[fmt]
    )


# --- a list of the project -----------------------------------------------------------------
@dataclass(frozen=True)
class ListExport:
    """A list's export: the list's own FilterSet applied to the list's own scoped rows.

    ``rows(request)`` is the queryset the list page shows the viewer (it refuses a viewer
    the page refuses, by raising as the page does); ``defaults`` are the page's filter values
    when its query string lacks them (e.g. the calls of today); ``options(request)`` extra
    keywords of the FilterSet (e.g. ``now``); ``select_related`` / ``prefetch_related``
    make the rows one query stream instead of one query per row; ``only`` (optional) the
    fields the columns read, which makes each row cheaper to build (a column that reads
    another field costs a query per row: the tests count the queries). ``joined`` names
    many-to-many relations that columns show as text (``joined_text(row, name)``): read per
    chunk of rows in one query of ids and a cache of names, several times cheaper than a
    ``prefetch_related`` that builds a model per related row.
    """

    name: str
    title: str | Promise
    filterset: type[ListFilterSet]
    rows: Callable[[HttpRequest], QuerySet]
    columns: tuple[Column, ...]
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[Any, ...] = ()  # names or Prefetch objects
    only: tuple[str, ...] = ()
    joined: tuple[str, ...] = ()
    defaults: Callable[[], dict[str, str]] | None = None
    options: Callable[[HttpRequest], dict[str, Any]] = field(default=lambda request: {})

    def prepared(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` read as the columns need: the list's own joins and nothing else (a
        page's or an endpoint's prefetches would be repeated for every chunk of rows)."""
        queryset = queryset.prefetch_related(None)
        if self.only:
            queryset = queryset.select_related(None)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        if self.only:
            queryset = queryset.only(*self.only)
        return queryset

    def page_query(self, data: QueryDict) -> QueryDict:
        """The page's query string with the page's defaults where it lacks them."""
        query = data.copy()
        for key, value in (self.defaults() if self.defaults else {}).items():
            query.setdefault(key, value)
        return query

    def filtered(self, request: HttpRequest, data: QueryDict) -> QuerySet:
        """The rows the page shows for ``data`` (its query string): a filter value that is
        not valid (outside the viewer's scope) is left out, as on the page."""
        filterset = self.filterset(
            self.page_query(data), self.rows(request), request=request, **self.options(request)
        )
        return self.prepared(filterset.qs)

    def table(self, queryset: QuerySet) -> Table:
        rows = self.prepared(queryset)
        batch = _Joined(rows.model, self.joined) if self.joined else None
        return Table(columns=self.columns, rows=rows, title=self.title, batch=batch)

    def response(self, queryset: QuerySet, *, fmt: str) -> StreamingHttpResponse | FileResponse:
        """The download of ``queryset`` (rows of this list, already filtered)."""
        return table_response(self.table(queryset), fmt=fmt, name=self.name)


# --- the API's ``format=`` -----------------------------------------------------------------
class ExportQuery(Input):
    """``format=csv|xlsx``: the list as a file, with the same filters, instead of a page."""

    format: ExportFormat | None = Field(
        None, description="csv or xlsx: the whole filtered list as a file instead of a page"
    )


EXPORT_OPENAPI: dict[str, Any] = {
    "responses": {
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    }
}


# --- small value helpers for the apps' columns ----------------------------------------------
def text_of(value: Any) -> str:
    """A related record as its name; none as empty."""
    return "" if value is None else str(value)


JOINED_ATTRIBUTE = "_export_joined"


def joined_text(row: Any, relation: str) -> str:
    """The records of ``relation`` (one of the list's ``joined``) of ``row`` on one line."""
    return getattr(row, JOINED_ATTRIBUTE, {}).get(relation, "")


class _Joined:
    """Per chunk of rows, the text of each many-to-many relation: the pairs of ids from the
    relation's table in one query, the related records' names from a cache that asks only
    for those not seen yet (engineers, topics, departments: a few hundred at most)."""

    def __init__(self, model: type[Model], relations: Sequence[str]) -> None:
        self.relations: list[tuple[str, Any, str, str, Any, dict[int, str]]] = []
        for name in relations:
            relation = model._meta.get_field(name)
            through = relation.remote_field.through  # type: ignore[union-attr]
            source = relation.m2m_field_name()  # type: ignore[union-attr]
            target = relation.m2m_reverse_field_name()  # type: ignore[union-attr]
            related = relation.related_model
            self.relations.append((name, through, f"{source}_id", f"{target}_id", related, {}))

    def __call__(self, rows: list[Any]) -> None:
        ids = [row.pk for row in rows]
        found: dict[int, dict[str, list[str]]] = {pk: {} for pk in ids}
        for name, through, source, target, related, names in self.relations:
            pairs = list(
                through._default_manager.filter(**{f"{source}__in": ids})
                .order_by(source, "pk")
                .values_list(source, target)
            )
            missing = {t for _s, t in pairs} - names.keys()
            if missing:
                names.update(
                    (record.pk, str(record))
                    for record in related._default_manager.filter(pk__in=missing)
                )
            for row_id, related_id in pairs:
                found[row_id].setdefault(name, []).append(names[related_id])
        for row in rows:
            joined = {name: ", ".join(texts) for name, texts in found[row.pk].items()}
            setattr(row, JOINED_ATTRIBUTE, joined)


def label_of(name: str) -> Callable[[Any], Any]:
    """A column value: the label of the row's choice field ``name`` (what
    ``get_<name>_display`` gives, without rebuilding the choices for every row)."""
    labels_by_model: dict[type, dict[Any, Any]] = {}

    def value(row: Any) -> Any:
        labels = labels_by_model.get(type(row))
        if labels is None:
            field = type(row)._meta.get_field(name)
            labels = labels_by_model[type(row)] = dict(field.flatchoices)
        raw = getattr(row, name)
        return labels.get(raw, raw)

    return value
