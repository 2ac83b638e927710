"""Coverage: which cover a device (or a replaced main component) has at a moment, and how
each line of a repair is charged for a fault cause. Pure: no Django, no database.

Periods follow the Chinese Civil Code (arts. 201-202): a term of N months counted from the
acceptance date ends on the corresponding day N months later, or on the last day of that
month when it has no such day, and that last day is covered whole. So a device accepted on
2026-03-01 with 12 months is covered until 2027-03-01 23:59:59 local time, and one accepted
on 2024-02-29 until 2025-02-28 23:59:59. Every boundary is a local midnight in the
hospital's zone; ``ends_at`` is the first instant no longer covered.

Defaults (R-3.1, R-3.4, R-6.3, R-6.5, R-7.7, R-7.8), all overridable through ``ChargeRules``:
- quality fault under (extended) warranty: parts, labor and travel free;
- non-quality fault (misuse, accident, external cause) under warranty: parts at cost,
  labor and travel free;
- after warranty: parts at cost for life, labor and travel at list price unless an
  agreement covers them;
- an undetermined cause is priced as a quality fault until someone classifies it;
- a replaced main component keeps warranty 12 months from its replacement and never less
  than the device's remaining warranty;
- before acceptance (or with no acceptance date) the warranty has not started: the work is
  part of the delivery and is priced like warranty work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]


class _Choices(StrEnum):
    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.value) for member in cls]


class Cause(_Choices):
    QUALITY = "quality"
    NON_QUALITY = "non_quality"
    UNDETERMINED = "undetermined"


class Cover(_Choices):
    WARRANTY = "warranty"
    EXTENDED_WARRANTY = "extended_warranty"
    AGREEMENT = "agreement"
    NONE = "none"


class Basis(_Choices):
    """The key of the pricing rules: the cover, plus the state before acceptance."""

    WARRANTY = "warranty"
    EXTENDED_WARRANTY = "extended_warranty"
    AGREEMENT = "agreement"
    NONE = "none"
    NOT_ACCEPTED = "not_accepted"


class Line(_Choices):
    PARTS = "parts"
    LABOR = "labor"
    TRAVEL = "travel"


class Pricing(_Choices):
    FREE = "free"
    COST = "cost"
    LIST = "list"


PriceTable = Mapping[tuple[Basis, Cause, Line], Pricing]


def _table(basis: Basis, quality: tuple[Pricing, ...], non_quality: tuple[Pricing, ...]):
    lines = (Line.PARTS, Line.LABOR, Line.TRAVEL)
    rows = {(basis, Cause.QUALITY, line): p for line, p in zip(lines, quality, strict=True)}
    rows |= {
        (basis, Cause.NON_QUALITY, line): p for line, p in zip(lines, non_quality, strict=True)
    }
    return rows


F, C, L = Pricing.FREE, Pricing.COST, Pricing.LIST
DEFAULT_PRICES: dict[tuple[Basis, Cause, Line], Pricing] = {
    **_table(Basis.WARRANTY, (F, F, F), (C, F, F)),
    **_table(Basis.EXTENDED_WARRANTY, (F, F, F), (C, F, F)),  # behaves like warranty
    **_table(Basis.NOT_ACCEPTED, (F, F, F), (C, F, F)),  # delivery not complete yet
    # Lines an agreement covers; the lines it does not cover fall back to NONE.
    **_table(Basis.AGREEMENT, (F, F, F), (C, F, F)),
    **_table(Basis.NONE, (C, L, L), (C, L, L)),  # parts at cost for life
}
del F, C, L


@dataclass(frozen=True)
class ChargeRules:
    prices: PriceTable = field(default_factory=lambda: dict(DEFAULT_PRICES))
    undetermined_as: Cause = Cause.QUALITY
    component_warranty_months: int = 12

    def price(self, basis: Basis, cause: Cause, line: Line) -> Pricing:
        return self.prices.get((basis, cause, line), DEFAULT_PRICES[(basis, cause, line)])


@dataclass(frozen=True)
class WarrantyTerms:
    accepted_on: date | None
    warranty_months: int = 12
    extended_months: int = 0
    contract_number: str = ""


@dataclass(frozen=True)
class AgreementTerms:
    number: str
    starts_on: date
    ends_on: date  # inclusive
    covers_parts: bool
    covers_labor: bool
    covers_travel: bool

    def covers(self, line: Line) -> bool:
        return {
            Line.PARTS: self.covers_parts,
            Line.LABOR: self.covers_labor,
            Line.TRAVEL: self.covers_travel,
        }[line]


@dataclass(frozen=True)
class ComponentTerms:
    """A main component fitted as a replacement on ``replaced_on`` (R-6.5)."""

    name: str
    serial_number: str
    replaced_on: date


@dataclass(frozen=True)
class Reason:
    """Why the answer is what it is, as a code and parameters; the web layer words it."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CoverageAnswer:
    cover: Cover
    basis: Basis
    cause: Cause  # as asked
    priced_as: Cause  # quality or non_quality
    starts_at: datetime | None
    ends_at: datetime | None  # first instant no longer covered
    parts: Pricing
    labor: Pricing
    travel: Pricing
    reasons: tuple[Reason, ...]
    warranty_started: bool

    def pricing(self, line: Line) -> Pricing:
        return {Line.PARTS: self.parts, Line.LABOR: self.labor, Line.TRAVEL: self.travel}[line]


