"""The service archive through the API (issue 14 §5): a device's timeline entries, newest
first, paged like every list; the same filter as the page (``archive.filters``)."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from assets.models import Device
from core.api import READ_ERRORS, Day, Id, Input, PageIn, page_of

from .filters import archive_query
from .selectors import timeline

router = Router(tags=["archive"])


class ArchiveEntryOut(Schema):
    at: datetime
    kind: str
    title: str
    detail: str
    object_id: int
    url: str
    signed: bool | None
    pdf_url: str


class ArchiveFilterIn(Input):
    kind: list[str] | None = Field(
        None, description="Kinds of entry (repeat the parameter); none: every kind."
    )
    from_: Day | None = Field(
        None, alias="from", description="First local day (the hospital's zone), included."
    )
    to: Day | None = Field(None, description="Last local day, included.")


@router.get("/devices/{device_id}/archive", response={200: page_of(ArchiveEntryOut), **READ_ERRORS})
def device_archive(request, device_id: Id, filters: Query[ArchiveFilterIn], paging: Query[PageIn]):
    """The device's service archive: installation and acceptance, emergency procedures,
    components replaced, out-of-use periods, changes to the record, service requests with
    each promise met or breached, signed repair records with their PDF, root-cause reports,
    planned visits; newest first, only what the caller may see."""
    device = get_object_or_404(
        Device.objects.for_user(request.user).select_related("hospital"), pk=device_id
    )
    query = archive_query(
        device=device,
        visible_to=request.user,
        kinds=filters.kind,
        first_day=filters.from_,
        last_day=filters.to,
        limit=paging.limit,
    )
    found = timeline(query, offset=paging.offset)
    return {
        "count": found.count,
        "limit": found.limit,
        "offset": found.offset,
        "items": found.entries,
    }
