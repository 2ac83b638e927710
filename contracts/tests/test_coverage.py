"""The coverage rule, table-driven and without a database (R-3.1-R-3.4, R-6.3, R-6.5,
R-7.7, R-7.8).

Periods follow the Civil Code: 12 months from an acceptance on 2026-03-01 cover the whole
of 2027-03-01 local time, so the first uncovered instant (``ends_at``) is 2027-03-02 00:00
in the hospital's zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.coverage import (
    DEFAULT_PRICES,
    AgreementTerms,
    Basis,
    Cause,
    ChargeRules,
    ComponentTerms,
    Cover,
    Line,
    NaiveDatetimeError,
    Pricing,
    WarrantyTerms,
    coverage_at,
    term_last_day,
    warranty_days,
)

SHANGHAI = "Asia/Shanghai"
NEW_YORK = "America/New_York"
SH = ZoneInfo(SHANGHAI)
NY = ZoneInfo(NEW_YORK)
FREE, COST, LIST = Pricing.FREE, Pricing.COST, Pricing.LIST
Q, NQ, UND = Cause.QUALITY, Cause.NON_QUALITY, Cause.UNDETERMINED
ONE_SECOND = timedelta(seconds=1)


def sh(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SH)


# The reference device: accepted 2026-03-01, 12 months, covered through 2027-03-01.
ACCEPTED = date(2026, 3, 1)
WARRANTY = WarrantyTerms(accepted_on=ACCEPTED, warranty_months=12, contract_number="QD-1")
WARRANTY_END = sh(2027, 3, 2)  # first instant out of warranty
EXTENDED = WarrantyTerms(
    accepted_on=ACCEPTED, warranty_months=12, extended_months=12, contract_number="QD-1"
)
EXTENDED_END = sh(2028, 3, 2)
NOT_ACCEPTED = WarrantyTerms(accepted_on=None)
LEAP = WarrantyTerms(accepted_on=date(2024, 2, 29), warranty_months=12)


def agreement(
    starts_on: date = date(2027, 3, 2),
    ends_on: date = date(2028, 3, 1),
    *,
    parts: bool = True,
    labor: bool = True,
    travel: bool = True,
    number: str = "MA-2027-0001",
) -> AgreementTerms:
    return AgreementTerms(
        number=number,
        starts_on=starts_on,
        ends_on=ends_on,
        covers_parts=parts,
        covers_labor=labor,
        covers_travel=travel,
    )


@dataclass(frozen=True)
class Case:
    at: datetime
    cause: Cause
    warranty: WarrantyTerms
    cover: Cover
    prices: tuple[Pricing, Pricing, Pricing]  # parts, labor, travel
    ends_at: datetime | None
    reason: str
    time_zone: str = SHANGHAI
    agreements: tuple[AgreementTerms, ...] = ()
    component: ComponentTerms | None = None
    rules: ChargeRules | None = None
    extra: dict = field(default_factory=dict)


CASES = {
    # --- warranty (R-3.1, R-3.4, R-6.3, R-7.7) ----------------------------------------
    "warranty-quality": Case(
        sh(2026, 6, 1, 10), Q, WARRANTY, Cover.WARRANTY, (FREE, FREE, FREE), WARRANTY_END,
        "warranty",
    ),
    "warranty-non-quality-parts-at-cost": Case(
        sh(2026, 6, 1, 10), NQ, WARRANTY, Cover.WARRANTY, (COST, FREE, FREE), WARRANTY_END,
        "warranty",
    ),
    "warranty-undetermined-priced-as-quality": Case(
        sh(2026, 6, 1, 10), UND, WARRANTY, Cover.WARRANTY, (FREE, FREE, FREE), WARRANTY_END,
        "warranty",
    ),
    "warranty-first-instant-acceptance-midnight": Case(
        sh(2026, 3, 1), Q, WARRANTY, Cover.WARRANTY, (FREE, FREE, FREE), WARRANTY_END,
        "warranty",
    ),
    "warranty-last-second": Case(
        sh(2027, 3, 1, 23, 59, 59), Q, WARRANTY, Cover.WARRANTY, (FREE, FREE, FREE),
        WARRANTY_END, "warranty",
    ),
    "warranty-next-second-out-of-cover": Case(
        sh(2027, 3, 2), Q, WARRANTY, Cover.NONE, (COST, LIST, LIST), None, "out_of_cover",
    ),
    "before-acceptance-not-started": Case(
        sh(2026, 2, 28, 23, 59, 59), Q, WARRANTY, Cover.NONE, (FREE, FREE, FREE), None,
        "warranty_not_started",
    ),
    "before-acceptance-non-quality": Case(
        sh(2026, 2, 1), NQ, WARRANTY, Cover.NONE, (COST, FREE, FREE), None,
        "warranty_not_started",
    ),
    "no-acceptance-date": Case(
        sh(2026, 6, 1), Q, NOT_ACCEPTED, Cover.NONE, (FREE, FREE, FREE), None,
        "warranty_not_started",
    ),
    # --- leap day and month ends (Civil Code art. 202) -----------------------------------
    "leap-day-acceptance-last-second-2025-02-28": Case(
        sh(2025, 2, 28, 23, 59, 59), Q, LEAP, Cover.WARRANTY, (FREE, FREE, FREE),
        sh(2025, 3, 1), "warranty",
    ),
    "leap-day-acceptance-next-second": Case(
        sh(2025, 3, 1), Q, LEAP, Cover.NONE, (COST, LIST, LIST), None, "out_of_cover",
    ),
    "leap-day-acceptance-48-months-ends-on-leap-day": Case(
        sh(2028, 2, 29, 12), Q, WarrantyTerms(date(2024, 2, 29), 48), Cover.WARRANTY,
        (FREE, FREE, FREE), sh(2028, 3, 1), "warranty",
    ),
    "month-end-acceptance-1-month-ends-feb-28": Case(
        sh(2026, 2, 28, 23, 59, 59), Q, WarrantyTerms(date(2026, 1, 31), 1), Cover.WARRANTY,
        (FREE, FREE, FREE), sh(2026, 3, 1), "warranty",
    ),
    # --- extended warranty (R-3.2) -------------------------------------------------------
    "extended-last-second-of-warranty-is-warranty": Case(
        sh(2027, 3, 1, 23, 59, 59), Q, EXTENDED, Cover.WARRANTY, (FREE, FREE, FREE),
        WARRANTY_END, "warranty",
    ),
    "extended-starts-when-warranty-ends": Case(
        sh(2027, 3, 2), Q, EXTENDED, Cover.EXTENDED_WARRANTY, (FREE, FREE, FREE),
        EXTENDED_END, "extended_warranty",
    ),
    "extended-non-quality": Case(
        sh(2027, 9, 1), NQ, EXTENDED, Cover.EXTENDED_WARRANTY, (COST, FREE, FREE),
        EXTENDED_END, "extended_warranty",
    ),
    "extended-last-second": Case(
        sh(2028, 3, 1, 23, 59, 59), Q, EXTENDED, Cover.EXTENDED_WARRANTY, (FREE, FREE, FREE),
        EXTENDED_END, "extended_warranty",
    ),
    "extended-next-second-out-of-cover": Case(
        sh(2028, 3, 2), Q, EXTENDED, Cover.NONE, (COST, LIST, LIST), None, "out_of_cover",
    ),
    # --- maintenance agreements (R-7.8) --------------------------------------------------
    "agreement-from-warranty-end-day-last-second-is-warranty": Case(
        sh(2027, 3, 1, 23, 59, 59), Q, WARRANTY, Cover.WARRANTY, (FREE, FREE, FREE),
        WARRANTY_END, "warranty", agreements=(agreement(starts_on=date(2027, 3, 1)),),
    ),
    "agreement-from-warranty-end-day-next-second-is-agreement": Case(
        sh(2027, 3, 2), Q, WARRANTY, Cover.AGREEMENT, (FREE, FREE, FREE), sh(2028, 3, 2),
        "agreement", agreements=(agreement(starts_on=date(2027, 3, 1)),),
    ),
    "agreement-from-day-after-warranty": Case(
        sh(2027, 3, 2), Q, WARRANTY, Cover.AGREEMENT, (FREE, FREE, FREE), sh(2028, 3, 2),
        "agreement", agreements=(agreement(),),
    ),
    "agreement-labor-not-parts-no-travel": Case(
        sh(2027, 6, 1), Q, WARRANTY, Cover.AGREEMENT, (COST, FREE, LIST), sh(2028, 3, 2),
        "agreement", agreements=(agreement(parts=False, labor=True, travel=False),),
    ),
    "agreement-labor-not-parts-with-travel": Case(
        sh(2027, 6, 1), Q, WARRANTY, Cover.AGREEMENT, (COST, FREE, FREE), sh(2028, 3, 2),
        "agreement", agreements=(agreement(parts=False, labor=True, travel=True),),
    ),
    "agreement-parts-only": Case(
        sh(2027, 6, 1), Q, WARRANTY, Cover.AGREEMENT, (FREE, LIST, LIST), sh(2028, 3, 2),
        "agreement", agreements=(agreement(parts=True, labor=False, travel=False),),
    ),
    "agreement-non-quality": Case(
        sh(2027, 6, 1), NQ, WARRANTY, Cover.AGREEMENT, (COST, FREE, FREE), sh(2028, 3, 2),
        "agreement", agreements=(agreement(),),
    ),
    "agreement-non-quality-travel-not-covered": Case(
        sh(2027, 6, 1), NQ, WARRANTY, Cover.AGREEMENT, (COST, FREE, LIST), sh(2028, 3, 2),
        "agreement", agreements=(agreement(travel=False),),
    ),
    "agreement-last-day-last-second": Case(
        sh(2028, 3, 1, 23, 59, 59), Q, WARRANTY, Cover.AGREEMENT, (FREE, FREE, FREE),
        sh(2028, 3, 2), "agreement", agreements=(agreement(),),
    ),
    "agreement-over-next-second-out-of-cover": Case(
        sh(2028, 3, 2), Q, WARRANTY, Cover.NONE, (COST, LIST, LIST), None, "out_of_cover",
        agreements=(agreement(),),
    ),
    "agreement-gap-before-it-starts": Case(
        sh(2027, 5, 31, 23, 59, 59), Q, WARRANTY, Cover.NONE, (COST, LIST, LIST), None,
        "out_of_cover", agreements=(agreement(starts_on=date(2027, 6, 1)),),
    ),
    "agreement-of-another-period-second-one-applies": Case(
        sh(2028, 6, 1), NQ, WARRANTY, Cover.AGREEMENT, (COST, LIST, LIST), sh(2029, 3, 2),
        "agreement",
        agreements=(
            agreement(number="MA-2027-0001"),
            agreement(
                date(2028, 3, 2), date(2029, 3, 1), parts=False, labor=False, travel=False,
                number="MA-2028-0001",
            ),
        ),
    ),
    # --- out of cover (R-7.8: parts at cost for life) ------------------------------------
    "out-of-cover-quality": Case(
        sh(2030, 1, 1), Q, WARRANTY, Cover.NONE, (COST, LIST, LIST), None, "out_of_cover",
    ),
    "out-of-cover-non-quality": Case(
        sh(2030, 1, 1), NQ, WARRANTY, Cover.NONE, (COST, LIST, LIST), None, "out_of_cover",
    ),
    "out-of-cover-undetermined": Case(
        sh(2030, 1, 1), UND, WARRANTY, Cover.NONE, (COST, LIST, LIST), None, "out_of_cover",
    ),
    # --- replaced main components (R-6.5) ------------------------------------------------
    "component-outlives-device-warranty": Case(
        sh(2027, 6, 1), Q, WARRANTY, Cover.WARRANTY, (FREE, FREE, FREE), sh(2028, 1, 2),
        "component_warranty",
        component=ComponentTerms("main board", "MB-2", replaced_on=date(2027, 1, 1)),
    ),
    "component-last-second": Case(
        sh(2028, 1, 1, 23, 59, 59), NQ, WARRANTY, Cover.WARRANTY, (COST, FREE, FREE),
        sh(2028, 1, 2), "component_warranty",
        component=ComponentTerms("main board", "MB-2", replaced_on=date(2027, 1, 1)),
    ),
    "component-next-second-out-of-cover": Case(
        sh(2028, 1, 2), Q, WARRANTY, Cover.NONE, (COST, LIST, LIST), None, "out_of_cover",
        component=ComponentTerms("main board", "MB-2", replaced_on=date(2027, 1, 1)),
    ),
    "component-never-less-than-device-remaining-warranty": Case(
        sh(2028, 6, 1), Q, WarrantyTerms(ACCEPTED, 36), Cover.WARRANTY, (FREE, FREE, FREE),
        sh(2029, 3, 2), "component_warranty",
        component=ComponentTerms("main board", "MB-2", replaced_on=date(2026, 6, 1)),
    ),
    "component-never-less-than-device-extended-warranty": Case(
        sh(2028, 1, 1), Q, EXTENDED, Cover.WARRANTY, (FREE, FREE, FREE), EXTENDED_END,
        "component_warranty",
        component=ComponentTerms("main board", "MB-2", replaced_on=date(2026, 6, 1)),
    ),
    "component-custom-term-6-months": Case(
        sh(2027, 7, 1, 23, 59, 59), Q, WARRANTY, Cover.WARRANTY, (FREE, FREE, FREE),
        sh(2027, 7, 2), "component_warranty",
        component=ComponentTerms("main board", "MB-2", replaced_on=date(2027, 1, 1)),
        rules=ChargeRules(component_warranty_months=6),
    ),
    # --- configured rules ----------------------------------------------------------------
    "custom-rule-non-quality-parts-free-in-warranty": Case(
        sh(2026, 6, 1), NQ, WARRANTY, Cover.WARRANTY, (FREE, FREE, FREE), WARRANTY_END,
        "warranty",
        rules=ChargeRules(prices={(Basis.WARRANTY, Cause.NON_QUALITY, Line.PARTS): FREE}),
    ),
    "custom-rule-labor-at-cost-after-warranty": Case(
        sh(2030, 1, 1), Q, WARRANTY, Cover.NONE, (COST, COST, LIST), None, "out_of_cover",
        rules=ChargeRules(prices={(Basis.NONE, Cause.QUALITY, Line.LABOR): COST}),
    ),
    "undetermined-configured-as-non-quality": Case(
        sh(2026, 6, 1), UND, WARRANTY, Cover.WARRANTY, (COST, FREE, FREE), WARRANTY_END,
        "warranty", rules=ChargeRules(undetermined_as=Cause.NON_QUALITY),
    ),
    # --- time zones: every boundary is a local midnight in the hospital's zone -----------
    "utc-instant-last-second-in-shanghai": Case(
        datetime(2027, 3, 1, 15, 59, 59, tzinfo=UTC), Q, WARRANTY, Cover.WARRANTY,
        (FREE, FREE, FREE), datetime(2027, 3, 1, 16, tzinfo=UTC), "warranty",
    ),
    "utc-instant-first-second-out-in-shanghai": Case(
        datetime(2027, 3, 1, 16, tzinfo=UTC), Q, WARRANTY, Cover.NONE, (COST, LIST, LIST),
        None, "out_of_cover",
    ),
    "utc-instant-before-shanghai-acceptance-midnight": Case(
        datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC), Q, WARRANTY, Cover.NONE,
        (FREE, FREE, FREE), None, "warranty_not_started",
    ),
    "new-york-hospital-last-second": Case(
        datetime(2027, 3, 2, 4, 59, 59, tzinfo=UTC), Q, WARRANTY, Cover.WARRANTY,
        (FREE, FREE, FREE), datetime(2027, 3, 2, 5, tzinfo=UTC), "warranty",
        time_zone=NEW_YORK,
    ),
    "new-york-hospital-next-second": Case(
        datetime(2027, 3, 2, 5, tzinfo=UTC), Q, WARRANTY, Cover.NONE, (COST, LIST, LIST),
        None, "out_of_cover", time_zone=NEW_YORK,
    ),
    "new-york-summer-time-end": Case(
        datetime(2027, 7, 2, 3, 59, 59, tzinfo=UTC), Q, WarrantyTerms(date(2026, 7, 1), 12),
        Cover.WARRANTY, (FREE, FREE, FREE), datetime(2027, 7, 2, 4, tzinfo=UTC), "warranty",
        time_zone=NEW_YORK,
    ),
    "same-instant-shanghai-already-out-new-york-still-in": Case(
        datetime(2027, 3, 1, 20, tzinfo=UTC), Q, WARRANTY, Cover.WARRANTY, (FREE, FREE, FREE),
        datetime(2027, 3, 2, 5, tzinfo=UTC), "warranty", time_zone=NEW_YORK,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_coverage_table(case: Case):
    """R-3.1-R-3.4, R-6.3, R-6.5, R-7.7, R-7.8: cover, period end, pricing, reason."""
    answer = coverage_at(
        at=case.at,
        cause=case.cause,
        time_zone=case.time_zone,
        warranty=case.warranty,
        agreements=case.agreements,
        component=case.component,
        rules=case.rules,
    )
    assert answer.cover == case.cover
    assert (answer.parts, answer.labor, answer.travel) == case.prices
    assert answer.ends_at == case.ends_at
    assert answer.reasons[0].code == case.reason
    assert answer.cause == case.cause
    if case.ends_at is not None:
        # Every boundary is a local midnight of the hospital.
        local_end = case.ends_at.astimezone(ZoneInfo(case.time_zone))
        assert (local_end.hour, local_end.minute, local_end.second) == (0, 0, 0)


def test_no_acceptance_date_answers_warranty_not_started():
    """Issue 2 §5: no acceptance date → "warranty not started", no crash."""
    answer = coverage_at(at=sh(2026, 6, 1), cause=Q, time_zone=SHANGHAI, warranty=NOT_ACCEPTED)
    assert answer.cover == Cover.NONE
    assert answer.basis == Basis.NOT_ACCEPTED
    assert answer.warranty_started is False
    assert answer.starts_at is None and answer.ends_at is None
    assert [r.code for r in answer.reasons] == ["warranty_not_started"]
    assert answer.reasons[0].params["accepted_on"] is None


@pytest.mark.parametrize(
    ("at", "started"),
    [
        (sh(2026, 2, 28, 23, 59, 59), False),
        (sh(2026, 3, 1), True),
        (sh(2030, 1, 1), True),  # out of cover, but the warranty did start
    ],
    ids=["before-acceptance", "acceptance-midnight", "long-after"],
)
def test_warranty_started_flag(at, started):
    answer = coverage_at(at=at, cause=Q, time_zone=SHANGHAI, warranty=WARRANTY)
    assert answer.warranty_started is started


def test_undetermined_cause_is_named_in_the_reasons():
    """Issue 2 §5: undetermined → treated as quality until classified, and says so."""
    answer = coverage_at(at=sh(2026, 6, 1), cause=UND, time_zone=SHANGHAI, warranty=WARRANTY)
    assert answer.cause == Cause.UNDETERMINED
    assert answer.priced_as == Cause.QUALITY
    assert answer.reasons[-1].code == "cause_undetermined"
    assert answer.reasons[-1].params == {"priced_as": "quality"}


def test_component_before_its_replacement_falls_back_to_the_device():
    """R-6.5: a component's own warranty starts on its replacement day, not before."""
    component = ComponentTerms("main board", "MB-2", replaced_on=date(2027, 6, 1))
    answer = coverage_at(
        at=sh(2027, 5, 31, 23, 59, 59),
        cause=Q,
        time_zone=SHANGHAI,
        warranty=WARRANTY,
        component=component,
    )
    assert answer.cover == Cover.NONE
    assert answer.reasons[0].code == "out_of_cover"


