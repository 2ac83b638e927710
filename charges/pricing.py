"""Price the lines of a repair: parts, labor and travel, each free, at cost or at list
price as the coverage answer says, with the reason why. Pure: no Django, no database.

Money is ``Decimal``, never float. A line's amount is quantity × unit price rounded to the
fen (0.01) half up; the totals add the rounded line amounts, so the statement adds up to
the fen as printed. Unit prices may carry more places (a catalogue price of 99.995).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from contracts.coverage import CoverageAnswer, Line, Pricing, Reason

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def to_fen(value: Decimal) -> Decimal:
    """Round to 0.01, half up (the way a Chinese invoice rounds)."""
    if isinstance(value, float):
        raise TypeError("money is Decimal, never float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rates:
    """The hourly rate and the fee per trip, at cost and at list price (ChargeSettings)."""

    labor_hour_cost: Decimal
    labor_hour_list: Decimal
    travel_trip_cost: Decimal
    travel_trip_list: Decimal
    currency: str = "CNY"


@dataclass(frozen=True)
class LineIn:
    """One line to price. ``unit_cost``/``unit_list`` None: no catalogue price known.
    ``answer``: this line's own coverage (a replaced component under its own warranty)."""

    kind: Line
    description: str
    quantity: Decimal
    unit_cost: Decimal | None
    unit_list: Decimal | None
    answer: CoverageAnswer | None = None
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PricedLine:
    kind: Line
    description: str
    quantity: Decimal
    pricing: Pricing
    unit_price: Decimal
    amount: Decimal
    reason: Reason


@dataclass(frozen=True)
class Priced:
    lines: tuple[PricedLine, ...]
    totals: Mapping[Line, Decimal]
    total: Decimal
    currency: str


def labor_line(hours: Decimal, rates: Rates, description: str = "") -> LineIn:
    return LineIn(
        Line.LABOR, description, Decimal(hours), rates.labor_hour_cost, rates.labor_hour_list
    )


def travel_line(trips: int, rates: Rates, description: str = "") -> LineIn:
    return LineIn(
        Line.TRAVEL, description, Decimal(trips), rates.travel_trip_cost, rates.travel_trip_list
    )


def line_reason(answer: CoverageAnswer, line: Line, pricing: Pricing) -> Reason:
    """Why ``line`` is priced so: the cover's own reason plus the cause and the pricing,
    e.g. ``warranty`` {until, …, cause: quality, pricing: free}."""
    cover_reasons = [r for r in answer.reasons if r.code != "cause_undetermined"]
    main = cover_reasons[0] if cover_reasons else Reason("out_of_cover", {})
    params: dict[str, object] = dict(main.params)
    params.update(
        {
            "line": line.value,
            "pricing": pricing.value,
            "cause": answer.cause.value,
            "priced_as": answer.priced_as.value,
        }
    )
    if main.code == "agreement":
        params["agreement_covers_line"] = bool(params.get(line.value))
    return Reason(main.code, params)


def price_line(line: LineIn, answer: CoverageAnswer) -> PricedLine:
    answer = line.answer or answer
    pricing = answer.pricing(line.kind)
    quantity = Decimal(line.quantity)
    reason = line_reason(answer, line.kind, pricing)
    if pricing == Pricing.FREE:
        unit = ZERO
    else:
        known = line.unit_cost if pricing == Pricing.COST else line.unit_list
        if known is None:
            # Priced at cost or list, but nobody knows the price: 0, and the line says so.
            params = dict(reason.params) | {"cover": reason.code}
            reason = Reason("no_catalogue_price", params)
            unit = ZERO
        else:
            unit = Decimal(known)
    if unit < 0 or quantity < 0:
        raise ValueError("prices and quantities are not negative")
    return PricedLine(
        kind=line.kind,
        description=line.description,
        quantity=quantity,
        pricing=pricing,
        unit_price=unit,
        amount=to_fen(quantity * unit),
        reason=Reason(reason.code, {**reason.params, **line.params}),
    )


def price_lines(
    answer: CoverageAnswer, lines: Sequence[LineIn], *, currency: str = "CNY"
) -> Priced:
    """Price every line by ``answer`` (or the line's own answer) and add them up."""
    priced = tuple(price_line(line, answer) for line in lines)
    totals = dict.fromkeys(Line, ZERO)
    for p in priced:
        totals[p.kind] += p.amount
    return Priced(lines=priced, totals=totals, total=sum(totals.values(), ZERO), currency=currency)
