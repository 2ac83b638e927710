"""A workbook written row by row as the SpreadsheetML it is (issue 14 §3): one sheet, inline
strings, numbers, dates and times with a date format, a bold frozen header row.

Why not openpyxl's write-only mode: it builds a cell object and an XML element per value,
about 9 µs a cell on this machine, which made 100,000 rows × 13 columns cost 11 s of CPU on
their own (docs/benchmarks.md, "Exports"); formatting the XML text directly costs about a
tenth of that. openpyxl still reads what is written here (the tests open every export with
it). Domain-free; the cells arrive converted by ``core.exports.cell_value`` (aware times
made local and naive, text neutralised and stripped of XML-illegal characters).
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

MAX_TEXT = 32_767  # what a cell holds in Excel
EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - naive local times: Excel's day 0 (the 1900 leap-year bug included)
FIRST_DAY = date(1900, 3, 1)  # before it, Excel's serial days are wrong: written as text
STYLE_DATE, STYLE_TIME, STYLE_HEADER = 1, 2, 3
ROWS_PER_WRITE = 500

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    f'{HEAD}<Types xmlns="{PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OOXML}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{OOXML}.styles+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    f'{HEAD}<Relationships xmlns="{PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    f'{HEAD}<Relationships xmlns="{PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
STYLES = (
    f'{HEAD}<styleSheet xmlns="{NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)  # fmt: skip


def _text(ref: str, text: str, style: str = "") -> str:
    return (
        f'<c r="{ref}" t="inlineStr"{style}><is><t xml:space="preserve">'
        f"{escape(text[:MAX_TEXT])}</t></is></c>"
    )


def cell_xml(ref: str, value: Any) -> str:
    """One cell at ``ref`` (``B7``); ``None`` is no cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _text(ref, value)
    if isinstance(value, bool):
        return _text(ref, str(value))
    if isinstance(value, int | Decimal) or (isinstance(value, float) and math.isfinite(value)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, datetime):
        if value.date() < FIRST_DAY:
            return _text(ref, value.strftime("%Y-%m-%d %H:%M"))
        serial = (value.replace(tzinfo=None) - EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{STYLE_TIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        if value < FIRST_DAY:
            return _text(ref, value.isoformat())
        return f'<c r="{ref}" s="{STYLE_DATE}"><v>{(value - EPOCH.date()).days}</v></c>'
    return _text(ref, str(value))


class SheetWriter:
    """``with SheetWriter(target, title=…, widths=…) as sheet: sheet.header(…); sheet.row(…)``:
    the workbook's parts around one sheet whose rows are compressed as they come."""

    def __init__(self, target: IO[bytes] | str, *, title: str, widths: Sequence[int]) -> None:
        self.archive = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
        self.title = title
        self.letters = [get_column_letter(n) for n in range(1, len(widths) + 1)]
        self.widths = widths
        self.rows = 0
        self.pending: list[str] = []
        self.sheet: IO[bytes] | None = None

    def __enter__(self) -> SheetWriter:
        self.archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        self.archive.writestr("_rels/.rels", PACKAGE_RELS)
        self.archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        self.archive.writestr("xl/styles.xml", STYLES)
        self.archive.writestr(
            "xl/workbook.xml",
            f'{HEAD}<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets>'
            f'<sheet name={quoteattr(self.title)} sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        self.sheet = self.archive.open("xl/worksheets/sheet1.xml", "w")
        columns = "".join(
            f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
            for n, width in enumerate(self.widths, start=1)
        )
        self.sheet.write(
            (
                f'{HEAD}<worksheet xmlns="{NS}"><sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                f"</sheetView></sheetViews><cols>{columns}</cols><sheetData>"
            ).encode()
        )
        return self

    def header(self, texts: Iterable[str]) -> None:
        self.rows += 1
        cells = "".join(
            _text(f"{letter}1", text, f' s="{STYLE_HEADER}"')
            for letter, text in zip(self.letters, texts, strict=False)
        )
        self.pending.append(f'<row r="1">{cells}</row>')

    def row(self, values: Sequence[Any]) -> None:
        self.rows += 1
        n = self.rows
        cells = "".join(
            cell_xml(f"{letter}{n}", value)
            for letter, value in zip(self.letters, values, strict=False)
        )
        self.pending.append(f'<row r="{n}">{cells}</row>')
        if len(self.pending) >= ROWS_PER_WRITE:
            self._flush()

    def _flush(self) -> None:
        assert self.sheet is not None
        self.sheet.write("".join(self.pending).encode())
        self.pending = []

    def __exit__(self, *exc: object) -> None:
        try:
            if self.sheet is not None:
                self._flush()
                self.sheet.write(b"</sheetData></worksheet>")
                self.sheet.close()
        finally:
            self.archive.close()
