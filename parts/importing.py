"""Bulk import of the parts catalogue from an Excel workbook (issue 5 §5).

Three steps, each testable on its own:

* ``inspect_workbook`` / ``read_rows`` open an ``.xlsx`` with openpyxl (read-only) and map
  its header row (Chinese or English headers, see ``COLUMNS``) to the catalogue's fields;
* ``parse_row`` turns one row of cell values into typed values and per-column errors
  (pure: no database);
* ``validate_rows`` checks the rows against the database (models exist, duplicate part
  numbers, a part number that exists is an update) and runs the model's field validation
  on each row, since the write is a ``bulk_create`` / ``bulk_update`` that skips
  ``full_clean``; ``parts.import_write.import_rows`` writes the good rows in bulk.

Nothing here knows about requests, sessions or the queue (``parts.import_jobs`` does).
"""

from __future__ import annotations

import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

MAX_ROWS = 20_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a 5 MB upload that unpacks to more is a zip bomb
TWO_PLACES = Decimal("0.01")
MAX_PRICE = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
# A float cell further than this from a 2-place value is a real third decimal, not an
# artefact of binary floating point (12.3000000001 is 12.30; 12.345 is refused).
FLOAT_TOLERANCE = Decimal("0.000001")
TRUE_WORDS = {"是", "yes", "y", "true", "t", "1", "√", "✓", "x"}
FALSE_WORDS = {"否", "no", "n", "false", "f", "0", ""}
MODEL_SEPARATORS = re.compile(r"[,，;；、\n]")
KEYWORD_SEPARATOR = ", "  # how SparePart.symptom_keywords stores its words
CURRENCY = re.compile(r"^[A-Z]{3}$")
Progress = Callable[[int, int], None]


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


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_map(cells: tuple[Any, ...]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    seen: dict[str, int] = {}
    aliases = _header_aliases()
    for index, cell in enumerate(cells):
        if _blank(cell):
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
            if all(_blank(cell) for cell in cells):
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


# --- one row, no database -----------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a part number typed as a number: 12345, not 12345.0
    return str(value).strip()


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = _text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(_("Write 是/否, yes/no, true/false or 1/0."))


def parse_price(value: Any) -> Decimal:
    """A price with at most 2 decimal places, 0 or more. A numeric cell that is a float
    artefact of a 2-place value (12.3000000001) is rounded; any other third decimal is
    refused rather than silently rounded away."""
    if _blank(value):
        raise ValueError(_("This field is required."))
    if isinstance(value, bool):
        raise ValueError(_("Write a number, for example 12.50."))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(_("Write a number, for example 12.50."))
        amount = Decimal(repr(value))
        rounded = amount.quantize(TWO_PLACES)
        if abs(amount - rounded) > FLOAT_TOLERANCE:
            raise ValueError(_("Prices have at most 2 decimal places."))
        amount = rounded
    elif isinstance(value, int):
        amount = Decimal(value)
    else:
        text = re.sub(r"[\s¥￥,]", "", str(value))
        if text.upper().startswith(("CNY", "RMB")):
            text = text[3:]
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("Write a number, for example 12.50.")) from None
        if not amount.is_finite():
            raise ValueError(_("Write a number, for example 12.50."))
        if amount != amount.quantize(TWO_PLACES):
            raise ValueError(_("Prices have at most 2 decimal places."))
    if amount < 0:
        raise ValueError(_("A price cannot be negative."))
    if amount > MAX_PRICE:
        raise ValueError(_("This price is too large."))
    return amount.quantize(TWO_PLACES)


def split_models(value: Any) -> list[str]:
    return [name.strip() for name in MODEL_SEPARATORS.split(_text(value)) if name.strip()]


def split_keywords(value: Any) -> list[str]:
    """The words of a keywords cell, each once (case-insensitively), in their order."""
    words: dict[str, str] = {}
    for word in MODEL_SEPARATORS.split(_text(value)):
        word = " ".join(word.split())
        if word:
            words.setdefault(word.casefold(), word)
    return list(words.values())


def parse_row(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Typed values and per-column errors of one row; the models stay names here."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = defaultdict(list)

    def text(key: str, max_length: int, *, default: str = "", required: bool = False) -> None:
        value = _text(raw.get(key)) or default
        if required and not value:
            errors[key].append(_("This field is required."))
        elif len(value) > max_length:
            errors[key].append(
                _("At most %(n)s characters (this has %(len)s).")
                % {"n": max_length, "len": len(value)}
            )
        values[key] = value

    text("part_number", 60, required=True)
    text("name_zh", 200, required=True)
    text("name_en", 200)
    text("unit", 20, default="pcs")
    currency = _text(raw.get("currency")).upper() or "CNY"
    if not CURRENCY.match(currency):
        errors["currency"].append(_("Write a 3-letter currency code, for example CNY."))
    values["currency"] = currency
    try:
        values["is_main_component"] = parse_bool(raw.get("is_main_component"))
    except ValueError as exc:
        errors["is_main_component"].append(str(exc))
    for key in ("cost_price", "list_price"):
        try:
            values[key] = parse_price(raw.get(key))
        except ValueError as exc:
            errors[key].append(str(exc))
    values["product_models"] = split_models(raw.get("product_models"))
    if "symptom_keywords" in raw:
        # Only a file with the column sets the keywords: an older template without it
        # leaves the keywords typed in by hand alone. Its length is the model's check.
        values["symptom_keywords"] = KEYWORD_SEPARATOR.join(
            split_keywords(raw.get("symptom_keywords"))
        )
    return values, dict(errors)


def model_errors(values: dict[str, Any], *, skip: Iterable[str] = ()) -> dict[str, list[str]]:
    """The model's own field validation (lengths, validators) of a row's values, without
    the database: what ``full_clean`` would say before ``save``, since the bulk write
    skips it. Fields in ``skip`` (already refused by ``parse_row``) are not checked."""
    from .models import SparePart

    fields = {k: v for k, v in values.items() if k in PART_FIELDS and k not in skip}
    try:
        SparePart(**fields).clean_fields(exclude=[f for f in ALL_PART_FIELDS if f not in fields])
    except ValidationError as exc:
        return exc.message_dict
    return {}


# --- all rows, against the database -------------------------------------------------------
@dataclass
class RowResult:
    row: int
    part_number: str
    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)
    model_ids: list[int] = field(default_factory=list)
    existing_id: int | None = None
    changes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def action(self) -> str:
        if self.errors:
            return "error"
        return "update" if self.existing_id else "create"

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def as_report(self) -> dict[str, Any]:
        """What the report page shows of this row (JSON-safe)."""
        return {
            "row": self.row,
            "part_number": self.part_number,
            "action": self.action,
            "errors": [
                {"column": str(COLUMN_BY_KEY[key].label), "messages": messages}
                for key, messages in self.errors.items()
            ],
            "changes": self.changes,
        }


