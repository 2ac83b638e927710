"""The visit list as a file (issue 14 §3): ``VisitFilterSet``'s rows for the page's
download, ``GET /maintenance/visits?format=`` and the export worker; the maintenance plans
(the templates and the contracts' own numbers, two models in one list) for
``GET /maintenance-plans?format=`` (§5), as a ``Table`` of both."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, Table, joined_text, label_of, table_response, text_of

from .filters import VisitFilterSet
from .models import ContractPlanOverride, MaintenancePlanTemplate, Visit


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


def _is_template(plan: MaintenancePlanTemplate | ContractPlanOverride) -> bool:
    return isinstance(plan, MaintenancePlanTemplate)


_category = label_of("category")

PLAN_COLUMNS = (
    Column(_("Source"), lambda p: _("Template") if _is_template(p) else _("Contract"), 10),
    Column(_("Kind"), label_of("kind"), 14),
    Column(_("Product model"), lambda p: text_of(p.product_model) if _is_template(p) else "", 20),
    Column(_("Category"), lambda p: _category(p) if _is_template(p) else "", 14),
    Column(_("Contract"), lambda p: "" if _is_template(p) else p.contract.number, 16),
    Column(_("Every (months)"), lambda p: p.interval_months, 10),
    Column(_("Tolerance (± days)"), lambda p: p.tolerance_days, 10),
    Column(_("Checklist items"), lambda p: len(p.checklist) if _is_template(p) else None, 10),
    Column(_("Active"), lambda p: p.active if _is_template(p) else True, 8),
)


def plans_response(
    templates: QuerySet[MaintenancePlanTemplate],
    overrides: QuerySet[ContractPlanOverride],
    *,
    fmt: str,
) -> StreamingHttpResponse | FileResponse:
    """The templates, then the contracts' numbers (the order of the API's list)."""
    rows = [*templates.select_related("product_model"), *overrides.select_related("contract")]
    table = Table(columns=PLAN_COLUMNS, rows=rows, title=_("Maintenance plans"))
    return table_response(table, fmt=fmt, name="maintenance-plans")
