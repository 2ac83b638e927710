"""A device's planned visits in its archive (the ``core.archive`` protocol, listed in
``archive/sources.py``): each visit done (patrol, inspection, preventive maintenance,
R-2.3/R-2.4), with its result and whether the hospital signed it."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.archive import ArchiveEntry, ArchiveQuery, SourcePage, in_window, keys_of, url_of

from .models import Visit, VisitFinding, VisitPhoto, VisitState

VISIT = "visit"
KINDS = {VISIT: gettext_lazy("Planned visits")}


def entries(query: ArchiveQuery) -> SourcePage:
    if not query.wants(VISIT):
        return SourcePage(0, [])
    visits = in_window(
        query.on_devices(Visit.objects.for_user(query.visible_to)).filter(done_at__isnull=False),
        "done_at",
        query,
    )
    if query.keys_only:
        return SourcePage(query.count(visits), keys_of(visits, "done_at", VISIT, query.limit))
    url = url_of("maintenance:visit_detail")
    found = []
    rows = visits.only(
        "device_id", "main_kind", "done_at", "results", "signer_name", "content_hash"
    )
    for visit in rows.order_by("-done_at", "-pk")[: query.limit]:
        assert visit.done_at is not None  # filtered above
        failed = [key for key, result in visit.results.items() if result.get("ok") is False]
        detail = (
            ngettext("%(count)d item not in order", "%(count)d items not in order", len(failed))
            % {"count": len(failed)}
            if failed
            else _("Every item in order")
        )
        if visit.is_signed:
            detail += " · " + _("signed by %(name)s") % {"name": visit.signer_name}
        else:
            detail += " · " + _("awaiting the hospital's signature")
        found.append(
            ArchiveEntry(
                at=visit.done_at, kind=VISIT,
                title=_("%(kind)s done") % {"kind": visit.get_main_kind_display()},
                object_id=visit.pk,
                url=url(visit.pk),
                detail=detail, signed=visit.is_signed, device_id=visit.device_id,
            )
        )  # fmt: skip
    return SourcePage(query.count(visits), found)


# Kept records (``core.retention``): never deleted, by any path; a predicate keeps a row only
# in that state.
RETAINED = {
    Visit: None,
    VisitFinding: None,
    # A photo may be taken back while the visit is planned (``visit_photo_remove``).
    VisitPhoto: lambda photo: (
        Visit.objects.filter(pk=photo.visit_id)
        .filter(Q(state=VisitState.DONE) | ~Q(content_hash=""))
        .exists()
    ),
}
