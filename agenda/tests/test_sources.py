"""Where calendar entries come from: the maintenance source and the collection of all
sources (issue 4 §5, the ``core.agenda`` protocol)."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

import pytest
from django.urls import NoReverseMatch, reverse

from agenda.sources import collect, installed_sources
from core.agenda import CalendarEntry
from maintenance import agenda as maintenance_agenda
from maintenance.models import VisitState

from .factories import make_visit


class Period(TypedDict):
    start: dt.date
    end: dt.date


MARCH = Period(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))


def _expected_url(visit) -> str:
    try:
        return reverse("maintenance:visit_detail", args=[visit.pk])
    except NoReverseMatch:
        return reverse("assets:device_detail", args=[visit.device_id])


def test_a_visit_due_on_1_march_is_an_all_day_entry_on_that_day(two):
    (entry,) = [e for e in maintenance_agenda.entries(visible_to=two.a_admin, **MARCH)
                if e.uid == f"visit-{two.a_visit.pk}@medservice"]  # fmt: skip
    assert entry.kind == "visit"
    assert entry.all_day and entry.starts == dt.date(2026, 3, 1)
    assert entry.title == f"Monthly patrol · {two.a_visit.device} · Hospital Alpha"
    assert entry.hospital_id == two.a.pk and entry.hospital_name == "Hospital Alpha"
    assert entry.engineer_ids == (two.engineer.pk,)
    assert entry.description.startswith("Window: 2026-02-22 to 2026-03-08")
    assert entry.url == _expected_url(two.a_visit)
    assert "ICU A" in entry.location


def test_states_follow_the_window_and_the_hospitals_today(two):
    # Today is 10 March: the 1 March patrol's window (±7 days) closed on 8 March.
    done = make_visit(due_on=dt.date(2026, 3, 5), department=two.a_icu, state=VisitState.DONE)
    done.content_hash = "x" * 64
    done.save()
    cancelled = make_visit(
        due_on=dt.date(2026, 3, 6), department=two.a_icu, state=VisitState.CANCELLED
    )
    later = make_visit(due_on=dt.date(2026, 3, 30), department=two.a_icu)
    states = {e.uid: e.state for e in maintenance_agenda.entries(visible_to=two.admin, **MARCH)}
    assert states[f"visit-{two.a_visit.pk}@medservice"] == "overdue"
    assert states[f"visit-{two.a_ward_visit.pk}@medservice"] == "due"
    assert states[f"visit-{done.pk}@medservice"] == "done"
    assert states[f"visit-{cancelled.pk}@medservice"] == "cancelled"
    assert states[f"visit-{later.pk}@medservice"] == "planned"


def test_scope_and_filters(two):
    def uids(**kwargs):
        return {e.uid for e in maintenance_agenda.entries(**MARCH, **kwargs)}

    a, ward, b = (f"visit-{v.pk}@medservice" for v in (two.a_visit, two.a_ward_visit, two.b_visit))
    assert uids(visible_to=two.manager) == {a, ward, b}
    assert uids(visible_to=two.a_admin) == {a, ward}
    assert uids(visible_to=two.a_dept) == {a}
    assert uids(visible_to=two.a_admin, hospital_id=two.b.pk) == set()
    assert uids(visible_to=two.manager, engineer_id=two.engineer.pk) == {a, b}
    assert uids(visible_to=two.manager, hospital_id=two.b.pk) == {b}
    outside = Period(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 11))
    assert {e.uid for e in maintenance_agenda.entries(visible_to=two.manager, **outside)} == set()


def fake_entries(*, start, end, visible_to, engineer_id=None, hospital_id=None):
    """A careless source: ignores the filters it is given."""
    return [
        CalendarEntry(uid="x1", kind="training", title="x1", starts=start, hospital_id=1,
                      engineer_ids=(7,)),
        CalendarEntry(uid="x2", kind="training", title="x2", starts=start, hospital_id=2,
                      engineer_ids=(8,)),
    ]  # fmt: skip


def test_collect_skips_sources_whose_app_is_not_installed(two):
    paths = ("not_an_app.agenda.entries", "maintenance.agenda.entries")
    assert [s.__module__ for s in installed_sources(paths)] == ["maintenance.agenda"]
    entries = collect(visible_to=two.a_admin, paths=paths, **MARCH)
    assert len(entries) == 2


def test_collect_applies_the_filters_even_to_a_careless_source(two):
    paths = ("agenda.tests.test_sources.fake_entries",)
    assert {e.uid for e in collect(visible_to=two.manager, paths=paths, **MARCH)} == {"x1", "x2"}
    only_1 = collect(visible_to=two.manager, paths=paths, hospital_id=1, **MARCH)
    assert [e.uid for e in only_1] == ["x1"]
    only_8 = collect(visible_to=two.manager, paths=paths, engineer_id=8, **MARCH)
    assert [e.uid for e in only_8] == ["x2"]


@pytest.mark.django_db
def test_collect_gives_nothing_to_nobody():
    assert collect(visible_to=None, **MARCH) == []


def test_an_installed_app_without_its_source_module_yet_is_skipped(two, caplog):
    paths = ("maintenance.no_such_module.entries", "maintenance.agenda.entries")
    assert [s.__module__ for s in installed_sources(paths)] == ["maintenance.agenda"]
    assert "maintenance.no_such_module" in caplog.text
    with pytest.raises(ImportError):  # a wrong function name is a bug, not a pending app
        installed_sources(("agenda.tests.test_sources.no_such_function",))
