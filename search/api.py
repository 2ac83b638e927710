"""The search box through the API (issue 14 §4): ``GET /search?q=`` answers the same groups
as the page, only what the caller may see."""

from __future__ import annotations

from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import AfterValidator, field_validator

from core.api import READ_ERRORS, Input
from core.search import SearchQuery, SearchTextError, clean_text

from .selectors import KIND_PAGE_LIMIT, search
from .sources import kinds

router = Router(tags=["search"])


def _searchable(value: str) -> str:
    try:
        return clean_text(value)
    except SearchTextError as exc:
        raise ValueError(str(exc)) from exc


class SearchIn(Input):
    q: Annotated[str, AfterValidator(_searchable)] = Field(
        description="What was typed or scanned: a request number, a serial number, asset tag, "
        "UDI or label URL, part of a hospital, department or contact name, a phone number in "
        "any written form, words of a symptom (2 to 100 characters)."
    )
    kind: str | None = Field(None, description="One kind of result alone; none: every kind.")
    limit: int = Field(5, ge=1, le=KIND_PAGE_LIMIT, description="Records of each kind at most.")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str | None) -> str | None:
        known = kinds()
        if value is not None and value not in known:
            raise ValueError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(known)})
        return value


class HitOut(Schema):
    title: str
    detail: str
    url: str
    object_id: int


class GroupOut(Schema):
    kind: str
    label: str
    count: int = Field(description="How many match; more than 1000 is answered as 1001.")
    exact: bool = Field(description="The text names this one record exactly.")
    all_url: str = Field(description="The page listing every match of this kind.")
    items: list[HitOut]


class SearchOut(Schema):
    q: str
    groups: list[GroupOut]


@router.get("/search", response={200: SearchOut, **READ_ERRORS})
def search_everything(request, params: Query[SearchIn]):
    """Requests by number, symptom or their device's serial; devices by serial, asset tag,
    UDI, scanned label or words of their model, place, hospital or department; hospitals,
    departments and contacts by name (Chinese substrings too), contacts by phone. Grouped by
    kind, in this order, the empty kinds left out; only what the caller may see. A part of a
    request number counts from 3 characters."""
    query = SearchQuery(
        text=params.q,
        visible_to=request.user,
        kinds=frozenset({params.kind}) if params.kind else None,
        limit=params.limit,
    )
    found = search(query)
    return {
        "q": found.text,
        "groups": [
            {
                "kind": group.kind,
                "label": group.label,
                "count": group.count,
                "exact": group.exact,
                "all_url": group.all_url,
                "items": group.hits,
            }
            for group in found.groups
        ],
    }