def test_component_reason_names_the_component():
    component = ComponentTerms("main board", "MB-2", replaced_on=date(2027, 1, 1))
    answer = coverage_at(
        at=sh(2027, 6, 1), cause=Q, time_zone=SHANGHAI, warranty=WARRANTY, component=component
    )
    assert answer.starts_at == sh(2027, 1, 1)
    params = answer.reasons[0].params
    assert (params["component"], params["serial"]) == ("main board", "MB-2")
    assert params["until"] == sh(2028, 1, 2)


def test_warranty_reason_carries_the_terms():
    answer = coverage_at(at=sh(2026, 6, 1), cause=Q, time_zone=SHANGHAI, warranty=WARRANTY)
    assert answer.starts_at == sh(2026, 3, 1)
    assert answer.reasons[0].params == {
        "accepted_on": ACCEPTED,
        "months": 12,
        "until": WARRANTY_END,
        "contract": "QD-1",
    }


def test_agreement_pricing_falls_back_per_line_to_out_of_cover_rules():
    """R-7.8: a line the agreement does not cover is charged as without cover; a custom
    out-of-cover price is followed for that line."""
    rules = ChargeRules(prices={(Basis.NONE, Cause.QUALITY, Line.TRAVEL): COST})
    answer = coverage_at(
        at=sh(2027, 6, 1),
        cause=Q,
        time_zone=SHANGHAI,
        warranty=WARRANTY,
        agreements=[agreement(parts=False, labor=True, travel=False)],
        rules=rules,
    )
    assert (answer.parts, answer.labor, answer.travel) == (COST, FREE, COST)


