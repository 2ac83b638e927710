"""The workbook side of the parts-catalogue import (issue 5 §5): the columns and their
Chinese and English headers, reading an ``.xlsx`` into rows of raw cell values (checked and
read by ``parts.catalogue_import.sandbox`` in a child process with CPU and memory limits, issue 10
§7), why a file is refused, and the template workbook to download. What the values mean is
``parts.catalogue_import.services``'s business."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .guard import Limits, WorkbookRefused
from .sandbox import blank, read_sandboxed

MAX_ROWS = 20_000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a 5 MB upload that unpacks to more is a zip bomb


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "part_number",
        gettext_lazy("Part number"),
        ("part number", "part no", "part no.", "备件号", "零件号", "部件号", "料号", "编号"),
        required=True,
    ),
    Column(
        "name_zh",
        gettext_lazy("Name (zh)"),
        ("name (zh)", "name zh", "chinese name", "名称（中文）", "中文名称", "名称"),
        required=True,
    ),
    Column(
        "name_en", gettext_lazy("Name (en)"), ("name (en)", "name en", "english name", "英文名称")
    ),
    Column(
        "product_models",
        gettext_lazy("Product models"),
        ("product models", "models", "fits models", "适用型号", "产品型号", "型号"),
    ),
    Column(
        "is_main_component",
        gettext_lazy("Main component"),
        ("main component", "is main component", "主要部件", "主部件", "是否主要部件"),
    ),
    Column("unit", gettext_lazy("Unit"), ("unit", "单位")),
    Column(
        "cost_price",
        gettext_lazy("Cost price"),
        ("cost price", "cost", "成本价", "成本价格"),
        required=True,
    ),
    Column(
        "list_price",
        gettext_lazy("List price"),
        ("list price", "price", "标价", "定价", "价目表价格", "售价"),
        required=True,
    ),
    Column("currency", gettext_lazy("Currency"), ("currency", "币种", "货币")),
    Column(
        "symptom_keywords",
        gettext_lazy("Symptom keywords"),
        ("symptom keywords", "keywords", "symptoms", "故障关键词", "症状关键词", "关键词"),
    ),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
FIELD_NAMES = {  # the catalogue's field names are accepted as headers too
    "name_zh": "name_zh",
    "name_en": "name_en",
    "part_number": "part_number",
    "product_models": "product_models",
    "is_main_component": "is_main_component",
    "cost_price": "cost_price",
    "list_price": "list_price",
    "symptom_keywords": "symptom_keywords",
}


def _normalise_header(value: Any) -> str:
    text = str(value or "").strip().lower()
    text = text.replace("（", "(").replace("）", ")").replace("*", "").replace("_", " ")
    return re.sub(r"\s+", "", text)


HEADER_ALIASES: dict[str, str] = {
    _normalise_header(alias): column.key for column in COLUMNS for alias in column.aliases
} | {_normalise_header(name): key for name, key in FIELD_NAMES.items()}


def _header_aliases() -> dict[str, str]:
    """The fixed aliases plus each column's label in every language of the site, so the
    template's own header row is always understood, whatever its translation says."""
    from django.conf import settings
    from django.utils import translation

    aliases = dict(HEADER_ALIASES)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for column in COLUMNS:
                aliases.setdefault(_normalise_header(column.label), column.key)
    return aliases