class ModelIndex:
    """Product models by GTIN, by "manufacturer name" and by name (if unambiguous)."""

    def __init__(self) -> None:
        from assets.models import ProductModel

        self.by_key: dict[str, set[int]] = defaultdict(set)
        for pk, manufacturer, name, gtin in ProductModel.objects.values_list(
            "pk", "manufacturer", "name", "gtin"
        ):
            for key in (gtin, f"{manufacturer} {name}", name):
                if key:
                    self.by_key[key.strip().casefold()].add(pk)

    def find(self, label: str) -> tuple[int | None, str | None]:
        found = self.by_key.get(label.casefold(), set())
        if len(found) == 1:
            return next(iter(found)), None
        if not found:
            return None, _("No product model “%(model)s”.") % {"model": label}
        return None, _("“%(model)s” names several models: add the manufacturer or the GTIN.") % {
            "model": label
        }


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_parts(part_numbers: list[str]) -> dict[str, dict[str, Any]]:
    from .models import SparePart, StockMovement

    found: dict[str, dict[str, Any]] = {}
    moved = StockMovement.objects.filter(part=OuterRef("pk"))
    for chunk in _chunks(part_numbers):
        parts = (
            SparePart.objects.filter(part_number__in=chunk)
            .annotate(has_movements=Exists(moved))
            .prefetch_related("product_models")
        )
        for part in parts:
            found[part.part_number] = {
                "pk": part.pk,
                "has_movements": part.has_movements,
                "fields": {name: getattr(part, name) for name in COMPARED_FIELDS},
                "model_ids": sorted(m.pk for m in part.product_models.all()),
            }
    return found


COMPARED_FIELDS = (
    "name_zh",
    "name_en",
    "is_main_component",
    "unit",
    "cost_price",
    "list_price",
    "currency",
    "symptom_keywords",
)
PART_FIELDS = ("part_number", *COMPARED_FIELDS)  # what a row writes besides the models
ALL_PART_FIELDS = (
    *PART_FIELDS,
    "id",
    "active",
    "created_at",
    "updated_at",
)


def validate_rows(
    rows: list[tuple[int, dict[str, Any]]], *, progress: Progress | None = None
) -> list[RowResult]:
    """Every row checked; ``progress(done, total)`` is called every few hundred rows."""
    total = len(rows)
    models = ModelIndex()
    results: list[RowResult] = []
    for done, (number, raw) in enumerate(rows, start=1):
        values, errors = parse_row(raw)
        for key, messages in model_errors(values, skip=errors).items():
            errors.setdefault(key, []).extend(messages)
        result = RowResult(number, values["part_number"], values, errors)
        for label in values["product_models"]:
            pk, error = models.find(label)
            if error or pk is None:
                result.add("product_models", error or "")
            elif pk not in result.model_ids:
                result.model_ids.append(pk)
        results.append(result)
        if progress and done % 250 == 0:
            progress(done, total)
    rows_of: dict[str, list[int]] = defaultdict(list)
    for result in results:
        if result.part_number:
            rows_of[result.part_number].append(result.row)
    for result in results:
        others = [n for n in rows_of.get(result.part_number, []) if n != result.row]
        if others:
            result.add(
                "part_number",
                ngettext(
                    "The same part number is also on row %(rows)s.",
                    "The same part number is also on rows %(rows)s.",
                    len(others),
                )
                % {"rows": ", ".join(map(str, others))},
            )
    existing = _existing_parts(list(rows_of))
    for result in results:
        part = existing.get(result.part_number)
        if part is None:
            continue
        result.existing_id = part["pk"]
        tracking = result.values.get("is_main_component")
        if (
            part["has_movements"]
            and tracking is not None
            and tracking != part["fields"]["is_main_component"]
        ):
            result.add(
                "is_main_component",
                _("This part already has stock movements: its tracking cannot change."),
            )
        result.changes = [
            str(COLUMN_BY_KEY[name].label)
            for name in COMPARED_FIELDS
            if name in result.values and result.values[name] != part["fields"][name]
        ]
        if sorted(result.model_ids) != part["model_ids"]:
            result.changes.append(str(COLUMN_BY_KEY["product_models"].label))
    if progress:
        progress(total, total)
    return results


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