def test_naive_datetime_is_refused():
    with pytest.raises(NaiveDatetimeError):
        coverage_at(at=datetime(2026, 6, 1, 10), cause=Q, time_zone=SHANGHAI, warranty=WARRANTY)
    assert issubclass(NaiveDatetimeError, ValueError)


def test_unknown_cause_is_refused():
    with pytest.raises(ValueError, match="misuse"):
        coverage_at(at=sh(2026, 6, 1), cause="misuse", time_zone=SHANGHAI, warranty=WARRANTY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "months", "last_day"),
    [
        (date(2026, 3, 1), 12, date(2027, 3, 1)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(9999, 6, 1), 12, date.max),
    ],
    ids=[
        "plain",
        "leap-day-12",
        "leap-day-48",
        "jan-31-plus-1",
        "aug-31-plus-1",
        "year-wrap",
        "past-the-calendar",
    ],
)
def test_term_last_day(start, months, last_day):
    assert term_last_day(start, months) == last_day


@pytest.mark.parametrize("time_zone", [SHANGHAI, NEW_YORK], ids=["shanghai", "new-york"])
def test_agreement_until_the_last_day_of_the_calendar(time_zone):
    """An agreement "until 9999-12-31" (open-ended) answers without overflowing."""
    answer = coverage_at(
        at=datetime(2500, 1, 1, tzinfo=UTC),
        cause=Q,
        time_zone=time_zone,
        warranty=WARRANTY,
        agreements=[agreement(ends_on=date.max)],
    )
    assert answer.cover == Cover.AGREEMENT
    assert answer.ends_at is not None and answer.ends_at > datetime(9999, 12, 31, tzinfo=UTC)


