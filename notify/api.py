"""API: the caller's own inbox (a person's messages are theirs alone, whatever their role)."""

from __future__ import annotations

from ninja import Query, Router, Schema
from pydantic import AwareDatetime

from core.api import READ_ERRORS, Input, PageIn, page, page_of
from core.filtering import api_filter, filter_query

from . import selectors
from .filters import InboxFilterSet

router = Router(tags=["inbox"])


class InboxMessageOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    url: str
    created_at: AwareDatetime
    read_at: AwareDatetime | None


@filter_query(InboxFilterSet)
class InboxQuery(Input):
    """The filters of GET /inbox."""


@router.get("/inbox", response={200: page_of(InboxMessageOut), **READ_ERRORS})
def inbox_list(request, filters: Query[InboxQuery], paging: Query[PageIn]):
    """The caller's messages, unread first, newest first (the inbox page's list)."""
    messages = api_filter(filters, selectors.inbox_of(request.user), request=request)
    return page(messages, paging)