class ImportFileError(Exception):
    """The file as a whole cannot be imported (not a workbook, too large or complex to read,
    no header, no rows). ``code`` and ``params`` are stable; ``message`` words them in the
    current language, so a page can show the reason in its reader's language."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> str:
        return file_error_message(self.code, self.params)

    def __str__(self) -> str:
        return self.message


# A parts list is a few thousand rows of about ten columns. These caps leave room for blank
# rows, notes columns and long names, and refuse what only a crafted file needs.
MAX_SHEET_ROWS = 50_000  # the highest row number a sheet may declare or hold
MAX_SHEET_COLUMNS = 100  # column CV
MAX_SHARED_STRINGS = 500_000  # different texts in the workbook
MAX_MEMBERS = 1_000  # files inside the .xlsx zip
# The reader's child process: a 20,000-row file takes about 3 s of CPU and 60 MB.
READ_CPU_SECONDS = 60
READ_MEMORY_BYTES = 1024 * 1024 * 1024


def read_limits() -> Limits:
    """The caps as they are now (read at call time, so a test may lower one)."""
    return Limits(
        max_unpacked_bytes=MAX_UNPACKED_BYTES,
        max_members=MAX_MEMBERS,
        max_sheet_rows=MAX_SHEET_ROWS,
        max_sheet_columns=MAX_SHEET_COLUMNS,
        max_shared_strings=MAX_SHARED_STRINGS,
        max_rows=MAX_ROWS,
    )


def file_error_message(code: str, params: dict[str, Any]) -> str:
    """Why a file is refused, in the current language."""
    count = {k: f"{v:,}" if isinstance(v, int) else v for k, v in params.items()}
    if code == "not_a_workbook":
        return _("This file is not an Excel workbook (.xlsx). Save it as .xlsx and try again.")
    if code == "too_large_unpacked":
        return _("This workbook is too large once unpacked: split it.")
    if code == "too_many_members":
        return _(
            "This workbook holds more than %(max)s files inside: save the parts list alone "
            "as a new .xlsx file."
        ) % {"max": count.get("max", "")}
    if code == "too_many_sheet_rows":
        return _(
            "The sheet reaches row %(row)s, but at most %(max)s rows are read: delete the "
            "empty rows below the list, or split it into smaller files."
        ) % {"row": count.get("row", ""), "max": count.get("max", "")}
    if code == "too_many_sheet_columns":
        return _(
            "The sheet reaches column %(column)s, but at most %(max)s columns (up to "
            "%(last)s) are read: delete the columns beside the list."
        ) % {
            "column": column_letters(int(params.get("column") or 1)),
            "max": count.get("max", ""),
            "last": column_letters(int(params.get("max") or 1)),
        }
    if code == "too_many_strings":
        return _(
            "The workbook holds more than %(max)s different texts: split it into smaller files."
        ) % {"max": count.get("max", "")}
    if code == "too_many_rows":
        return _("The file has more than %(max)s rows: split it into smaller files.") % {
            "max": count.get("max", "")
        }
    if code == "too_complex":
        return _(
            "This file is too complex to read: save it again as a plain .xlsx with only the "
            "parts list, or split it into smaller files."
        )
    if code == "empty":
        return _("The file is empty: it has no header row and no rows.")
    if code == "no_rows":
        return _("The file has a header row but no rows to import.")
    if code == "duplicate_column":
        return _("The column “%(column)s” appears twice in the header row.") % {
            "column": COLUMN_BY_KEY[params["column"]].label
        }
    if code == "missing_columns":
        return _(
            "The header row lacks the columns: %(columns)s. Download the template to see them."
        ) % {"columns": ", ".join(str(COLUMN_BY_KEY[key].label) for key in params["columns"])}
    return _("This file cannot be read as an Excel workbook (.xlsx).")


def column_letters(number: int) -> str:
    """1 → ``A``, 16384 → ``XFD``."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def looks_like_workbook(upload: Any) -> bool:
    """The upload starts as a zip archive does (an .xlsx is one). Only the first bytes are
    read: the web process never unpacks or parses a workbook; the worker does."""
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    return bool(head == b"PK\x03\x04")


# --- reading the workbook (in the worker, through the sandbox) ------------------------------
def _header_map(cells: list[Any]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    seen: dict[str, int] = {}
    aliases = _header_aliases()
    for index, cell in enumerate(cells):
        if blank(cell):
            continue
        key = aliases.get(_normalise_header(cell))
        if key is None:
            continue  # extra columns (notes, stock) are ignored
        if key in seen:
            raise ImportFileError("duplicate_column", column=key)
        seen[key] = index
        mapping[index] = key
    missing = [c.key for c in COLUMNS if c.required and c.key not in seen]
    if missing:
        raise ImportFileError("missing_columns", columns=missing)
    return mapping


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Every non-blank row after the header as (sheet row number, {field key: cell value}).
    The file is checked and read in a child process with CPU and memory limits
    (``parts.catalogue_import.sandbox``); call this from the worker, never from a web request."""
    try:
        sheet = read_sandboxed(
            path, read_limits(), cpu_seconds=READ_CPU_SECONDS, memory_bytes=READ_MEMORY_BYTES
        )
    except WorkbookRefused as exc:
        raise ImportFileError(exc.code, **exc.params) from exc
    if not sheet:
        raise ImportFileError("empty")
    (_number, header_cells), body = sheet[0], sheet[1:]
    header = _header_map(header_cells)
    if not body:
        raise ImportFileError("no_rows")
    if len(body) > MAX_ROWS:
        raise ImportFileError("too_many_rows", max=MAX_ROWS)
    return [
        (number, {key: cells[i] if i < len(cells) else None for i, key in header.items()})
        for number, cells in body
    ]


# --- the template workbook ----------------------------------------------------------------
def template_workbook(example_model: str = "") -> bytes:
    """An .xlsx with the header row (in the current language) and one example row."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Spare parts")[:31]
    sheet.append([str(column.label) for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(
        [
            "PB-1001",
            "电源板",
            "Power board",
            example_model,
            "是",
            "pcs",
            1200.00,
            1800.00,
            "CNY",
            "no display, 黑屏",
        ]
    )
    widths = (16, 20, 20, 30, 14, 8, 12, 12, 10, 30)
    for letter, width in zip("ABCDEFGHIJ", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