def test_default_prices_are_complete():
    """Every basis x cause x line has a default, so a partial configuration never fails."""
    for basis in Basis:
        for cause in (Q, NQ):
            for line in Line:
                assert (basis, cause, line) in DEFAULT_PRICES


# --- properties -------------------------------------------------------------------------
ZONES = [SHANGHAI, NEW_YORK, "UTC", "Europe/Berlin"]
_ORDER = {FREE: 0, COST: 1, LIST: 2}

instants = st.datetimes(
    min_value=datetime(2019, 1, 1),
    max_value=datetime(2036, 12, 31),
    timezones=st.sampled_from([ZoneInfo(z) for z in ZONES]),
)
acceptance_days = st.one_of(
    st.none(), st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
)
warranty_terms = st.builds(
    WarrantyTerms,
    accepted_on=acceptance_days,
    warranty_months=st.integers(min_value=1, max_value=60),
    extended_months=st.integers(min_value=0, max_value=36),
)


@st.composite
def agreement_terms(draw) -> AgreementTerms:
    starts_on = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2034, 12, 31)))
    length = draw(st.integers(min_value=0, max_value=1500))
    return AgreementTerms(
        number=f"MA-{draw(st.integers(1, 9999))}",
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=length),
        covers_parts=draw(st.booleans()),
        covers_labor=draw(st.booleans()),
        covers_travel=draw(st.booleans()),
    )


