"""What the search box finds, in one shape for every kind of record (issue 14 §4: request
numbers, device serials, asset tags, UDIs and scanned labels, hospital and department
names, contacts by name and phone, symptom text).

Each app that owns searchable records offers ``<app>.search`` with

- ``KINDS``: ``{kind: label}``, the kinds it finds, in the order their groups are shown;
- ``search(query: SearchQuery) -> list[Group]``: for each of its kinds that ``query``
  wants, how many records match (counted up to ``COUNT_CAP``), the first ``query.limit`` of
  them, only what ``query.visible_to`` may see, and where the whole list is.

The ``search`` app merges them (the page, the suggestions under the navbar box, the API),
so it never needs to know a device from a request, and an app owns the query over its own
tables, the same way ``core.archive`` merges a device's records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet, Subquery
from django.db.models.lookups import IContains, Lookup
from django.utils.translation import gettext as _

from .bounds import text_error

# A trigram index (PostgreSQL's pg_trgm) finds a substring of three characters or more; a
# Chinese word is often two ("黑屏", "东海"), which it cannot: such a text is looked up in
# an index of every two characters of the column instead (``contains``).
TRIGRAM = 3
BIGRAM = 2
MIN_LENGTH = 2
MAX_LENGTH = 100
# Counting every match of a common word in a million requests costs more than the answer
# is worth: beyond this, a group says "more than 1,000".
COUNT_CAP = 1000
_SPACES = re.compile(r"\s+")


class SearchTextError(ValueError):
    """Why the text typed cannot be searched (already translated)."""


def clean_text(raw: str | None) -> str:
    """The text to search: spaces collapsed and trimmed; raises ``SearchTextError`` when it
    is empty, shorter than ``MIN_LENGTH``, longer than ``MAX_LENGTH`` or not text."""
    text = _SPACES.sub(" ", raw or "").strip()
    problem = text_error(text)
    if problem:
        raise SearchTextError(problem)
    if not text:
        raise SearchTextError(_("Type what to look for."))
    if len(text) < MIN_LENGTH:
        raise SearchTextError(_("Type at least %(count)s characters.") % {"count": MIN_LENGTH})
    if len(text) > MAX_LENGTH:
        raise SearchTextError(_("Use at most %(limit)s characters.") % {"limit": MAX_LENGTH})
    return text


class ContainsPair(Lookup):
    """``lhs`` contains the two characters ``rhs``, ignoring case: on PostgreSQL through
    ``search_bigrams`` (search's migration: the distinct two-character pieces of a text,
    and a GIN index of them on each column searched), elsewhere as ``icontains``."""

    lookup_name = "contains_pair"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        return IContains(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        sql = f"search_bigrams(UPPER({lhs})) @> ARRAY[UPPER({rhs})::text]"
        return sql, (*lhs_params, *rhs_params)


class _AmongFound(Lookup):
    """``lhs`` is one of the keys the subquery ``rhs`` finds. On PostgreSQL ``lhs =
    ANY(ARRAY(subquery))``: the subquery runs once, first, by its own indexes, and its keys
    are looked up in the outer table's primary key. Planned as ``IN (subquery)``, the
    matches were either tested row by row along an ordered index (misjudging how rare a
    bigram is: seconds when none matches) or hashed against a scan of the whole table."""

    lookup_name = "among_found"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def matching(queryset: QuerySet, condition: Q, *, at_most: int | None = None) -> QuerySet:
    """``queryset`` narrowed to the rows meeting ``condition`` (``contains`` and the like),
    found first by their indexes, then ordered and limited as ``queryset`` says. With
    ``at_most``, only that many of them, whichever are found first: a text in every row
    ("SN0", typed on the way to a serial) then costs a few milliseconds, not a second."""
    # Within the queryset's own scope: the first found must be the viewer's.
    found = queryset.filter(condition).order_by().values("pk")
    if at_most is not None:
        found = found[:at_most]
    return queryset.filter(_AmongFound(F("pk"), Subquery(found)))


def contains(field: str, text: str) -> Q:
    """``field`` contains ``text``, ignoring case, in the way its index finds it on
    PostgreSQL: two characters by the column's bigram index, more by its trigram index
    (one character has neither: it reads the table)."""
    if len(text) == BIGRAM:
        return Q(ContainsPair(F(field), text))
    return Q(**{f"{field}__icontains": text})


@dataclass(frozen=True)
class SearchQuery:
    """What was typed (cleaned by ``clean_text``), by whom, which kinds (None: all), and
    how many records of each kind to show."""

    text: str
    visible_to: Any
    kinds: frozenset[str] | None = None
    limit: int = 5

    def wants(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


@dataclass(frozen=True)
class Hit:
    title: str
    url: str  # the record's page
    object_id: int
    detail: str = ""  # a line under the title: where it is, what it says


@dataclass(frozen=True)
class Group:
    kind: str
    label: str  # translated
    count: int  # capped at COUNT_CAP + 1 ("more than COUNT_CAP")
    hits: list[Hit] = field(default_factory=list)
    all_url: str = ""  # the kind's own list filtered by the same text
    # The text names one record exactly (a request number, a serial, a UDI, a label):
    # the page may open it straight away.
    exact: bool = False

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def shown_count(self) -> int:
        return min(self.count, COUNT_CAP)


def group_of(
    *,
    kind: str,
    label: str,
    queryset: QuerySet,
    query: SearchQuery,
    hit: Any,
    all_url: str,
    exact: bool = False,
) -> Group:
    """A group from ``queryset`` (already ordered and scoped): its count up to the cap, its
    first ``query.limit`` records turned into hits by ``hit(record)``."""
    records = list(queryset[: query.limit + 1])
    # Counted only when there are more than are shown (one query less for most groups),
    # unordered: the first COUNT_CAP + 1 matches found, not the first in order.
    count = (
        len(records)
        if len(records) <= query.limit
        else queryset.order_by()[: COUNT_CAP + 1].count()
    )
    records = records[: query.limit]
    return Group(
        kind=kind,
        label=label,
        count=count,
        hits=[hit(record) for record in records],
        all_url=all_url,
        exact=exact and count == 1,
    )
