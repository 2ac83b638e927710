"""The stock, the stock ledger and the loaner units as files (issue 14 §3): vendor-internal
like their pages (the same permission), read by the pages' downloads, the API's
``format=`` and the export worker."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, Table, joined_text, label_of, table_response, text_of
from core.permissions import require_perm

from . import selectors
from .filters import LoanerFilterSet, MovementFilterSet, PartFilterSet, StockFilterSet
from .loaners.services import current_loan
from .models import Loan, LoanerUnit, SparePart, StockLocation


def _stock(request: HttpRequest):
    require_perm(request, "parts.view_stocklevel")
    return selectors.stock_levels()


STOCK = ListExport(
    name="stock",
    title=_("Stock"),
    filterset=StockFilterSet,
    rows=_stock,
    select_related=("part", "location"),
    columns=(
        Column(_("Location"), lambda s: s.location.name, 20),
        Column(_("Part number"), lambda s: s.part.part_number, 16),
        Column(_("Part"), lambda s: s.part.name, 30),
        Column(_("On hand"), lambda s: s.on_hand, 10),
        Column(_("Reserved"), lambda s: s.reserved, 10),
        Column(_("Free"), lambda s: s.on_hand - s.reserved, 10),
        Column(_("Reorder point"), lambda s: s.minimum, 10),
        Column(_("Below reorder point"), lambda s: s.is_low, 10),
    ),
)


def _movements(request: HttpRequest):
    require_perm(request, "parts.view_stocklevel")
    return selectors.stock_movements()


MOVEMENTS = ListExport(
    name="stock-movements",
    title=_("Stock movements"),
    filterset=MovementFilterSet,
    rows=_movements,
    select_related=("part", "from_location", "to_location", "request", "serial_unit", "created_by"),
    columns=(
        Column(_("Occurred at"), lambda m: m.occurred_at, 18),
        Column(_("Kind"), label_of("kind"), 14),
        Column(_("Part number"), lambda m: m.part.part_number, 16),
        Column(_("Part"), lambda m: m.part.name, 30),
        Column(_("Quantity"), lambda m: m.quantity, 8),
        Column(_("From"), lambda m: text_of(m.from_location and m.from_location.name), 18),
        Column(_("To"), lambda m: text_of(m.to_location and m.to_location.name), 18),
        Column(_("Service request"), lambda m: m.request.number if m.request else "", 18),
        Column(
            _("Serial number"), lambda m: m.serial_unit.serial_number if m.serial_unit else "", 16
        ),
        Column(_("Recorded by"), lambda m: text_of(m.created_by), 14),
        Column(_("Recorded at"), lambda m: m.recorded_at, 18),
        Column(_("Note"), lambda m: m.note, 24),
    ),
)


def _loaners(request: HttpRequest):
    require_perm(request, "parts.view_loanerunit")
    return LoanerUnit.objects.for_user(request.user).order_by(
        "product_model__name", "serial_number"
    )


# The open loan of each unit, as ``current_loan`` reads it (``loaners_with_loan``'s).
OPEN_LOANS = Prefetch(
    "loans",
    queryset=Loan.objects.open().select_related("request", "hospital", "department"),
    to_attr="open_loans",
)


def _loan_field(unit: LoanerUnit, read) -> object:
    loan = current_loan(unit)
    return None if loan is None else read(loan)


LOANERS = ListExport(
    name="loaners",
    title=_("Loaner units"),
    filterset=LoanerFilterSet,
    rows=_loaners,
    select_related=("product_model", "location"),
    prefetch_related=(OPEN_LOANS,),
    columns=(
        Column(_("Model"), lambda u: str(u.product_model), 24),
        Column(_("Serial number"), lambda u: u.serial_number, 16),
        Column(_("Asset tag"), lambda u: u.asset_tag, 14),
        Column(_("State"), label_of("state"), 12),
        Column(_("Location"), lambda u: text_of(u.location and u.location.name), 18),
        Column(_("Lent to"), lambda u: _loan_field(u, lambda loan: loan.hospital.name), 24),
        Column(_("Department"), lambda u: _loan_field(u, lambda loan: loan.department.name), 16),
        Column(
            _("Service request"), lambda u: _loan_field(u, lambda loan: loan.request.number), 18
        ),
        Column(_("Installed at"), lambda u: _loan_field(u, lambda loan: loan.installed_at), 18),
    ),
)


def _parts(request: HttpRequest):
    require_perm(request, "parts.view_sparepart")
    return SparePart.objects.for_user(request.user).order_by("part_number")


PARTS = ListExport(
    name="parts",
    title=_("Spare parts"),
    filterset=PartFilterSet,
    rows=_parts,
    joined=("product_models",),
    columns=(
        Column(_("Part number"), lambda p: p.part_number, 16),
        Column(_("Name (Chinese)"), lambda p: p.name_zh, 24),
        Column(_("Name (English)"), lambda p: p.name_en, 24),
        Column(_("Fits models"), lambda p: joined_text(p, "product_models"), 30),
        Column(_("Symptom keywords"), lambda p: p.symptom_keywords, 24),
        Column(_("Main component"), lambda p: p.is_main_component, 10),
        Column(_("Unit"), lambda p: p.unit, 8),
        Column(_("Cost price"), lambda p: p.cost_price, 12),
        Column(_("List price"), lambda p: p.list_price, 12),
        Column(_("Currency"), lambda p: p.currency, 8),
        Column(_("Active"), lambda p: p.active, 8),
    ),
)

# The stock locations have no filters (a few dozen rows): their columns over the
# endpoint's rows, without a ``ListExport``.
LOCATION_COLUMNS = (
    Column(_("Name"), lambda loc: loc.name, 24),
    Column(_("Kind"), label_of("kind"), 14),
    Column(_("Engineer"), lambda loc: text_of(loc.engineer), 16),
    Column(_("Active"), lambda loc: loc.active, 8),
)


def locations_response(
    locations: QuerySet[StockLocation], *, fmt: str
) -> StreamingHttpResponse | FileResponse:
    rows = locations.select_related("engineer")
    table = Table(columns=LOCATION_COLUMNS, rows=rows, title=_("Stock locations"))
    return table_response(table, fmt=fmt, name="stock-locations")