class NaiveDatetimeError(ValueError):
    pass


def term_last_day(start: date, months: int) -> date:
    """The last covered day of a term of ``months`` counted from ``start`` (art. 202)."""
    try:
        return start + relativedelta(months=months)
    except (ValueError, OverflowError):  # past year 9999: the calendar's last day
        return date.max


@dataclass(frozen=True)
class WarrantyDays:
    """A device's warranty in calendar days of its hospital, for lists and pages."""

    state: str  # not_accepted | not_started | warranty | extended | expired
    warranty_last_day: date | None = None
    extended_last_day: date | None = None


def warranty_days(warranty: WarrantyTerms, today: date) -> WarrantyDays:
    """Where ``today`` (the hospital's local date) falls in the device's warranty terms."""
    accepted_on = warranty.accepted_on
    if accepted_on is None:
        return WarrantyDays("not_accepted")
    warranty_last = term_last_day(accepted_on, warranty.warranty_months)
    extended_last = (
        term_last_day(accepted_on, warranty.warranty_months + warranty.extended_months)
        if warranty.extended_months
        else None
    )
    if today < accepted_on:
        state = "not_started"
    elif today <= warranty_last:
        state = "warranty"
    elif extended_last is not None and today <= extended_last:
        state = "extended"
    else:
        state = "expired"
    return WarrantyDays(state, warranty_last, extended_last)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _end_instant(last_day: date, zone: ZoneInfo) -> datetime:
    if last_day == date.max:  # "until 9999-12-31", i.e. open-ended: its last instant
        return datetime.combine(last_day, time.max, tzinfo=zone)
    return local_midnight(last_day + timedelta(days=1), zone)


