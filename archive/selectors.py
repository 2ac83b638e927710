"""The archive's timeline: every source's entries merged, newest first, one page at a
time."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, replace

from core.archive import ArchiveEntry, ArchiveQuery, sort_key

from .sources import installed_sources


@dataclass(frozen=True)
class Timeline:
    count: int
    offset: int
    limit: int
    entries: list[ArchiveEntry]

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.entries) < self.count


def timeline(
    query: ArchiveQuery, *, offset: int = 0, paths: Iterable[str] | None = None
) -> Timeline:
    """The entries ``offset`` … ``offset + query.limit`` of the merged timeline. Each source
    gives its newest ``offset + limit`` entries (no entry past them can be on this page)
    and its count; the merge keeps the page."""
    limit = query.limit
    asked = replace(query, limit=offset + limit)
    count = 0
    streams = []
    for source in installed_sources(paths):
        found = source.entries(asked)
        count += found.count
        streams.append(found.entries)
    merged = heapq.merge(*streams, key=sort_key)
    entries = [entry for _n, entry in zip(range(offset + limit), merged, strict=False)]
    return Timeline(count=count, offset=offset, limit=limit, entries=entries[offset:])
