"""The lists that download as files: one ``core.exports.ListExport`` per list, declared in
its app's ``exports.py`` and named here by dotted path, so that this app imports them only
when their app is installed (``core.plugins.installed``). A new list is one more line; a
table that is no queryset (a KPI table) does not come here: its page answers with
``core.exports.table_response`` (docs/decisions.md, "Exports")."""

from __future__ import annotations

from collections.abc import Iterable

from core.exports import ListExport
from core.plugins import installed

LISTS: tuple[str, ...] = (
    "assets.exports.DEVICES",
    "service.exports.REQUESTS",
    "service.exports.CALLS",
    "maintenance.exports.VISITS",
    "return_visits.exports.RETURN_VISITS",
    "training.exports.SESSIONS",
    "parts.exports.STOCK",
    "parts.exports.MOVEMENTS",
    "parts.exports.LOANERS",
    "charges.exports.STATEMENTS",
)


def exportable(paths: Iterable[str] | None = None) -> dict[str, ListExport]:
    """The installed lists by name (the ``list=`` of the download's address)."""
    found = installed(LISTS if paths is None else paths, what="export list")
    return {spec.name: spec for spec in found}


def list_named(name: str) -> ListExport | None:
    return exportable().get(name)
