"""What a service archive shows, in one shape for every kind of record (issue 14 §1, R-7.6:
"the installation, operation and repair history of every device can be queried at any
time").

Each app that keeps records of a device offers ``<app>.archive`` with

- ``KINDS``: ``{kind: label}``, the kinds of entry it gives (the archive's filter choices);
- ``entries(query: ArchiveQuery) -> SourcePage``: how many of its entries match ``query``
  and the newest ``query.limit`` of them, newest first, only what ``query.visible_to`` may
  see. With ``query.keys_only`` an entry needs only its ``at``, ``kind`` and
  ``object_id`` (``keys_of`` reads them without loading the rows): the archive first finds
  which entries make the page, then asks again for those alone, in the page's time window.

The ``archive`` app merges them into one timeline (a page, the API, later the dossier), so
the archive never needs to know a visit from a repair record, and an app owns the query
over its own tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class ArchiveEntry:
    at: datetime  # aware; when it happened (signed, done, reported)
    kind: str  # one of its source's KINDS
    title: str  # already translated into the active language
    object_id: int  # the record's id in its own kind
    url: str = ""  # path of the record's page, if the viewer may open it
    detail: str = ""  # a line under the title: a result, a promise met or breached
    signed: bool | None = None  # None: not a record that is signed
    pdf_url: str = ""  # the signed PDF, once there is one
    device_id: int | None = None


@dataclass(frozen=True)
class ArchiveQuery:
    """Whose archive (a device's, or a set of devices': a hospital's, a contract's), which
    kinds (None: all), which window (``start`` ≤ at < ``end``, either open), for whom, and
    how many of the newest entries each source returns at most."""

    visible_to: Any
    device_id: int | None = None
    # A hospital's or a contract's archive: every one of these devices (``device_id`` None).
    device_ids: frozenset[int] | None = None
    kinds: frozenset[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 50
    keys_only: bool = False
    counting: bool = True  # the second pass knows the counts already

    def __post_init__(self) -> None:
        if (self.device_id is None) == (self.device_ids is None):
            raise TypeError("An archive query names one device or a set of devices.")

    @property
    def devices(self) -> frozenset[int]:
        """The devices whose entries are asked for."""
        if self.device_ids is not None:
            return self.device_ids
        assert self.device_id is not None  # __post_init__
        return frozenset((self.device_id,))

    def on_devices(self, queryset, field: str = "device_id"):
        """``queryset`` narrowed to the query's devices on ``field`` (one ``=`` for a device,
        one ``IN`` for a set, so each source still asks once, however many devices)."""
        if self.device_ids is None:
            return queryset.filter(**{field: self.device_id})
        return queryset.filter(**{f"{field}__in": self.device_ids})

    def wants(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def holds(self, at: datetime) -> bool:
        """``at`` lies in the window (for entries computed rather than queried)."""
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)

    def count(self, queryset) -> int:
        """``queryset.count()``, or 0 when the caller does not need the count."""
        return queryset.count() if self.counting else 0


@dataclass(frozen=True)
class ArchiveDocument:
    """The stored file behind an entry's ``pdf_url`` (a signed record's archived PDF, an
    uploaded certificate), for the dossier: a source with documents offers
    ``documents(entries, *, visible_to) -> {pdf_url: ArchiveDocument}``."""

    file: Any  # a FieldFile: opened by the dossier, never read into a page
    number: str  # what names the file: the record's number
    signed_by: str = ""
    signed_at: datetime | None = None

    @property
    def extension(self) -> str:
        name = str(self.file.name).lower()
        return name[name.rfind(".") :] if "." in name else ""


@dataclass(frozen=True)
class SourcePage:
    count: int
    entries: list[ArchiveEntry]


def newest_first(entries: list[ArchiveEntry]) -> list[ArchiveEntry]:
    """The archive's one order (a source gives its entries in it, the merge keeps it):
    newest first, then by kind, then the newest record first."""
    return sorted(entries, key=sort_key)


def sort_key(entry: ArchiveEntry) -> tuple[float, str, int]:
    return (-entry.at.timestamp(), entry.kind, -entry.object_id)


def url_of(name: str) -> Callable[[int], str]:
    """``pk → reverse(name, args=[pk])`` for a URL with one integer argument, reversed once:
    a page of the archive names a hundred records, and ``reverse`` each time was a tenth of
    its time."""
    marker = 987654321
    head, _, tail = reverse(name, args=[marker]).partition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def keys_of(queryset, field: str, kind: str, limit: int) -> list[ArchiveEntry]:
    """The newest ``limit`` rows of ``queryset`` as entries that carry only their place on
    the timeline (``at`` from the datetime ``field``, the kind, the id): one narrow query,
    no model built."""
    rows = queryset.order_by(f"-{field}", "-pk").values_list(field, "pk")[:limit]
    return [ArchiveEntry(at=at, kind=kind, title="", object_id=pk) for at, pk in rows]


def in_window(queryset, field: str, query: ArchiveQuery):
    """``queryset`` narrowed to ``query``'s window on the datetime ``field``."""
    if query.start is not None:
        queryset = queryset.filter(**{f"{field}__gte": query.start})
    if query.end is not None:
        queryset = queryset.filter(**{f"{field}__lt": query.end})
    return queryset
