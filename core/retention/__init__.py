"""Records are kept (issue 14 §1, R-7.6; 医疗器械监督管理条例: use and maintenance records are
kept at least five years after the device's end of service life).

An app declares which of its models are kept records with :func:`retain` (the archive's
sources do it for every kind they show, ``<app>/archive.py``'s ``RETAINED``), optionally only
in some state (a signature once its document is frozen); such a predicate reads the state from
the database by the row's ``<parent>_id``, never through the instance (a related manager
hands its rows the caller's in-memory parent, which may be stale). From then on a kept row is never
deleted, whatever the path: ``Model.delete()``, ``QuerySet.delete()``, the cascade of a
device, hospital or contract, the admin, the shell. The guard is a ``pre_delete`` receiver,
the one hook Django calls on every one of these paths (a cascade included); it raises
:class:`RecordRetained` and the surrounding transaction changes nothing.

The edges tell the reason before trying: :func:`records_kept_by` names the kept records that
deleting some objects would take (how many of each kind), used by the admin
(``core.retention.admin``).

How long records are kept is a setting, ``RECORD_RETENTION_YEARS`` (default 5) after the
device's end of service life: :func:`kept_until`. Nothing here deletes anything once that
date has passed; the date is what the archive promises.
"""

from __future__ import annotations

import contextvars
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.conf import settings
from django.db import models, router
from django.db.models.signals import pre_delete
from django.utils.translation import gettext as _

from core.errors import Conflict

KeptWhen = Callable[[Any], bool]

_RETAINED: dict[type[models.Model], KeptWhen | None] = {}
_purge_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "record_purge_allowed", default=False
)


class RecordRetained(Conflict):
    """A delete that would lose kept records: nothing was deleted (HTTP 409)."""

    def __init__(self, kept: Sequence[tuple[str, int]]) -> None:
        super().__init__("record_retained", refusal_text(kept))
        self.kept = list(kept)


def retain(model: type[models.Model], *, when: KeptWhen | None = None) -> None:
    """Declare ``model``'s rows kept records (``when``: only the rows it is true for)."""
    _RETAINED[model] = when
    pre_delete.connect(
        _refuse_delete, sender=model, weak=False, dispatch_uid=f"retain:{model._meta.label}"
    )


def retained_models() -> dict[type[models.Model], KeptWhen | None]:
    return dict(_RETAINED)


def is_retained(obj: models.Model) -> bool:
    model = obj._meta.concrete_model or type(obj)
    if model not in _RETAINED:
        return False
    when = _RETAINED[model]
    return when is None or bool(when(obj))


@contextmanager
def purge_allowed() -> Iterator[None]:
    """Lift the guard in this context only: for a throwaway database (the benchmarks clean
    up what they made). Never used by a page, the API, the admin or a job."""
    token = _purge_allowed.set(True)
    try:
        yield
    finally:
        _purge_allowed.reset(token)


def _refuse_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not _purge_allowed.get() and is_retained(instance):
        raise RecordRetained(count_by_kind([instance]))


def count_by_kind(objects: Iterable[models.Model]) -> list[tuple[str, int]]:
    """``[(kind, how many)]``, the kind worded for its count, in the order first met."""
    counts: Counter[type[models.Model]] = Counter(
        type(o)._meta.concrete_model or type(o) for o in objects
    )
    return [
        (str(model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural), n)
        for model, n in counts.items()
    ]


def refusal_text(kept: Sequence[tuple[str, int]]) -> str:
    listed = _(", ").join(f"{count} × {kind}" for kind, count in kept)
    return _("Records are kept and never deleted; this would delete %(records)s.") % {
        "records": listed
    }


def records_kept_by(objects: Sequence[models.Model]) -> list[tuple[str, int]]:
    """The kept records that deleting ``objects`` would delete with them (cascades) or is
    blocked by (protected relations), and ``objects`` themselves when kept: ``[(kind, how
    many)]``, empty when they may go."""
    from django.contrib.admin.utils import NestedObjects  # the collector that keeps going

    if not objects:
        return []
    collector = NestedObjects(using=router.db_for_write(type(objects[0])))
    collector.collect(objects)
    found: list[models.Model] = [o for o in objects if is_retained(o)]
    for instances in collector.data.values():
        found.extend(o for o in instances if o not in objects and is_retained(o))
    found.extend(o for o in collector.protected if is_retained(o))
    return count_by_kind(dict.fromkeys(found))


def retention_years() -> int:
    return int(settings.RECORD_RETENTION_YEARS)


def kept_until(end_of_service: date | None, *, years: int | None = None) -> date | None:
    """The last day records must be kept: ``years`` (the setting by default) after the end
    of service life; None while the device is still in service."""
    if end_of_service is None:
        return None
    return end_of_service + relativedelta(years=retention_years() if years is None else years)
