"""The stock, the stock ledger and the loaner units as files (issue 14 §3): vendor-internal
like their pages (the same permission), read by the pages' downloads, the API's
``format=`` and the export worker."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, label_of, text_of
from core.permissions import require_perm

from . import selectors
from .filters import LoanerFilterSet, MovementFilterSet, StockFilterSet
from .loaners.services import current_loan
from .models import Loan, LoanerUnit


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
