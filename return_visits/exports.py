"""The return-visit list as a file (issue 14 §3): ``ReturnVisitFilterSet``'s rows for the
page's download, ``GET /return-visits?format=`` and the export worker."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, joined_text, label_of

from .filters import ReturnVisitFilterSet
from .models import ReturnVisit


def _return_visits(request: HttpRequest):
    return ReturnVisit.objects.for_user(request.user).order_by("month", "hospital__name", "pk")


RETURN_VISITS = ListExport(
    name="return-visits",
    title=_("Return visits"),
    filterset=ReturnVisitFilterSet,
    rows=_return_visits,
    select_related=("hospital", "department"),
    joined=("engineers",),
    columns=(
        Column(_("Month"), lambda v: v.month.strftime("%Y-%m"), 10),
        Column(_("Hospital"), lambda v: v.hospital.name, 24),
        Column(_("Department"), lambda v: v.department.name, 16),
        Column(_("Due on"), lambda v: v.due_on, 12),
        Column(_("State"), label_of("state"), 12),
        Column(_("Engineers"), lambda v: joined_text(v, "engineers"), 18),
        Column(_("Visited on"), lambda v: v.visited_on, 12),
        Column(_("Satisfaction"), lambda v: v.satisfaction, 10),
        Column(_("Comments"), lambda v: v.comments, 30),
        Column(_("Signed by both at"), lambda v: v.frozen_at, 18),
    ),
)