components = st.one_of(
    st.none(),
    st.builds(
        ComponentTerms,
        name=st.just("main board"),
        serial_number=st.just("MB"),
        replaced_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2034, 12, 31)),
    ),
)
scenario = {
    "at": instants,
    "time_zone": st.sampled_from(ZONES),
    "warranty": warranty_terms,
    "agreements": st.lists(agreement_terms(), max_size=2),
    "component": components,
}


@settings(max_examples=300, deadline=None)
@given(at=instants, time_zone=st.sampled_from(ZONES), warranty=warranty_terms)
def test_property_no_warranty_before_acceptance_midnight(at, time_zone, warranty):
    """R-3.1: warranty counts from the acceptance date, never earlier."""
    answer = coverage_at(at=at, cause=Q, time_zone=time_zone, warranty=warranty)
    if warranty.accepted_on is None:
        assert answer.cover == Cover.NONE and not answer.warranty_started
        return
    acceptance_midnight = datetime.combine(warranty.accepted_on, datetime.min.time()).replace(
        tzinfo=ZoneInfo(time_zone)
    )
    if at < acceptance_midnight:
        assert answer.cover not in (Cover.WARRANTY, Cover.EXTENDED_WARRANTY)
        assert answer.warranty_started is False
    else:
        assert answer.warranty_started is True


