"""Writing the checked rows of a catalogue import, in bulk (issue 5 §5).

Row-by-row saves held SQLite's write lock for 13-20 s per 5,000 rows (a ``part_update``
or ``part_create`` and an M2M ``set`` per row). Here the whole write is one transaction
of a bounded number of statements per batch of ``BATCH_SIZE`` rows:

* one locking read of the parts the file names (by part number), which re-checks what
  may have changed since ``validate_rows``: a part added or deleted meanwhile, a part
  whose tracking may no longer change;
* ``bulk_create`` of the new parts and one ``UPDATE … FROM (VALUES …)`` per batch of the
  changed ones (``_update_parts``: ``bulk_update`` is too slow in Python), ``updated_at``
  included;
* the product-model links through the M2M ``through`` model: the links of updated parts
  whose models changed are deleted and every new link is inserted with ``bulk_create``;
* the parts' history (django-simple-history, issue 10 §12): bulk statements send no
  signals, so every created and every changed part gets its historical row here, one
  ``INSERT … SELECT`` per batch in the same transaction, with the importing user and the
  file as the reason.

``bulk_create`` skips ``full_clean``, so the model's field validation runs in Python on
every row first (``importing.model_errors``, also part of the report); the database's
unique and CHECK constraints still hold, and any refusal rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import SparePart, StockMovement
from .services import COMPARED_FIELDS, RowResult, model_errors

BATCH_SIZE = 500
HISTORY_REASON_LENGTH = 100  # simple-history's history_change_reason
Progress = Callable[[int, int], None]
T = TypeVar("T")


@dataclass
class ImportOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


class RowImportError(Exception):
    """A row the validation passed was refused on writing: the transaction rolled back."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


class ImportConflict(Exception):
    """The database refused the write as a whole (a product model deleted or a part
    number taken meanwhile, found at commit): the transaction rolled back."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fields(result: RowResult) -> dict[str, Any]:
    return {key: result.values[key] for key in COMPARED_FIELDS if key in result.values}


def _locked_parts(part_numbers: list[str], batch_size: int) -> dict[str, SparePart]:
    """The parts of these numbers, locked (PostgreSQL; SQLite's write lock is the whole
    database), with whether they have stock movements."""
    moved = StockMovement.objects.filter(part=OuterRef("pk"))
    found: dict[str, SparePart] = {}
    for batch in _batches(part_numbers, batch_size):
        query = (
            SparePart.objects.select_for_update(of=("self",))
            .filter(part_number__in=batch)
            .annotate(has_movements=Exists(moved))
            .order_by()
        )
        found.update((part.part_number, part) for part in query)
    return found


def _check_models(results: list[RowResult], batch_size: int) -> None:
    from assets.models import ProductModel

    wanted = sorted({pk for result in results for pk in result.model_ids})
    present: set[int] = set()
    for batch in _batches(wanted, batch_size):
        present.update(ProductModel.objects.filter(pk__in=batch).values_list("pk", flat=True))
    for result in results:
        if any(pk not in present for pk in result.model_ids):
            raise RowImportError(result.row, _("A product model of this row was deleted."))


def _link(rows: Sequence[tuple[RowResult, SparePart]]) -> None:
    """The product-model links of saved parts, in one insert through the M2M table."""
    through = SparePart.product_models.through
    through.objects.bulk_create(
        through(sparepart_id=part.pk, productmodel_id=model_id)
        for result, part in rows
        for model_id in result.model_ids
    )


def _update_parts(parts: Sequence[SparePart], columns: list[str]) -> None:
    """``UPDATE … FROM (VALUES …)`` (PostgreSQL, SQLite ≥ 3.33): ``bulk_update`` builds a
    ``CASE WHEN`` per row and column in Python, ~5 ms a row, so 20,000 updated rows took
    ~100 s; this is one plain statement per batch. Values go through each field's
    ``get_db_prep_save``, as ``save`` does; VALUES columns are ``column1…`` on both."""
    meta = SparePart._meta
    fields: list[Any] = [meta.pk, *(meta.get_field(name) for name in columns)]
    quote = connection.ops.quote_name

    def value(index: int, field: Any) -> str:
        if connection.vendor == "postgresql":  # typed, whatever the parameter binding
            return f"CAST(v.column{index} AS {field.db_type(connection)})"
        return f"v.column{index}"

    assignments = ", ".join(
        f"{quote(field.column)} = {value(index, field)}"
        for index, field in enumerate(fields[1:], start=2)
    )
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, connection.ops.bulk_batch_size([f.name for f in fields], parts))
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        for batch in _batches(parts, per_statement):
            params = [
                field.get_db_prep_save(getattr(part, field.attname), connection)
                for part in batch
                for field in fields
            ]
            cursor.execute(
                f"UPDATE {table} SET {assignments} "  # noqa: S608 - names from the model
                f"FROM (VALUES {', '.join([row] * len(batch))}) AS v "
                f"WHERE {table}.{quote(meta.pk.column)} = {value(1, meta.pk)}",
                params,
            )


def _plan(
    writes: list[RowResult], batch_size: int
) -> tuple[list[tuple[RowResult, SparePart]], list[tuple[RowResult, SparePart]]]:
    """The unsaved new parts and the changed known parts, validated again in Python."""
    current = _locked_parts([r.part_number for r in writes], batch_size)
    now = timezone.now()
    creates: list[tuple[RowResult, SparePart]] = []
    updates: list[tuple[RowResult, SparePart]] = []
    for result in writes:
        errors = model_errors({"part_number": result.part_number, **_fields(result)})
        if errors:
            message = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
            raise RowImportError(result.row, message)
        part = current.get(result.part_number)
        if result.existing_id is None:
            if part is not None:
                raise RowImportError(result.row, _("A part with this number was added meanwhile."))
            creates.append((result, SparePart(part_number=result.part_number, **_fields(result))))
            continue
        if part is None or part.pk != result.existing_id:
            raise RowImportError(result.row, _("This part was deleted meanwhile."))
        tracking = result.values.get("is_main_component", part.is_main_component)
        if part.has_movements and tracking != part.is_main_component:  # type: ignore[attr-defined]
            raise RowImportError(
                result.row,
                _("This part already has stock movements: its tracking cannot change."),
            )
        for key, value in _fields(result).items():
            setattr(part, key, value)
        part.updated_at = now
        updates.append((result, part))
    return creates, updates


@dataclass(frozen=True)
class HistoryNote:
    """Who imports, why and when: the parts' historical rows say it."""

    user: User | None
    reason: str
    when: Any

    def record(self, parts: Sequence[SparePart], *, update: bool) -> None:
        """One ``INSERT … SELECT`` of the parts' rows as they now are into the history
        table, with the history columns as bound parameters: the database copies the rows,
        so 20,000 parts cost milliseconds per batch where simple-history's
        ``bulk_history_create`` (a Python object per row, 58 rows per statement under
        SQLite's parameter limit) took seconds. Column names come from the models only."""
        history = SparePart.history.model  # type: ignore[attr-defined]
        quote = connection.ops.quote_name
        tracked = [field.column for field in history.tracked_fields]
        extra = {
            "history_date": self.when,
            "history_change_reason": self.reason,
            "history_type": "~" if update else "+",
            "history_user": self.user.pk if self.user is not None else None,
        }
        columns = tracked + [history._meta.get_field(name).column for name in extra]
        casts = [  # typed on PostgreSQL; SQLite's CAST would make a date a number
            f"CAST(%s AS {history._meta.get_field(name).db_type(connection)})"
            if connection.vendor == "postgresql"
            else "%s"
            for name in extra
        ]
        prepared = [
            history._meta.get_field(name).get_db_prep_save(value, connection)
            for name, value in extra.items()
        ]
        ids = [part.pk for part in parts]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} "  # noqa: S608 - model names
                f"({', '.join(quote(c) for c in columns)}) "
                f"SELECT {', '.join(quote(c) for c in tracked)}, {', '.join(casts)} "
                f"FROM {quote(SparePart._meta.db_table)} "
                f"WHERE {quote(SparePart._meta.pk.column)} IN ({', '.join(['%s'] * len(ids))})",
                [*prepared, *ids],
            )