def coverage_at(
    *,
    at: datetime,
    cause: Cause,
    time_zone: str,
    warranty: WarrantyTerms,
    agreements: Sequence[AgreementTerms] = (),
    component: ComponentTerms | None = None,
    rules: ChargeRules | None = None,
) -> CoverageAnswer:
    """Answer the cover at ``at`` (aware) for a device, or for a replaced ``component``."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise NaiveDatetimeError("coverage_at needs an aware datetime")
    rules = rules or ChargeRules()
    zone = ZoneInfo(time_zone)
    cause = Cause(cause)
    priced_as = rules.undetermined_as if cause == Cause.UNDETERMINED else cause
    reasons: list[Reason] = []

    warranty_start = warranty_end = extended_end = None
    if warranty.accepted_on is not None:
        warranty_start = local_midnight(warranty.accepted_on, zone)
        warranty_end = _end_instant(
            term_last_day(warranty.accepted_on, warranty.warranty_months), zone
        )
        extended_end = _end_instant(
            term_last_day(
                warranty.accepted_on, warranty.warranty_months + warranty.extended_months
            ),
            zone,
        )

    cover, basis, starts_at, ends_at, agreement = _find_cover(
        at=at,
        zone=zone,
        warranty=warranty,
        warranty_start=warranty_start,
        warranty_end=warranty_end,
        extended_end=extended_end,
        agreements=agreements,
        component=component,
        rules=rules,
        reasons=reasons,
    )

    if cause == Cause.UNDETERMINED:
        reasons.append(Reason("cause_undetermined", {"priced_as": priced_as.value}))

    def price(line: Line) -> Pricing:
        if agreement is not None and not agreement.covers(line):
            return rules.price(Basis.NONE, priced_as, line)
        return rules.price(basis, priced_as, line)

    return CoverageAnswer(
        cover=cover,
        basis=basis,
        cause=cause,
        priced_as=priced_as,
        starts_at=starts_at,
        ends_at=ends_at,
        parts=price(Line.PARTS),
        labor=price(Line.LABOR),
        travel=price(Line.TRAVEL),
        reasons=tuple(reasons),
        warranty_started=warranty_start is not None and at >= warranty_start,
    )


def _find_cover(
    *,
    at: datetime,
    zone: ZoneInfo,
    warranty: WarrantyTerms,
    warranty_start: datetime | None,
    warranty_end: datetime | None,
    extended_end: datetime | None,
    agreements: Sequence[AgreementTerms],
    component: ComponentTerms | None,
    rules: ChargeRules,
    reasons: list[Reason],
) -> tuple[Cover, Basis, datetime | None, datetime | None, AgreementTerms | None]:
    if component is not None:
        component_start = local_midnight(component.replaced_on, zone)
        component_end = _end_instant(
            term_last_day(component.replaced_on, rules.component_warranty_months), zone
        )
        # Never less than what the device itself still has.
        if extended_end is not None and extended_end > component_end:
            component_end = extended_end
        if component_start <= at < component_end:
            reasons.append(
                Reason(
                    "component_warranty",
                    {
                        "component": component.name,
                        "serial": component.serial_number,
                        "replaced_on": component.replaced_on,
                        "until": component_end,
                    },
                )
            )
            return Cover.WARRANTY, Basis.WARRANTY, component_start, component_end, None

    if warranty_start is not None and warranty_end is not None and extended_end is not None:
        if warranty_start <= at < warranty_end:
            reasons.append(
                Reason(
                    "warranty",
                    {
                        "accepted_on": warranty.accepted_on,
                        "months": warranty.warranty_months,
                        "until": warranty_end,
                        "contract": warranty.contract_number,
                    },
                )
            )
            return Cover.WARRANTY, Basis.WARRANTY, warranty_start, warranty_end, None
        if warranty_end <= at < extended_end:
            reasons.append(
                Reason(
                    "extended_warranty",
                    {
                        "months": warranty.extended_months,
                        "until": extended_end,
                        "contract": warranty.contract_number,
                    },
                )
            )
            return (
                Cover.EXTENDED_WARRANTY,
                Basis.EXTENDED_WARRANTY,
                warranty_end,
                extended_end,
                None,
            )

    for agreement in sorted(agreements, key=lambda a: (a.starts_on, a.number)):
        starts_at = local_midnight(agreement.starts_on, zone)
        ends_at = _end_instant(agreement.ends_on, zone)
        if starts_at <= at < ends_at:
            reasons.append(
                Reason(
                    "agreement",
                    {
                        "number": agreement.number,
                        "until": ends_at,
                        "parts": agreement.covers_parts,
                        "labor": agreement.covers_labor,
                        "travel": agreement.covers_travel,
                    },
                )
            )
            return Cover.AGREEMENT, Basis.AGREEMENT, starts_at, ends_at, agreement

    if warranty_start is None or at < warranty_start:
        reasons.append(Reason("warranty_not_started", {"accepted_on": warranty.accepted_on}))
        return Cover.NONE, Basis.NOT_ACCEPTED, None, None, None

    reasons.append(Reason("out_of_cover", {"since": extended_end}))
    return Cover.NONE, Basis.NONE, None, None, None