@settings(max_examples=300, deadline=None)
@given(**scenario)
def test_property_quality_never_costs_more_than_non_quality(
    at, time_zone, warranty, agreements, component
):
    """R-7.7: under the default rules a quality fault is never charged more than a
    non-quality fault at the same moment, line by line."""
    kwargs = {
        "at": at,
        "time_zone": time_zone,
        "warranty": warranty,
        "agreements": agreements,
        "component": component,
    }
    quality = coverage_at(cause=Q, **kwargs)
    non_quality = coverage_at(cause=NQ, **kwargs)
    assert quality.cover == non_quality.cover
    for line in Line:
        assert _ORDER[quality.pricing(line)] <= _ORDER[non_quality.pricing(line)]


@settings(max_examples=300, deadline=None)
@given(**scenario, cause=st.sampled_from(list(Cause)))
def test_property_cover_period_contains_at(at, time_zone, warranty, agreements, component, cause):
    """A cover answers the period it belongs to: starts_at <= at < ends_at; the last second
    before ends_at still has that cover; no cover has no period."""
    kwargs = {
        "time_zone": time_zone,
        "warranty": warranty,
        "agreements": agreements,
        "component": component,
    }
    answer = coverage_at(at=at, cause=cause, **kwargs)
    if answer.cover == Cover.NONE:
        assert answer.ends_at is None and answer.starts_at is None
        return
    assert answer.ends_at is not None and answer.starts_at is not None
    assert answer.starts_at <= at < answer.ends_at


