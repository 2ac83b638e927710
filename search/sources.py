"""Where the search box's results come from: one ``<app>.search`` module per app that owns
searchable records (the protocol of ``core.search``), named here by dotted path so that
the search imports them only when their app is installed. The order is the order of the
groups on the page: what people type most (a request number, a serial) first."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from django.utils.functional import Promise

from core.plugins import installed

SOURCES: tuple[str, ...] = (
    "service.search",
    "assets.search",
    "customers.search",
)


def installed_sources(paths: Iterable[str] | None = None) -> list[ModuleType]:
    """The source modules whose app is installed (``core.plugins.installed``)."""
    return installed(SOURCES if paths is None else paths, what="search source", modules=True)


def kinds(paths: Iterable[str] | None = None) -> dict[str, Promise]:
    """Every kind of result, in the sources' order."""
    found: dict[str, Promise] = {}
    for source in installed_sources(paths):
        found.update(source.KINDS)
    return found
