"""The service archive through the API (issue 14 §5): a device's timeline entries, newest
first, paged like every list; the same filter as the page (``archive.filters``)."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from assets.models import Device
from contracts.models import Contract
from core.api import READ_ERRORS, Day, Id, Input, PageIn, page_of
from core.exports import EXPORT_OPENAPI, ExportQuery
from customers.models import Hospital

from .exports import archive_response
from .filters import archive_query, contract_subject, hospital_subject
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
    device_id: int | None


class ArchiveFilterIn(Input):
    kind: list[str] | None = Field(
        None, description="Kinds of entry (repeat the parameter); none: every kind."
    )
    from_: Day | None = Field(
        None, alias="from", description="First local day (the hospital's zone), included."
    )
    to: Day | None = Field(None, description="Last local day, included.")


@router.get(
    "/devices/{device_id}/archive",
    response={200: page_of(ArchiveEntryOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def device_archive(
    request,
    device_id: Id,
    filters: Query[ArchiveFilterIn],
    paging: Query[PageIn],
    output: Query[ExportQuery],
):
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
    if output.format:
        name = f"archive-device-{device.pk}"
        zone = device.hospital.time_zone
        return archive_response(request, query, time_zone=zone, fmt=output.format, name=name)
    return _page(query, paging)


class GroupArchiveFilterIn(ArchiveFilterIn):
    device: Id | None = Field(None, description="Only this device's entries.")


class HospitalArchiveFilterIn(GroupArchiveFilterIn):
    department: Id | None = Field(
        None, description="Only the entries of this department's devices."
    )


@router.get(
    "/hospitals/{hospital_id}/archive",
    response={200: page_of(ArchiveEntryOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def hospital_archive(
    request,
    hospital_id: Id,
    filters: Query[HospitalArchiveFilterIn],
    paging: Query[PageIn],
    output: Query[ExportQuery],
):
    """The service archive of every device of the hospital the caller sees, merged, newest
    first; ``device_id`` says which device an entry is about (none: the department's or
    the hospital's, such as a training session). The same filters as a device's, and
    ``device`` and ``department``."""
    hospital = get_object_or_404(Hospital.objects.for_user(request.user), pk=hospital_id)
    subject = hospital_subject(hospital, visible_to=request.user)
    query = _group_query(subject, request, filters, paging, filters.department)
    if output.format:
        name = f"archive-hospital-{hospital.pk}"
        zone = subject.time_zone
        return archive_response(request, query, time_zone=zone, fmt=output.format, name=name)
    return _page(query, paging)


@router.get(
    "/contracts/{contract_id}/archive",
    response={200: page_of(ArchiveEntryOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def contract_archive(
    request,
    contract_id: Id,
    filters: Query[GroupArchiveFilterIn],
    paging: Query[PageIn],
    output: Query[ExportQuery],
):
    """The service archive of every device of the contract (project) the caller sees,
    merged, newest first; the same filters as a device's, and ``device``."""
    contract = get_object_or_404(
        Contract.objects.for_user(request.user).select_related("hospital"), pk=contract_id
    )
    subject = contract_subject(contract, visible_to=request.user)
    query = _group_query(subject, request, filters, paging, None)
    if output.format:
        name = f"archive-contract-{contract.pk}"
        zone = subject.time_zone
        return archive_response(request, query, time_zone=zone, fmt=output.format, name=name)
    return _page(query, paging)


def _group_query(subject, request, filters, paging, department):
    return archive_query(
        subject=subject,
        visible_to=request.user,
        kinds=filters.kind,
        first_day=filters.from_,
        last_day=filters.to,
        only_device=filters.device,
        only_department=department,
        limit=paging.limit,
    )


def _page(query, paging):
    found = timeline(query, offset=paging.offset)
    return {
        "count": found.count,
        "limit": found.limit,
        "offset": found.offset,
        "items": found.entries,
    }
