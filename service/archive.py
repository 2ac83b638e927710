"""A device's service requests in its archive (the ``core.archive`` protocol, listed in
``archive/sources.py``): each request with every promise met or breached (R-6.3, R-7.2),
its signed repair record with the PDF (R-7.4), and its root-cause report (R-6.5)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.archive import (
    ArchiveDocument,
    ArchiveEntry,
    ArchiveQuery,
    SourcePage,
    in_window,
    keys_of,
    newest_first,
    url_of,
)

from .models import (
    LateStepConfirmation,
    Milestone,
    RepairRecord,
    RepairRecordAmendment,
    RootCauseReport,
    ServiceEvent,
    ServiceRequest,
    Signature,
)
from .selectors import milestone_live_state

REQUEST = "service_request"
REPAIR_RECORD = "repair_record"
ROOT_CAUSE = "root_cause"
KINDS = {
    REQUEST: gettext_lazy("Service requests"),
    REPAIR_RECORD: gettext_lazy("Repair records"),
    ROOT_CAUSE: gettext_lazy("Root-cause reports"),
}
PROMISE_STATES = {
    "met": gettext_lazy("met"),
    "breached": gettext_lazy("breached"),
    "pending": pgettext_lazy("promise", "running"),
    "not_applicable": gettext_lazy("not applicable"),
}


def entries(query: ArchiveQuery) -> SourcePage:
    requests = query.on_devices(ServiceRequest.objects.for_user(query.visible_to))
    found: list[ArchiveEntry] = []
    count = 0
    if query.wants(REQUEST):
        window = in_window(requests, "reported_at", query)
        count += query.count(window)
        if query.keys_only:
            found += keys_of(window, "reported_at", REQUEST, query.limit)
        else:
            found += _requests(
                window.only(*REQUEST_FIELDS).order_by("-reported_at", "-pk")[: query.limit]
            )
    if query.wants(REPAIR_RECORD):
        records = in_window(
            RepairRecord.objects.filter(request__in=requests, frozen_at__isnull=False),
            "frozen_at",
            query,
        )
        count += query.count(records)
        if query.keys_only:
            found += keys_of(records, "frozen_at", REPAIR_RECORD, query.limit)
        else:
            rows = records.select_related("request").only(
                "frozen_at", "fault_cause", "request__number", "request__device_id"
            )
            found += _records(rows.order_by("-frozen_at", "-pk"), query)
    if query.wants(ROOT_CAUSE):
        reports = in_window(
            RootCauseReport.objects.filter(request__in=requests), "explained_at", query
        )
        count += query.count(reports)
        if query.keys_only:
            found += keys_of(reports, "explained_at", ROOT_CAUSE, query.limit)
        else:
            found += _root_causes(
                reports.select_related("request").order_by("-explained_at", "-pk"), query
            )
    return SourcePage(count, newest_first(found)[: query.limit])


# What an entry shows of a request and of its promises: the rest of the row is not read.
REQUEST_FIELDS = (
    "number", "description", "severity", "status", "reported_at", "device_id",
)  # fmt: skip
MILESTONE_FIELDS = (
    "request_id", "name_zh", "name_en", "position", "state", "met_at", "due_at", "warn_at",
    "paused",
)  # fmt: skip


def _requests(requests) -> list[ArchiveEntry]:
    now = timezone.now()
    url = url_of("service:request_detail")
    found = []
    promises_of = Prefetch("milestones", Milestone.objects.only(*MILESTONE_FIELDS))
    for request in requests.prefetch_related(promises_of):
        promises = []
        for milestone in sorted(request.milestones.all(), key=lambda m: m.position):
            state, _at_risk = milestone_live_state(milestone, now=now)
            promises.append(f"{milestone.name}: {PROMISE_STATES.get(state, state)}")
        found.append(
            ArchiveEntry(
                at=request.reported_at, kind=REQUEST,
                title=f"{request.number} · {request.description[:80]}",
                object_id=request.pk,
                url=url(request.pk),
                detail=" · ".join(
                    [request.get_severity_display(), request.get_status_display(), *promises]
                ),
                device_id=request.device_id,
            )
        )  # fmt: skip
    return found


def _records(records, query: ArchiveQuery) -> list[ArchiveEntry]:
    request_url, pdf_url = url_of("service:request_detail"), url_of("records:record_pdf")
    found = []
    for record in records[: query.limit]:
        assert record.frozen_at is not None  # filtered above
        request = record.request
        found.append(
            ArchiveEntry(
                at=record.frozen_at, kind=REPAIR_RECORD,
                title=_("Repair record of %(number)s signed") % {"number": request.number},
                object_id=record.pk,
                url=request_url(request.pk) + "#record",
                detail=record.get_fault_cause_display() if record.fault_cause else "",
                signed=True,
                pdf_url=pdf_url(request.pk),
                device_id=request.device_id,
            )
        )  # fmt: skip
    return found


def _root_causes(reports, query: ArchiveQuery) -> list[ArchiveEntry]:
    return [
        ArchiveEntry(
            at=report.explained_at,
            kind=ROOT_CAUSE,
            title=_("Root-cause report of %(number)s") % {"number": report.request.number},
            object_id=report.pk,
            url=reverse("records:root_cause", args=[report.request_id]),
            detail=report.cause[:200],
            device_id=report.request.device_id,
        )
        for report in reports[: query.limit]
    ]


# Kept records (``core.retention``): never deleted, by any path; a predicate keeps a row only
# in that state.
RETAINED = {
    ServiceRequest: None,
    ServiceEvent: None,
    Milestone: None,
    LateStepConfirmation: None,
    RepairRecord: None,
    RepairRecordAmendment: None,
    RootCauseReport: None,
    # A draft's signatures are withdrawn when its content changes; a frozen record's stay.
    Signature: lambda signature: RepairRecord.objects.filter(
        pk=signature.record_id, frozen_at__isnull=False
    ).exists(),
}


def documents(entries: list[ArchiveEntry], *, visible_to) -> dict[str, ArchiveDocument]:
    """The archived PDFs of the signed repair records behind ``entries`` (for the dossier),
    rendered now if rendering after the signature failed; signed by each side's signer."""
    from core.signing.workflow import archive_pdf

    from .repair_records.services import REPAIR_RECORD as RECORD_KIND

    ids = {e.object_id for e in entries if e.kind == REPAIR_RECORD and e.pdf_url}
    if not ids:
        return {}
    requests = ServiceRequest.objects.for_user(visible_to)
    records = RepairRecord.objects.filter(pk__in=ids, request__in=requests, frozen_at__isnull=False)
    signatures = Prefetch(
        "signatures", Signature.objects.filter(amendment__isnull=True).order_by("signed_at", "pk")
    )
    pdf_url = url_of("records:record_pdf")
    found = {}
    for record in records.select_related("request").prefetch_related(signatures):
        signed_by = "、".join(s.signer_name for s in record.signatures.all())
        number, signed_at = record.request.number, record.frozen_at
        if not record.pdf:
            record = archive_pdf(RECORD_KIND, record)
        found[pdf_url(record.request_id)] = ArchiveDocument(
            file=record.pdf, number=number, signed_by=signed_by, signed_at=signed_at
        )
    return found