@settings(max_examples=300, deadline=None)
@given(at=instants, time_zone=st.sampled_from(ZONES), warranty=warranty_terms)
def test_property_last_second_keeps_the_cover(at, time_zone, warranty):
    """The period is covered whole: one second before ``ends_at`` the same cover holds with
    the same end, and at ``ends_at`` it no longer does."""
    kwargs = {"cause": Q, "time_zone": time_zone, "warranty": warranty}
    answer = coverage_at(at=at, **kwargs)
    if answer.ends_at is None:
        return
    last_second = coverage_at(at=answer.ends_at - ONE_SECOND, **kwargs)
    assert (last_second.cover, last_second.ends_at) == (answer.cover, answer.ends_at)
    after = coverage_at(at=answer.ends_at, **kwargs)
    assert (after.cover, after.ends_at) != (answer.cover, answer.ends_at)


@settings(max_examples=200, deadline=None)
@given(**scenario)
def test_property_parts_never_list_price(at, time_zone, warranty, agreements, component):
    """R-7.8: parts are at cost for life; under the defaults they are never at list price."""
    answer = coverage_at(
        at=at,
        cause=NQ,
        time_zone=time_zone,
        warranty=warranty,
        agreements=agreements,
        component=component,
    )
    assert answer.parts in (FREE, COST)


@settings(max_examples=200, deadline=None)
@given(at=instants, warranty=warranty_terms)
def test_property_same_instant_any_representation(at, warranty):
    """The answer depends on the instant, not on the zone the caller wrote it in."""
    a = coverage_at(at=at, cause=Q, time_zone=SHANGHAI, warranty=warranty)
    b = coverage_at(at=at.astimezone(UTC), cause=Q, time_zone=SHANGHAI, warranty=warranty)
    assert (a.cover, a.ends_at, a.parts, a.labor, a.travel) == (
        b.cover,
        b.ends_at,
        b.parts,
        b.labor,
        b.travel,
    )


@pytest.mark.parametrize(
    ("accepted_on", "extended", "today", "state"),
    [
        (None, 0, date(2026, 5, 1), "not_accepted"),
        (date(2026, 3, 1), 0, date(2026, 2, 28), "not_started"),
        (date(2026, 3, 1), 0, date(2026, 3, 1), "warranty"),
        (date(2026, 3, 1), 0, date(2027, 3, 1), "warranty"),  # the last day is covered
        (date(2026, 3, 1), 0, date(2027, 3, 2), "expired"),
        (date(2026, 3, 1), 12, date(2027, 3, 2), "extended"),
        (date(2026, 3, 1), 12, date(2028, 3, 1), "extended"),
        (date(2026, 3, 1), 12, date(2028, 3, 2), "expired"),
        (date(2024, 2, 29), 0, date(2025, 2, 28), "warranty"),  # leap day: month end
        (date(2024, 2, 29), 0, date(2025, 3, 1), "expired"),
    ],
)
def test_warranty_days(accepted_on, extended, today, state):
    terms = WarrantyTerms(accepted_on=accepted_on, warranty_months=12, extended_months=extended)
    assert warranty_days(terms, today).state == state
