"""Each KPI figure of a known history (``world.py``), against the value computed by hand."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError

from kpis import selectors
from kpis.query import kpi_query
from kpis.tests.world import FIRST_DAY, LAST_DAY, NOW, KpiWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield KpiWorld()


def query(user, group_by="month", **extra):
    return kpi_query(
        user=user,
        first_day=extra.pop("first_day", FIRST_DAY),
        last_day=extra.pop("last_day", LAST_DAY),
        group_by=group_by,
        now=NOW,
    )


def table(rows):
    return {(r.group_key, r.milestone): (r.met, r.breached, r.not_applicable, r.rate) for r in rows}


def test_on_time_per_month_as_the_hospital_sees_it(world):
    rows = selectors.on_time(query(world.hospital_admin))
    assert table(rows) == {
        # R1, R2, R3 met; R4 not applicable (fixed by phone); R5 5.5 h late.
        ("2026-03", "on_site"): (3, 1, 1, 0.75),
        # R1 and R2 met exactly at the deadline (R2's moved back by its pause); R3's repair
        # before the reopening is void, so its solution came 4 h after arrival; R5 2.5 h.
        ("2026-03", "solution"): (2, 2, 1, 0.5),
        ("2026-03", "resolved"): (5, 0, 0, 1.0),
        ("2026-03", "restored"): (5, 0, 0, 1.0),
        # R6: still pending, past its deadline at NOW; its other promises count nowhere.
        ("2026-04", "on_site"): (0, 1, 0, 0.0),
    }
    # Months in order, promises in the order of a request's life.
    assert [(r.group_key, r.milestone) for r in rows][:2] == [
        ("2026-03", "on_site"),
        ("2026-03", "solution"),
    ]


def test_on_time_per_engineer_counts_a_request_for_each_engineer(world):
    rows = selectors.on_time(query(world.manager, "engineer"))
    on_site = {
        r.group: (r.met, r.breached, r.not_applicable) for r in rows if r.milestone == "on_site"
    }
    # A: R1, R2, R3, R7 met, R5 late; B: R6 late; nobody: R4 (phone).
    assert on_site == {"A": (4, 1, 0), "B": (0, 1, 0), "Nobody assigned": (0, 0, 1)}
    nobody = next(r for r in rows if r.group_key == "" and r.milestone == "on_site")
    assert nobody.links["not_applicable"] is None  # the list cannot select "nobody"


def test_on_time_per_hospital_keeps_hospitals_apart(world):
    rows = selectors.on_time(query(world.manager, "hospital"))
    resolved = {r.group: r.met for r in rows if r.milestone == "resolved"}
    assert resolved == {"甲医院": 5, "乙医院": 1}


def test_the_hospital_user_never_counts_another_hospital(world):
    rows = selectors.on_time(query(world.hospital_admin, "hospital"))
    assert {r.group for r in rows} == {"甲医院"}
    with pytest.raises(ValidationError) as refused:
        query(world.hospital_admin, "engineer")
    assert "group_by" in refused.value.message_dict


def test_repair_times_per_month(world):
    march, april = selectors.repair_times(query(world.hospital_admin))
    assert (march.group_key, march.requests, march.arrived, march.resolved) == ("2026-03", 5, 4, 5)
    # Arrivals: R2 1 h, R3 1 h, R1 2 h, R5 5.5 h → median 1.5 h, p90 2 h + 0.7 × 3.5 h.
    assert march.arrive_median_seconds == 5400
    assert march.arrive_p90_seconds == pytest.approx(16020)
    # Repairs: R4 0.5 h, R2 6 h - 4 h paused, R1 3 h, R3 5 h, R5 8 h → p90 5 h + 0.6 × 3 h.
    assert march.resolve_median_seconds == 10800
    assert march.resolve_p90_seconds == pytest.approx(24480)
    # Candidates R1, R2, R3, R5 (R4 had nobody on site); R3 was reopened.
    assert (march.first_time_fixes, march.fix_candidates) == (3, 4)
    assert march.first_time_fix_rate == 0.75
    assert (april.group_key, april.requests, april.arrive_median_seconds) == ("2026-04", 1, None)
    assert april.first_time_fix_rate is None


def test_a_window_of_one_local_day_takes_the_request_reported_on_it(world):
    # R6 was reported at 00:30 on April 1 in Shanghai (still March 31 in UTC).
    rows = selectors.repair_times(
        query(world.hospital_admin, first_day=LAST_DAY.replace(day=1), last_day=LAST_DAY)
    )
    assert [(r.group_key, r.requests) for r in rows] == [("2026-04", 1)]


def test_drill_down_links_select_the_figure(world, client):
    rows = selectors.on_time(query(world.hospital_admin))
    late = next(r for r in rows if r.group_key == "2026-03" and r.milestone == "solution")
    client.force_login(world.hospital_admin)
    with time_machine.travel(NOW, tick=False):
        page = client.get(late.links["breached"])
    assert page.status_code == 200
    shown = {world.r3.number, world.r5.number}
    body = page.content.decode()
    assert all(number in body for number in shown)
    assert world.r1.number not in body and world.r2.number not in body
    assert "2 requests" in body


@pytest.mark.parametrize("group_by", ["month", "hospital", "region", "model", "severity"])
def test_every_on_time_figure_is_the_count_of_the_list_it_links_to(world, client, group_by):
    client.force_login(world.manager)
    rows = selectors.on_time(query(world.manager, group_by))
    assert rows
    with time_machine.travel(NOW, tick=False):
        for row in rows:
            for outcome in ("met", "breached", "not_applicable"):
                page = client.get(row.links[outcome])
                count = page.context["page"].paginator.count
                assert count == getattr(row, outcome), (row.group, row.milestone, outcome)
        for row in selectors.repair_times(query(world.manager, group_by)):
            assert client.get(row.link).context["page"].paginator.count == row.requests


def test_the_other_figures_link_to_their_records(world, client):
    client.force_login(world.manager)
    q = query(world.manager)
    with time_machine.travel(NOW, tick=False):
        for row in selectors.fault_causes(q):
            assert client.get(row.link).context["page"].paginator.count == row.count
        for row in selectors.mtbf(q, per="model") + selectors.mtbf(q, per="device"):
            assert client.get(row.link).context["page"].paginator.count == row.failures
