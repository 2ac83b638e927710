"""The pure pricing (R-3.4, R-6.3, R-6.5, R-7.7, R-7.8): every cover × cause × line kind,
the last day of warranty in the hospital's local day, a replaced component in warranty on
a device out of it, and totals to the fen. No database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from charges.pricing import LineIn, Rates, labor_line, price_lines, to_fen, travel_line
from contracts.coverage import (
    AgreementTerms,
    Cause,
    ComponentTerms,
    Line,
    Pricing,
    WarrantyTerms,
    coverage_at,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
RATES = Rates(
    labor_hour_cost=Decimal("120.00"),
    labor_hour_list=Decimal("180.00"),
    travel_trip_cost=Decimal("200.00"),
    travel_trip_list=Decimal("300.00"),
)
WARRANTY = WarrantyTerms(accepted_on=date(2026, 3, 1), warranty_months=12, contract_number="C-1")
EXTENDED = WarrantyTerms(
    accepted_on=date(2026, 3, 1), warranty_months=12, extended_months=12, contract_number="C-1"
)
# Covers labor and travel, not parts.
LABOR_ONLY = AgreementTerms(
    number="MA-1",
    starts_on=date(2028, 1, 1),
    ends_on=date(2028, 12, 31),
    covers_parts=False,
    covers_labor=True,
    covers_travel=True,
)


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


COVERS = {
    # name: (warranty terms, agreements, moment)
    "warranty": (WARRANTY, (), at(2026, 6, 1, 10)),
    "extended_warranty": (EXTENDED, (), at(2027, 6, 1, 10)),
    "agreement_labor_not_parts": (WARRANTY, (LABOR_ONLY,), at(2028, 6, 1, 10)),
    "none": (WARRANTY, (), at(2028, 6, 1, 10)),
    "not_accepted": (WarrantyTerms(accepted_on=None), (), at(2026, 6, 1, 10)),
}
F, C, L = Pricing.FREE, Pricing.COST, Pricing.LIST
# (cover, cause) -> (parts, labor, travel) and the reason code every line carries.
TABLE = {
    ("warranty", Cause.QUALITY): ((F, F, F), "warranty"),
    ("warranty", Cause.NON_QUALITY): ((C, F, F), "warranty"),
    ("warranty", Cause.UNDETERMINED): ((F, F, F), "warranty"),
    ("extended_warranty", Cause.QUALITY): ((F, F, F), "extended_warranty"),
    ("extended_warranty", Cause.NON_QUALITY): ((C, F, F), "extended_warranty"),
    ("extended_warranty", Cause.UNDETERMINED): ((F, F, F), "extended_warranty"),
    ("agreement_labor_not_parts", Cause.QUALITY): ((C, F, F), "agreement"),
    ("agreement_labor_not_parts", Cause.NON_QUALITY): ((C, F, F), "agreement"),
    ("agreement_labor_not_parts", Cause.UNDETERMINED): ((C, F, F), "agreement"),
    ("none", Cause.QUALITY): ((C, L, L), "out_of_cover"),
    ("none", Cause.NON_QUALITY): ((C, L, L), "out_of_cover"),
    ("none", Cause.UNDETERMINED): ((C, L, L), "out_of_cover"),
    ("not_accepted", Cause.QUALITY): ((F, F, F), "warranty_not_started"),
    ("not_accepted", Cause.NON_QUALITY): ((C, F, F), "warranty_not_started"),
    ("not_accepted", Cause.UNDETERMINED): ((F, F, F), "warranty_not_started"),
}
del F, C, L
# What each line costs at cost / at list price.
PARTS = LineIn(Line.PARTS, "电源板", Decimal(2), Decimal("50.00"), Decimal("80.00"))
EXPECTED_AMOUNT = {
    (Line.PARTS, Pricing.FREE): Decimal("0.00"),
    (Line.PARTS, Pricing.COST): Decimal("100.00"),
    (Line.PARTS, Pricing.LIST): Decimal("160.00"),
    (Line.LABOR, Pricing.FREE): Decimal("0.00"),
    (Line.LABOR, Pricing.COST): Decimal("180.00"),
    (Line.LABOR, Pricing.LIST): Decimal("270.00"),
    (Line.TRAVEL, Pricing.FREE): Decimal("0.00"),
    (Line.TRAVEL, Pricing.COST): Decimal("200.00"),
    (Line.TRAVEL, Pricing.LIST): Decimal("300.00"),
}


def test_the_table_covers_every_cover_and_cause():
    assert set(TABLE) == {(cover, cause) for cover in COVERS for cause in Cause}


@pytest.mark.parametrize(("cover", "cause"), list(TABLE))
def test_pricing_table(cover, cause):
    warranty, agreements, moment = COVERS[cover]
    answer = coverage_at(
        at=moment,
        cause=cause,
        time_zone="Asia/Shanghai",
        warranty=warranty,
        agreements=agreements,
    )
    lines = [PARTS, labor_line(Decimal("1.5"), RATES), travel_line(1, RATES)]
    priced = price_lines(answer, lines)
    expected_pricing, code = TABLE[(cover, cause)]
    assert tuple(p.pricing for p in priced.lines) == expected_pricing
    for line in priced.lines:
        assert line.amount == EXPECTED_AMOUNT[(line.kind, line.pricing)], line
        assert line.reason.code == code
        assert line.reason.params["pricing"] == line.pricing.value
        assert line.reason.params["cause"] == cause.value
        assert line.reason.params["priced_as"] == (
            "quality" if cause == Cause.UNDETERMINED else cause.value
        )
    assert priced.total == sum((p.amount for p in priced.lines), Decimal(0))
    assert priced.totals[Line.PARTS] == priced.lines[0].amount
    if cover == "agreement_labor_not_parts":
        covers = [p.reason.params["agreement_covers_line"] for p in priced.lines]
        assert covers == [False, True, True]


@pytest.mark.parametrize(
    ("moment", "pricing"),
    [
        (at(2027, 3, 1, 0, 0), Pricing.FREE),  # the last day of warranty, first minute
        (at(2027, 3, 1, 23, 59, 59), Pricing.FREE),  # and its last second, local time
        (at(2027, 3, 2, 0, 0), Pricing.LIST),  # the next local day: out of warranty
        # 16:30 UTC on 1 March is already 2 March in Shanghai.
        (datetime(2027, 3, 1, 16, 30, tzinfo=ZoneInfo("UTC")), Pricing.LIST),
        (datetime(2027, 3, 1, 15, 59, tzinfo=ZoneInfo("UTC")), Pricing.FREE),
    ],
)
def test_last_day_of_warranty_is_the_hospitals_local_day(moment, pricing):
    answer = coverage_at(
        at=moment, cause=Cause.QUALITY, time_zone="Asia/Shanghai", warranty=WARRANTY
    )
    (line,) = price_lines(answer, [labor_line(Decimal(1), RATES)]).lines
    assert line.pricing == pricing
    if pricing == Pricing.FREE:
        assert line.reason.code == "warranty"
        assert line.reason.params["until"] == at(2027, 3, 2)  # the first uncovered instant


def test_replaced_component_in_warranty_on_a_device_out_of_it():
    old_device = WarrantyTerms(accepted_on=date(2024, 1, 1), warranty_months=12)
    moment = at(2027, 1, 10, 9)
    device_answer = coverage_at(
        at=moment, cause=Cause.QUALITY, time_zone="Asia/Shanghai", warranty=old_device
    )
    component_answer = coverage_at(
        at=moment,
        cause=Cause.QUALITY,
        time_zone="Asia/Shanghai",
        warranty=old_device,
        component=ComponentTerms("主板", "MB-2", replaced_on=date(2026, 6, 1)),
    )
    component_part = LineIn(
        Line.PARTS, "主板 MB-2", Decimal(1), Decimal("900.00"), Decimal("1500.00"),
        answer=component_answer,
    )  # fmt: skip
    other_part = LineIn(Line.PARTS, "保险丝", Decimal(1), Decimal("5.00"), Decimal("8.00"))
    priced = price_lines(device_answer, [component_part, other_part, labor_line(Decimal(1), RATES)])
    component_line, other_line, labor = priced.lines
    assert component_line.pricing == Pricing.FREE and component_line.amount == 0
    assert component_line.reason.code == "component_warranty"
    assert component_line.reason.params["serial"] == "MB-2"
    assert other_line.pricing == Pricing.COST and other_line.amount == Decimal("5.00")
    assert labor.pricing == Pricing.LIST and labor.amount == Decimal("180.00")
    assert priced.total == Decimal("185.00")


def test_totals_to_the_fen():
    answer = coverage_at(
        at=at(2028, 6, 1), cause=Cause.QUALITY, time_zone="Asia/Shanghai", warranty=WARRANTY
    )
    lines = [
        LineIn(Line.PARTS, "滤芯", Decimal(3), Decimal("33.33"), Decimal("50.00")),
        labor_line(Decimal("1.5"), RATES),
        LineIn(Line.PARTS, "传感器", Decimal(1), Decimal("99.995"), Decimal("150.00")),
    ]
    priced = price_lines(answer, lines)
    assert [p.amount for p in priced.lines] == [
        Decimal("99.99"),
        Decimal("270.00"),
        Decimal("100.00"),  # 99.995 rounds half up
    ]
    assert priced.totals[Line.PARTS] == Decimal("199.99")
    assert priced.totals[Line.LABOR] == Decimal("270.00")
    assert priced.totals[Line.TRAVEL] == Decimal("0.00")
    assert priced.total == Decimal("469.99")
    assert all(isinstance(p.amount, Decimal) for p in priced.lines)
    assert str(priced.total) == "469.99"


def test_unknown_catalogue_price_is_zero_with_its_reason():
    answer = coverage_at(
        at=at(2028, 6, 1), cause=Cause.QUALITY, time_zone="Asia/Shanghai", warranty=WARRANTY
    )
    (line,) = price_lines(answer, [LineIn(Line.PARTS, "电源板", Decimal(1), None, None)]).lines
    assert line.pricing == Pricing.COST
    assert line.amount == Decimal("0.00")
    assert line.reason.code == "no_catalogue_price"
    assert line.reason.params["cover"] == "out_of_cover"


def test_money_is_never_float():
    assert to_fen(Decimal("0.005")) == Decimal("0.01")
    assert to_fen(Decimal("0.0049")) == Decimal("0.00")
    with pytest.raises(TypeError):
        to_fen(0.1)  # type: ignore[arg-type]
