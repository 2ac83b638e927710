"""The charge statement list as a file (issue 14 §3): ``StatementFilterSet``'s rows (a
hospital's users: only statements sent to them, as on the page) for the page's download,
``GET /charge-statements?format=`` and the export worker."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, label_of

from .filters import StatementFilterSet
from .models import ChargeStatement


def _statements(request: HttpRequest):
    return ChargeStatement.objects.for_user(request.user).order_by("-drafted_at", "-pk")


STATEMENTS = ListExport(
    name="charge-statements",
    title=_("Charge statements"),
    filterset=StatementFilterSet,
    rows=_statements,
    select_related=("request__hospital", "request__department", "request__device__product_model"),
    columns=(
        Column(_("Number"), lambda s: s.display_number, 20),
        Column(_("Service request"), lambda s: s.request.number, 18),
        Column(_("Hospital"), lambda s: s.request.hospital.name, 24),
        Column(_("Department"), lambda s: s.request.department.name, 16),
        Column(_("Device"), lambda s: str(s.request.device), 30),
        Column(_("State"), label_of("state"), 12),
        Column(_("Parts"), lambda s: s.parts_total, 12),
        Column(_("Labour"), lambda s: s.labor_total, 12),
        Column(_("Travel"), lambda s: s.travel_total, 12),
        Column(_("Total"), lambda s: s.total, 12),
        Column(_("Currency"), lambda s: s.currency, 8),
        Column(_("Drafted at"), lambda s: s.drafted_at, 18),
        Column(_("Sent at"), lambda s: s.sent_at, 18),
        Column(_("Accepted at"), lambda s: s.accepted_at, 18),
    ),
)
