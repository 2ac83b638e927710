"""The monthly roll-ups give exactly what the records give (issue 14 §2: "they must agree
with the raw computation"), and are used only for windows they can answer."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kpis import rollups, selectors
from kpis.query import GROUP_BY, kpi_query
from kpis.tests.world import FIRST_DAY, LAST_DAY, NOW, KpiWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield KpiWorld()


def query(user, group_by="month", first_day=FIRST_DAY, last_day=LAST_DAY):
    return kpi_query(user=user, first_day=first_day, last_day=last_day, group_by=group_by, now=NOW)


@pytest.mark.parametrize("group_by", list(GROUP_BY))
def test_the_rollups_agree_with_the_records(world, group_by):
    q = query(world.manager, group_by)
    raw_on_time = selectors.on_time_rows(q, selectors.on_time_counts(q))
    raw_times = selectors.repair_rows(q, selectors.repair_samples(q))
    assert rollups.covered_months(q) is None  # nothing rolled up yet: the records answer
    for month in (dt.date(2026, 3, 1), dt.date(2026, 4, 1)):
        rollups.refresh(month, now=NOW)
    assert rollups.covered_months(q) is not None
    assert rollups.on_time_counts(q) is not None
    assert selectors.on_time(q) == raw_on_time
    assert selectors.repair_times(q) == raw_times
    assert raw_on_time and raw_times


def test_causes_symptoms_and_model_failures_agree_too(world):
    from assets.models import Device
    from parts.services import part_create

    with time_machine.travel(NOW, tick=False):
        part_create(part_number="P-1", name_zh="屏", symptom_keywords="屏幕, 黑屏")
    Device.objects.update(live_on=dt.date(2026, 1, 1), status="in_service")
    q = query(world.manager)
    raw = (selectors.fault_causes(q), selectors.symptoms(q), selectors.mtbf(q, per="model"))
    for month in (dt.date(2026, 3, 1), dt.date(2026, 4, 1)):
        rollups.refresh(month, now=NOW)
    assert rollups.month_counts(q, "causes") is not None
    assert rollups.model_failures(q) == {world.model.pk: 7}
    rolled = (selectors.fault_causes(q), selectors.symptoms(q), selectors.mtbf(q, per="model"))
    assert rolled == raw
    assert [r.count for r in raw[1]] == [6, 1]  # 屏幕 ×6 (R7 too), 黑屏 ×1


def test_the_records_answer_what_the_rollups_cannot(world):
    for month in (dt.date(2026, 3, 1), dt.date(2026, 4, 1)):
        rollups.refresh(month, now=NOW)
    # A hospital's own view (the roll-ups are every hospital's), a window not of whole
    # months, a month not rolled up.
    assert rollups.covered_months(query(world.hospital_admin)) is None
    assert rollups.covered_months(query(world.manager, first_day=dt.date(2026, 3, 2))) is None
    assert rollups.covered_months(query(world.manager, last_day=dt.date(2026, 4, 15))) is not None
    assert rollups.covered_months(query(world.manager, last_day=dt.date(2026, 3, 30))) is None
    assert rollups.covered_months(query(world.manager, first_day=dt.date(2026, 2, 1))) is None


def test_a_rollup_is_as_of_its_refresh(world):
    (march,) = [rollups.refresh(dt.date(2026, 3, 1), now=NOW)]
    april = rollups.refresh(dt.date(2026, 4, 1), now=NOW + dt.timedelta(minutes=10))
    assert rollups.as_of(query(world.manager)) == march.refreshed_at
    assert april.figures.filter(dimension="month").get().requests == 1
    # A second refresh replaces the month's figures.
    rollups.refresh(dt.date(2026, 4, 1), now=NOW)
    assert april.figures.filter(dimension="month").count() == 1


def test_the_worker_refreshes_this_month_and_the_last(world):
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        done = rollups.refresh_recent()
    assert [m.month for m in done] == [dt.date(2026, 4, 1), dt.date(2026, 3, 1)]
