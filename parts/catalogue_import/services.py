"""Bulk import of the parts catalogue from an Excel workbook (issue 5 §5).

Three steps, each testable on its own:

* ``parts.catalogue_import.workbook.read_rows`` opens an ``.xlsx`` with openpyxl
  (read-only) and maps its header row (Chinese or English headers, see ``COLUMNS``
  there) to the catalogue's fields;
* ``parse_row`` turns one row of cell values into typed values and per-column errors
  (pure: no database);
* ``validate_rows`` checks the rows against the database (models exist, duplicate part
  numbers, a part number that exists is an update) and runs the model's field validation
  on each row, since the write is a ``bulk_create`` / ``bulk_update`` that skips
  ``full_clean``; ``parts.catalogue_import.write.import_rows`` writes the good rows in bulk.

Nothing here knows about requests, sessions or the queue (``parts.catalogue_import.jobs`` does).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .workbook import COLUMN_BY_KEY, blank

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
    if blank(value):
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
    from ..models import SparePart

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
    from ..models import SparePart, StockMovement

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
