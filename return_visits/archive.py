"""A device's monthly return-visit checks in its archive (the ``core.archive`` protocol,
listed in ``archive/sources.py``): the state observed on each recorded sheet (R-7.1), and
whether both sides signed it, with the sheet's PDF."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive import (
    ArchiveDocument,
    ArchiveEntry,
    ArchiveQuery,
    SourcePage,
    in_window,
    keys_of,
)

from .models import (
    ReturnVisit,
    ReturnVisitDeviceCheck,
    ReturnVisitFinding,
    ReturnVisitParticipant,
    ReturnVisitSignature,
    ReturnVisitState,
)

CHECK = "return_visit"
KINDS = {CHECK: gettext_lazy("Return visits")}


def entries(query: ArchiveQuery) -> SourcePage:
    if not query.wants(CHECK):
        return SourcePage(0, [])
    checks = in_window(
        query.on_devices(ReturnVisitDeviceCheck.objects.all()).filter(
            visit__in=ReturnVisit.objects.for_user(query.visible_to),
            visit__recorded_at__isnull=False,
        ),
        "visit__recorded_at",
        query,
    )
    if query.keys_only:
        return SourcePage(
            query.count(checks), keys_of(checks, "visit__recorded_at", CHECK, query.limit)
        )
    found = []
    rows = checks.select_related("visit").order_by("-visit__recorded_at", "-pk")
    for check in rows[: query.limit]:
        visit = check.visit
        assert visit.recorded_at is not None  # filtered above
        detail = [check.get_state_display(), check.note]
        if visit.satisfaction:
            detail.append(_("satisfaction %(score)d/5") % {"score": visit.satisfaction})
        found.append(
            ArchiveEntry(
                at=visit.recorded_at, kind=CHECK,
                title=_("Return visit of %(month)s") % {"month": f"{visit.month:%Y-%m}"},
                object_id=check.pk,
                url=reverse("return_visits:return_visit_detail", args=[visit.pk]),
                detail=" · ".join(part for part in detail if part),
                signed=visit.is_frozen,
                pdf_url=(
                    reverse("return_visits:return_visit_pdf", args=[visit.pk])
                    if visit.is_frozen
                    else ""
                ),
                device_id=check.device_id,
            )
        )  # fmt: skip
    return SourcePage(query.count(checks), found)


# Kept records (``core.retention``): never deleted, by any path; a predicate keeps a row only
# in that state.


def _sheet_done(row) -> bool:
    # A sheet being written replaces its rows; once signed (done) they are the record.
    return (
        ReturnVisit.objects.filter(pk=row.visit_id)
        .filter(Q(frozen_at__isnull=False) | Q(state=ReturnVisitState.DONE))
        .exists()
    )


RETAINED = {
    ReturnVisit: None,
    ReturnVisitDeviceCheck: _sheet_done,
    ReturnVisitParticipant: _sheet_done,
    ReturnVisitFinding: _sheet_done,
    ReturnVisitSignature: _sheet_done,
}


def documents(entries: list[ArchiveEntry], *, visible_to) -> dict[str, ArchiveDocument]:
    """The archived PDFs of the signed sheets behind ``entries`` (for the dossier): one
    sheet covers its department's devices, so several entries share it."""
    from core.signing.workflow import archive_pdf

    from .sheet import RETURN_VISIT_SHEET

    ids = {e.object_id for e in entries if e.kind == CHECK and e.pdf_url}
    if not ids:
        return {}
    visits = ReturnVisit.objects.for_user(visible_to).filter(
        device_checks__in=ids, frozen_at__isnull=False
    )
    found = {}
    for visit in visits.distinct().prefetch_related("signatures"):
        signed_by = "、".join(s.signer_name for s in visit.signatures.all())
        number, signed_at = f"{visit.month:%Y-%m}-{visit.pk}", visit.frozen_at
        if not visit.pdf:
            visit = archive_pdf(RETURN_VISIT_SHEET, visit)
        found[reverse("return_visits:return_visit_pdf", args=[visit.pk])] = ArchiveDocument(
            file=visit.pdf, number=number, signed_by=signed_by, signed_at=signed_at
        )
    return found
