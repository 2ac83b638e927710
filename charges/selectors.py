"""Reads about charges: the rates in force, the statements a user may see, the lines a
statement currently stands at (after its credit notes)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User

from .models import ChargeLine, ChargeSettings, ChargeStatement, CreditNoteLine
from .pricing import Rates

# The seed's rates, used until the data migration's row exists (it always does in practice).
DEFAULT_RATES = Rates(
    labor_hour_cost=Decimal("120.00"),
    labor_hour_list=Decimal("180.00"),
    travel_trip_cost=Decimal("200.00"),
    travel_trip_list=Decimal("300.00"),
)


def charge_rates_current() -> Rates:
    row = ChargeSettings.objects.filter(pk=1).first()
    if row is None:
        return DEFAULT_RATES
    return Rates(
        labor_hour_cost=row.labor_hour_cost,
        labor_hour_list=row.labor_hour_list,
        travel_trip_cost=row.travel_trip_cost,
        travel_trip_list=row.travel_trip_list,
        currency=row.currency,
    )


def statements_for(user: User) -> QuerySet[ChargeStatement]:
    return ChargeStatement.objects.for_user(user).select_related(
        "request__hospital", "request__department", "request__device__product_model"
    )


def statement_visible_to(user: User | AnonymousUser, statement: ChargeStatement) -> bool:
    """Whether ``user`` may see this statement: its request in scope, and for a hospital's
    users only once sent (the same rule as every list)."""
    return ChargeStatement.objects.for_user(user).filter(pk=statement.pk).exists()


def current_lines(statement: ChargeStatement) -> list[ChargeLine | CreditNoteLine]:
    """The lines the statement stands at: the last credit note's new lines, else its own."""
    last = statement.credit_notes.order_by("-created_at", "-pk").first()
    if last is None:
        return [*statement.lines.all()]
    return [line for line in last.lines.all() if line.quantity > 0]


def current_total(statement: ChargeStatement) -> Decimal:
    last = statement.credit_notes.order_by("-created_at", "-pk").first()
    return last.total_after if last is not None else statement.total