def _write(
    results: list[RowResult], *, progress: Progress | None, batch_size: int, history: HistoryNote
) -> ImportOutcome:
    through = SparePart.product_models.through
    good = [r for r in results if r.ok]
    # A known part whose row changes nothing is not written (re-importing the whole
    # catalogue to change a few prices keeps the write short).
    writes = [r for r in good if not r.existing_id or r.changes]
    outcome = ImportOutcome(skipped=len(results) - len(good), unchanged=len(good) - len(writes))
    done = outcome.unchanged

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, len(good))

    _check_models(writes, batch_size)
    creates, updates = _plan(writes, batch_size)
    for batch in _batches(creates, batch_size):
        parts = SparePart.objects.bulk_create([part for _r, part in batch])
        if any(part.pk is None for part in parts):  # a backend without RETURNING
            ids = dict(
                SparePart.objects.filter(
                    part_number__in=[part.part_number for part in parts]
                ).values_list("part_number", "pk")
            )
            for part in parts:
                part.pk = ids[part.part_number]
        history.record(parts, update=False)
        _link(batch)
        outcome.created += len(batch)
        advance(len(batch))
    columns = sorted({key for result, _part in updates for key in _fields(result)})
    for batch in _batches(updates, batch_size):
        changed = [part for _r, part in batch]
        _update_parts(changed, [*columns, "updated_at"])
        history.record(changed, update=True)
        linked: dict[int, set[int]] = {part.pk: set() for _r, part in batch}
        for part_id, model_id in through.objects.filter(sparepart_id__in=list(linked)).values_list(
            "sparepart_id", "productmodel_id"
        ):
            linked[part_id].add(model_id)
        relinked = [(r, part) for r, part in batch if linked[part.pk] != set(r.model_ids)]
        if relinked:
            through.objects.filter(sparepart_id__in=[part.pk for _r, part in relinked]).delete()
            _link(relinked)
        outcome.updated += len(batch)
        advance(len(batch))
    if progress:
        progress(len(good), len(good))
    return outcome


def import_rows(
    results: Iterable[RowResult],
    *,
    user: User | None = None,
    reason: str = "",
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportOutcome:
    """Write the good rows (bad ones are skipped and counted); all or nothing, in one
    transaction; ``progress(done, total)`` after each batch. Each part written gets a
    historical row by ``user`` with ``reason``. Raises ``RowImportError`` for a row refused
    on writing and ``ImportConflict`` when the database refuses the whole (checks at
    commit); nothing is written then."""
    history = HistoryNote(
        user=user,
        reason=reason[:HISTORY_REASON_LENGTH],
        when=timezone.now(),
    )
    try:
        with transaction.atomic():
            return _write(list(results), progress=progress, batch_size=batch_size, history=history)
    except IntegrityError as exc:
        raise ImportConflict(
            _("The catalogue changed while the rows were written. Nothing was imported.")
        ) from exc
