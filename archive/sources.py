"""Where archive entries come from: one ``<app>.archive`` module per app that keeps records
of a device (the protocol of ``core.archive``), named here by dotted path so that the
archive imports them only when their app is installed."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from django.utils.functional import Promise

from core.plugins import installed

SOURCES: tuple[str, ...] = (
    "assets.archive",
    "service.archive",
    "maintenance.archive",
    "return_visits.archive",
    "parts.archive",
    "charges.archive",
    "training.archive",
    "regimes.archive",
)


def installed_sources(paths: Iterable[str] | None = None) -> list[ModuleType]:
    """The source modules whose app is installed (``core.plugins.installed``)."""
    return installed(SOURCES if paths is None else paths, what="archive source", modules=True)


def kinds(paths: Iterable[str] | None = None) -> dict[str, Promise]:
    """Every kind of entry, in the sources' order: the archive's filter choices."""
    found: dict[str, Promise] = {}
    for source in installed_sources(paths):
        found.update(source.KINDS)
    return found
