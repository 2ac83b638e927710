"""Training sessions on the calendar (issue 4 §5): timed entries in the shape of
``core.agenda.CalendarEntry``, per lecturer and per hospital, scoped to the viewer."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.agenda import CalendarEntry
from customers.tests.factories import HospitalFactory, hospital_user
from training import agenda, services

from .factories import make_plan, make_session

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_session_is_a_timed_entry_of_its_lecturer_at_its_place():
    plan = make_plan(hospital=HospitalFactory(name="Hospital A"))
    starts = datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)
    session = make_session(plan=plan, starts_at=starts, place="Room 3", topic_text="Alarms")
    viewer = vendor_user(VendorRole.DISPATCHER)
    (entry,) = agenda.entries(start=date(2026, 3, 2), end=date(2026, 3, 2), visible_to=viewer)
    assert isinstance(entry, CalendarEntry)
    assert entry.uid == f"training-{session.pk}@medservice"
    assert entry.kind == "training" and entry.state == "planned"
    assert (entry.starts, entry.ends) == (starts, starts + timedelta(hours=2))
    assert not entry.all_day and entry.day(SHANGHAI) == date(2026, 3, 2)
    assert entry.engineer_ids == (session.lecturer_id,)
    assert entry.location == "Room 3"
    assert entry.hospital_id == plan.hospital_id and entry.hospital_name == "Hospital A"
    assert entry.url == f"/training/sessions/{session.pk}/"
    assert entry.title.startswith("Training: ")
    assert "Alarms" in entry.description


def test_local_days_in_the_hospitals_zone():
    """00:30 on 2 March in Shanghai is still 1 March in UTC: the entry is on 2 March."""
    viewer = vendor_user(VendorRole.MANAGER)
    make_session(starts_at=datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI))
    assert agenda.entries(start=date(2026, 3, 1), end=date(2026, 3, 1), visible_to=viewer) == []
    assert len(agenda.entries(start=date(2026, 3, 2), end=date(2026, 3, 2), visible_to=viewer)) == 1
    # A session over midnight touches both days.
    make_session(
        starts_at=datetime(2026, 3, 5, 22, 0, tzinfo=SHANGHAI), duration=timedelta(hours=4)
    )
    assert len(agenda.entries(start=date(2026, 3, 6), end=date(2026, 3, 6), visible_to=viewer)) == 1


def test_filters_and_scope():
    a = make_plan(hospital=HospitalFactory(name="A"))
    b = make_plan(hospital=HospitalFactory(name="B"))
    starts = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    lecturer = vendor_user(VendorRole.ENGINEER)
    mine = make_session(plan=a, starts_at=starts, lecturer=lecturer)
    other = make_session(plan=b, starts_at=starts)
    cancelled = make_session(plan=a, starts_at=starts + timedelta(days=1))
    services.training_session_set_state(session=cancelled, state="cancelled")
    day, week_end = date(2026, 3, 2), date(2026, 3, 8)
    staff = vendor_user(VendorRole.ADMIN)
    uids = {e.uid for e in agenda.entries(start=day, end=week_end, visible_to=staff)}
    assert uids == {f"training-{s.pk}@medservice" for s in (mine, other, cancelled)}
    by_engineer = agenda.entries(start=day, end=week_end, visible_to=staff, engineer_id=lecturer.pk)
    assert [e.uid for e in by_engineer] == [f"training-{mine.pk}@medservice"]
    by_hospital = agenda.entries(
        start=day, end=week_end, visible_to=staff, hospital_id=b.hospital_id
    )
    assert [e.uid for e in by_hospital] == [f"training-{other.pk}@medservice"]
    states = {e.uid: e.state for e in agenda.entries(start=day, end=week_end, visible_to=staff)}
    assert states[f"training-{cancelled.pk}@medservice"] == "cancelled"
    # Hospital A's administrator never sees hospital B's training.
    a_admin = hospital_user(a.hospital)
    seen = {e.hospital_id for e in agenda.entries(start=day, end=week_end, visible_to=a_admin)}
    assert seen == {a.hospital_id}
