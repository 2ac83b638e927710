"""The figures beyond the promises (``kpis.selectors``): MTBF, the fault-cause and symptom
Pareto, return-visit satisfaction, parts consumed and loaner days, each against the value
worked out by hand from the known history (``world.py``) and what is added here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from assets.models import Device
from kpis import selectors
from kpis.query import kpi_query
from kpis.tests.world import FIRST_DAY, LAST_DAY, NOW, UTC, KpiWorld, T
from parts.loaners.services import loaner_create, loaner_install, loaner_return
from parts.services import (
    part_create,
    stock_issue,
    stock_location_create,
    stock_receive,
    stock_return,
)
from return_visits.services import return_visit_create, return_visit_record
from service.services import service_request_set_fault_cause

pytestmark = pytest.mark.django_db


def device_go_live(*, device, live_on):
    """The go-live date alone: its preconditions (installation, acceptance, an emergency
    procedure received) are the assets app's, tested there; MTBF reads only the date."""
    Device.objects.filter(pk=device.pk).update(live_on=live_on, status="in_service")


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield KpiWorld()


def query(user, **extra):
    return kpi_query(user=user, first_day=FIRST_DAY, last_day=LAST_DAY, now=NOW, **extra)


def test_mtbf_per_model_and_device(world):
    with time_machine.travel(NOW, tick=False):
        device_go_live(device=world.device, live_on=dt.date(2026, 1, 1))
        device_go_live(device=world.other_device, live_on=dt.date(2026, 3, 5))
        # Misuse is a failure too (the Pareto tells the causes apart).
        service_request_set_fault_cause(request=world.r4, cause="non_quality")
    # 甲's device: 1 March … today (1 April, local) = 32 days = 768 h; R1-R6 fail.
    # 乙's: 5 March … 1 April = 28 days = 672 h; R7 (10 March).
    models = selectors.mtbf(query(world.manager), per="model")
    assert [(r.label, r.devices, r.operating_hours, r.failures) for r in models] == [
        (str(world.model), 2, 1440.0, 7)
    ]
    assert models[0].mtbf_hours == pytest.approx(1440 / 7)
    devices = selectors.mtbf(query(world.manager), per="device")
    assert [(r.key, r.mtbf_hours) for r in devices] == [
        (world.device.pk, 128.0),
        (world.other_device.pk, 672.0),
    ]
    # The hospital's own view: its device only.
    mine = selectors.mtbf(query(world.hospital_admin), per="model")
    assert [(r.devices, r.failures, r.mtbf_hours) for r in mine] == [(1, 6, 128.0)]


def test_a_device_live_after_the_window_counts_nowhere(world):
    with time_machine.travel(NOW, tick=False):
        device_go_live(device=world.device, live_on=dt.date(2026, 3, 20))
    before = kpi_query(
        user=world.hospital_admin, first_day=FIRST_DAY, last_day=dt.date(2026, 3, 19), now=NOW
    )
    assert selectors.mtbf(before, per="model") == []


def test_a_request_before_go_live_is_no_failure(world):
    with time_machine.travel(NOW, tick=False):
        device_go_live(device=world.other_device, live_on=dt.date(2026, 3, 11))
    (row,) = selectors.mtbf(query(world.manager), per="model")
    assert row.failures == 0 and row.mtbf_hours is None  # R7 came on 10 March


def test_fault_cause_and_symptom_pareto(world):
    with time_machine.travel(NOW, tick=False):
        service_request_set_fault_cause(request=world.r4, cause="non_quality")
        part_create(part_number="P-1", name_zh="屏", symptom_keywords="屏幕, 黑屏，No display")
    causes = selectors.fault_causes(query(world.hospital_admin))
    assert [(r.key, r.count, r.cumulative) for r in causes] == [
        ("undetermined", 5, pytest.approx(5 / 6)),
        ("non_quality", 1, 1.0),
    ]
    symptoms = selectors.symptoms(query(world.hospital_admin))
    # "屏幕无显示" ×5, "黑屏，无法开机" ×1; nobody wrote "no display".
    assert [(r.key, r.count, r.share) for r in symptoms] == [
        ("屏幕", 5, pytest.approx(5 / 6)),
        ("黑屏", 1, pytest.approx(1 / 6)),
    ]
    assert "symptom=%E9%BB%91%E5%B1%8F" in symptoms[1].link


