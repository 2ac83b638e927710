"""The search box's answer: every source's groups merged, in the sources' order, the empty
ones left out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.urls import reverse

from core.search import Group, Hit, SearchQuery

from .sources import installed_sources

# Records of a kind listed on the search page when it shows that kind alone (a kind
# without a list of its own: departments, contacts).
KIND_PAGE_LIMIT = 50


@dataclass(frozen=True)
class Results:
    text: str
    groups: list[Group]

    @property
    def exact_hit(self) -> Hit | None:
        """The one record the text names exactly (a request number, a serial number or
        asset tag, a UDI, a scanned label): the page opens it straight away. The other
        groups are then about that record (a device's requests found by its serial), and
        its page shows them; two records named exactly (a serial that is also another
        device's asset tag, a number that is a serial) are a choice left to the reader."""
        exact = [group for group in self.groups if group.exact]
        return exact[0].hits[0] if len(exact) == 1 else None


def search(query: SearchQuery, *, paths: Iterable[str] | None = None) -> Results:
    groups = []
    for source in installed_sources(paths):
        for group in source.search(query):
            if not group.count:
                continue
            if not group.all_url:
                group = replace(group, all_url=kind_url(query.text, group.kind))
            groups.append(group)
    return Results(text=query.text, groups=groups)


def kind_url(text: str, kind: str) -> str:
    """The search page showing ``kind`` alone."""
    return f"{reverse('search:results')}?{urlencode({'q': text, 'kind': kind})}"
