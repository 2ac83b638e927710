"""The workbook side of the parts-catalogue import (issue 5 §5): the columns and their
Chinese and English headers, reading an ``.xlsx`` with openpyxl (read-only, with a guard
against zip bombs) into rows of raw cell values, and the template workbook to download.
What the values mean is ``parts.importing``'s business."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_ROWS = 20_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a 5 MB upload that unpacks to more is a zip bomb


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
    """The file as a whole cannot be imported (not a workbook, no header, no rows)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- reading the workbook -----------------------------------------------------------------
def _open_sheet(path: Path):
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(path):
        raise ImportFileError(
            _("This file is not an Excel workbook (.xlsx). Save it as .xlsx and try again.")
        )
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(_("This workbook is too large once unpacked: split it."))
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds of error on a broken file
        raise ImportFileError(_("This file cannot be read as an Excel workbook (.xlsx).")) from exc
    return workbook, sheet


def blank(value: Any) -> bool:
    """An empty cell: None or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def _header_map(cells: tuple[Any, ...]) -> dict[int, str]:
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
            raise ImportFileError(
                _("The column “%(column)s” appears twice in the header row.")
                % {"column": COLUMN_BY_KEY[key].label}
            )
        seen[key] = index
        mapping[index] = key
    missing = [str(c.label) for c in COLUMNS if c.required and c.key not in seen]
    if missing:
        raise ImportFileError(
            _("The header row lacks the columns: %(columns)s. Download the template to see them.")
            % {"columns": ", ".join(missing)}
        )
    return mapping


def _iter_rows(path: Path) -> Iterator[tuple[dict[int, str], int, tuple[Any, ...]]]:
    """(header map, sheet row number, cells) for every non-blank row after the header."""
    workbook, sheet = _open_sheet(path)
    try:
        header: dict[int, str] | None = None
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if all(blank(cell) for cell in cells):
                continue
            if header is None:
                header = _header_map(cells)
                continue
            yield header, number, cells
        if header is None:
            raise ImportFileError(_("The file is empty: it has no header row and no rows."))
    finally:
        workbook.close()


def inspect_workbook(path: Path) -> None:
    """Raise ``ImportFileError`` unless the file is a workbook with a usable header row and
    at least one row (cheap: reads up to the first row)."""
    for _row in _iter_rows(path):
        return
    raise ImportFileError(_("The file has a header row but no rows to import."))


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Every non-blank row as (sheet row number, {field key: cell value})."""
    rows: list[tuple[int, dict[str, Any]]] = []
    for header, number, cells in _iter_rows(path):
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)s rows: split it into smaller files.")
                % {"max": f"{MAX_ROWS:,}"}
            )
        rows.append(
            (number, {key: cells[i] if i < len(cells) else None for i, key in header.items()})
        )
    if not rows:
        raise ImportFileError(_("The file has a header row but no rows to import."))
    return rows


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