def _sheet(visit, user, satisfaction, device):
    return_visit_record(
        visit=visit,
        user=user,
        participants=[{"name": "护士长", "role": "head nurse"}],
        devices=[{"device": device.pk, "state": "normal"}],
        satisfaction=satisfaction,
    )


def test_satisfaction_per_month_and_its_average(world):
    icu = world.device.department
    other = world.other_device.department
    with time_machine.travel(dt.datetime(2026, 3, 15, 2, tzinfo=UTC), tick=False):
        for department, device, score in ((icu, world.device, 4), (other, world.other_device, 1)):
            visit = return_visit_create(
                department=department, month=dt.date(2026, 3, 1), user=world.manager
            )
            _sheet(visit, world.manager, score, device)
    with time_machine.travel(NOW, tick=False):
        visit = return_visit_create(department=icu, month=dt.date(2026, 4, 1), user=world.manager)
        _sheet(visit, world.manager, 5, world.device)
    mine = selectors.satisfaction(query(world.hospital_admin))
    assert [(f"{r.month:%Y-%m}", r.sheets, r.average) for r in mine] == [
        ("2026-03", 1, 4.0),
        ("2026-04", 1, 5.0),
    ]
    assert selectors.satisfaction_average(mine) == 4.5
    everyone = selectors.satisfaction(query(world.manager))
    assert [(r.sheets, r.average) for r in everyone] == [(2, 2.5), (1, 5.0)]
    assert selectors.satisfaction_average(everyone) == pytest.approx(10 / 3)


def test_parts_consumed_net_of_returns_at_cost(world):
    issued_at = T + dt.timedelta(hours=2)
    with time_machine.travel(NOW, tick=False):
        part = part_create(part_number="P-7", name_zh="电源板", cost_price=Decimal("120.50"),
                           list_price=Decimal("200"))  # fmt: skip
        shelf = stock_location_create(kind="central", name="中心库")
        stock_receive(part=part, quantity=5, location=shelf, user=world.manager)
        for request in (world.r1, world.r2):
            stock_issue(part=part, quantity=2, location=shelf, request=request,
                        user=world.manager, occurred_at=issued_at)  # fmt: skip
        stock_return(part=part, quantity=1, location=shelf, request=world.r2,
                     user=world.manager, occurred_at=issued_at)  # fmt: skip
    (row,) = selectors.parts_consumed(query(world.manager))
    assert (row.part_number, row.quantity, row.cost) == ("P-7", 3, Decimal("361.50"))
    # Issued before the window: nothing in it.
    march_only = kpi_query(
        user=world.manager, first_day=dt.date(2026, 3, 20), last_day=LAST_DAY, now=NOW
    )
    assert selectors.parts_consumed(march_only) == []


def test_loaner_days_within_the_window(world):
    with time_machine.travel(NOW, tick=False):
        shelf = stock_location_create(kind="central", name="样机库")
        first = loaner_create(product_model=world.model, serial_number="LN-1", location=shelf)
        second = loaner_create(product_model=world.model, serial_number="LN-2", location=shelf)
    # LN-1 in at R5 (31 March 16:00 UTC) and back 12 h later; LN-2 in at R6, still out.
    installed = dt.datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    with time_machine.travel(installed, tick=False):
        loan = loaner_install(loaner=first, request=world.r5, user=world.manager)
    with time_machine.travel(installed + dt.timedelta(minutes=40), tick=False):
        loaner_install(loaner=second, request=world.r6, user=world.manager)
    with time_machine.travel(installed + dt.timedelta(hours=12), tick=False):
        loaner_return(loan=loan, user=world.manager)
    # At NOW (1 April 00:00 UTC): LN-1 8 h so far... but the query's ``now`` is NOW, so
    # LN-1 counts until NOW (8 h) and LN-2 7 h 20 min: 15 h 20 min = 0.6389 days.
    figure = selectors.loaner_days(query(world.manager))
    assert figure.loans == 2
    assert figure.days == pytest.approx((8 + 7 + 20 / 60) / 24)
