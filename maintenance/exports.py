"""The visit list as a file (issue 14 §3): ``VisitFilterSet``'s rows for the page's
download, ``GET /maintenance/visits?format=`` and the export worker."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, joined_text, label_of, text_of

from .filters import VisitFilterSet
from .models import Visit


def _visits(request: HttpRequest):
    return Visit.objects.for_user(request.user).order_by("due_on", "pk")


VISITS = ListExport(
    name="visits",
    title=_("Visits"),
    filterset=VisitFilterSet,
    rows=_visits,
    select_related=("device__product_model", "hospital", "department", "done_by"),
    joined=("engineers",),
    columns=(
        Column(_("Due on"), lambda v: v.due_on, 12),
        Column(_("Window start"), lambda v: v.window_start, 12),
        Column(_("Window end"), lambda v: v.window_end, 12),
        Column(_("Kind"), label_of("main_kind"), 14),
        Column(_("Hospital"), lambda v: v.hospital.name, 24),
        Column(_("Department"), lambda v: v.department.name, 16),
        Column(_("Device"), lambda v: str(v.device), 30),
        Column(_("State"), label_of("state"), 12),
        Column(_("Engineers"), lambda v: joined_text(v, "engineers"), 18),
        Column(_("Done at"), lambda v: v.done_at, 18),
        Column(_("Done by"), lambda v: text_of(v.done_by), 14),
        Column(_("Signed by"), lambda v: v.signer_name, 14),
        Column(_("Signed at"), lambda v: v.signed_at, 18),
    ),
)
