"""The archive's timeline: every source's entries merged, newest first, one page at a
time."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta

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
    """The entries ``offset`` … ``offset + query.limit`` of the merged timeline, in two
    passes. First each source gives its count and the keys (time, kind, id) of its newest
    ``offset + limit`` entries, read without loading a row; their merge says which entries
    make the page and so the page's time window. Then each source gives its entries in
    that window alone, built in full: the page's and, at most, a few with the same time at
    its edges, which the keys leave out. A source's newest ``offset + limit`` rows of a kind
    were read and built whole before: most of them for nothing."""
    sources = installed_sources(paths)
    limit = query.limit
    asked = replace(query, limit=offset + limit, keys_only=True)
    count = 0
    streams = []
    for source in sources:
        found = source.entries(asked)
        count += found.count
        streams.append(found.entries)
    merged = heapq.merge(*streams, key=sort_key)
    keys = [entry for _n, entry in zip(range(offset + limit), merged, strict=False)][offset:]
    if not keys:
        return Timeline(count=count, offset=offset, limit=limit, entries=[])
    # Only the kinds on the page, and only from the sources that give them.
    kinds = frozenset(e.kind for e in keys)
    window = replace(
        query,
        kinds=kinds,
        start=keys[-1].at,
        end=keys[0].at + timedelta(microseconds=1),
        limit=offset + limit,
        counting=False,
    )
    wanted = {(e.at, e.kind, e.object_id) for e in keys}
    built = heapq.merge(
        *(source.entries(window).entries for source in sources if kinds & set(source.KINDS)),
        key=sort_key,
    )
    entries = [e for e in built if (e.at, e.kind, e.object_id) in wanted]
    return Timeline(count=count, offset=offset, limit=limit, entries=entries)
