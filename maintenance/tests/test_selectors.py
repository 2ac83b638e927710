"""Reads of planned maintenance (issue 4 §1, §5): the visits a user sees, how each one
stands in its hospital's own zone, trips, an engineer's day, and the completion rate of
what was scheduled ("100% of scheduled"), with numbers counted by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypedDict

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from maintenance.models import VisitState
from maintenance.selectors import (
    CompletionRow,
    completion_rates,
    visit_display_state,
    visit_trips,
    visits_for,
    visits_of_the_day,
)
from maintenance.tests.factories import VisitFactory, signature_data_url
from maintenance.visit_records import visit_complete, visit_sign

pytestmark = pytest.mark.django_db

PATROL_OK = {"appearance": "pass", "self_test": "pass"}
INSPECTION_OK = {**PATROL_OK, "leakage_current": 20}


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


def device_in(hospital, department=None):
    department = department or DepartmentFactory(hospital=hospital)
    return DeviceFactory(department=department)


def done(visit, engineer, at: datetime, results=PATROL_OK, sign: bool = False):
    extra = {"signer_name": "王主任", "signature_data_url": signature_data_url()} if sign else {}
    return visit_complete(visit=visit, user=engineer, results=results, now=at, **extra)


# --- display state -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 2), "planned"),
        (date(2026, 3, 3), "due"),  # the window's first day
        (date(2026, 3, 17), "due"),  # its last day
        (date(2026, 3, 18), "overdue"),
    ],
)
def test_display_state_of_a_planned_visit(today, expected):
    visit = VisitFactory(due_on=date(2026, 3, 10))  # ±7: 3 to 17 March
    assert visit_display_state(visit, today) == expected


def test_display_state_after_completion_signature_and_cancellation(engineer):
    visit = VisitFactory(due_on=date(2026, 3, 10))
    done(visit, engineer, datetime(2026, 3, 20, 2, 0, tzinfo=UTC))
    visit.refresh_from_db()
    assert visit_display_state(visit, date(2026, 3, 20)) == "awaiting_signature"
    visit_sign(
        visit=visit, user=engineer, signer_name="王主任", signature_data_url=signature_data_url()
    )
    visit.refresh_from_db()
    assert visit_display_state(visit, date(2026, 3, 20)) == "done"
    cancelled = VisitFactory(state=VisitState.CANCELLED)
    assert visit_display_state(cancelled, date(2026, 3, 10)) == "cancelled"


def test_a_visit_due_on_1_march_in_shanghai_is_due_while_utc_is_still_in_february():
    hospital = HospitalFactory(time_zone="Asia/Shanghai")
    visit = VisitFactory(device=device_in(hospital), due_on=date(2026, 3, 1), tolerance=0)
    # 1 March 00:30 in Shanghai is 28 February 16:30 in UTC.
    with time_machine.travel(datetime(2026, 2, 28, 16, 30, tzinfo=UTC), tick=False):
        assert visit_display_state(visit) == "due"
    with time_machine.travel(datetime(2026, 2, 28, 15, 59, tzinfo=UTC), tick=False):
        assert visit_display_state(visit) == "planned"
    # 2 March 00:00 in Shanghai: the day is over.
    with time_machine.travel(datetime(2026, 3, 1, 16, 0, tzinfo=UTC), tick=False):
        assert visit_display_state(visit) == "overdue"


def test_overdue_is_judged_in_each_hospitals_own_zone():
    shanghai = VisitFactory(
        device=device_in(HospitalFactory(time_zone="Asia/Shanghai")),
        due_on=date(2026, 2, 22),  # window ends 1 March
    )
    new_york = VisitFactory(
        device=device_in(HospitalFactory(time_zone="America/New_York")),
        due_on=date(2026, 2, 22),
    )
    staff = vendor_user(VendorRole.MANAGER, username="mgr")
    # 2 March 01:00 in Shanghai, 1 March 12:00 in New York.
    with time_machine.travel(datetime(2026, 3, 1, 17, 0, tzinfo=UTC), tick=False):
        assert list(visits_for(staff, state="overdue")) == [shanghai]
        assert visit_display_state(shanghai) == "overdue"
        assert visit_display_state(new_york) == "due"
        assert set(visits_for(staff, state="planned")) == {shanghai, new_york}


# --- visits_for ----------------------------------------------------------------------------


def test_visits_for_filters(engineer):
    staff = vendor_user(VendorRole.MANAGER, username="mgr")
    hospital = HospitalFactory()
    device = device_in(hospital)
    early = VisitFactory(device=device, due_on=date(2026, 3, 1))
    middle = VisitFactory(device=device, due_on=date(2026, 3, 10))
    late = VisitFactory(device=device, due_on=date(2026, 3, 20))
    elsewhere = VisitFactory(due_on=date(2026, 3, 10))
    middle.engineers.set([engineer])
    elsewhere.engineers.set([engineer])
    assert list(visits_for(staff, due_from=date(2026, 3, 1), due_to=date(2026, 3, 10))) == [
        early,
        middle,
        elsewhere,
    ]
    assert list(visits_for(staff, due_from=date(2026, 3, 11))) == [late]
    assert list(visits_for(staff, engineer=engineer)) == [middle, elsewhere]
    assert list(visits_for(staff, engineer=engineer.pk, hospital=hospital)) == [middle]
    assert list(visits_for(staff, device=device.pk, due_to=date(2026, 3, 1))) == [early]
    assert list(visits_for(staff, hospital=hospital.pk)) == [early, middle, late]


def test_visits_for_state_filters(engineer):
    staff = vendor_user(VendorRole.MANAGER, username="mgr")
    planned = VisitFactory(due_on=date(2026, 3, 20))
    overdue = VisitFactory(due_on=date(2026, 2, 1))
    awaiting = done(
        VisitFactory(due_on=date(2026, 3, 1)), engineer, datetime(2026, 3, 1, tzinfo=UTC)
    )
    signed = done(
        VisitFactory(due_on=date(2026, 3, 2)), engineer, datetime(2026, 3, 2, tzinfo=UTC), sign=True
    )
    cancelled = VisitFactory(due_on=date(2026, 3, 3), state=VisitState.CANCELLED)
    today = date(2026, 3, 10)
    by_state = {
        state: set(visits_for(staff, state=state, today=today))
        for state in ("planned", "overdue", "awaiting_signature", "done", "cancelled")
    }
    assert by_state == {
        "planned": {planned, overdue},
        "overdue": {overdue},
        "awaiting_signature": {awaiting},
        "done": {awaiting, signed},
        "cancelled": {cancelled},
    }
    with pytest.raises(ValueError, match="unknown"):
        visits_for(staff, state="lost")


def test_visits_for_is_scoped():
    hospital, other = HospitalFactory(), HospitalFactory()
    icu, ward = DepartmentFactory(hospital=hospital), DepartmentFactory(hospital=hospital)
    in_icu = VisitFactory(device=device_in(hospital, icu))
    in_ward = VisitFactory(device=device_in(hospital, ward))
    VisitFactory(device=device_in(other))
    admin = hospital_user(hospital, username="admin")
    nurse = hospital_user(
        hospital, HospitalRole.DEPARTMENT_USER, departments=[icu], username="nurse"
    )
    assert set(visits_for(admin)) == {in_icu, in_ward}
    assert list(visits_for(nurse)) == [in_icu]
    assert list(visits_for(nurse, hospital=other)) == []


# --- trips and the engineer's day ----------------------------------------------------------


def test_one_trip_per_hospital_and_day(engineer):
    second = vendor_user(VendorRole.ENGINEER, username="eng2", last_name="Zhou")
    engineer.last_name = "An"
    engineer.save()
    a, b = HospitalFactory(name="A 医院"), HospitalFactory(name="B 医院")
    a1 = VisitFactory(device=device_in(a), due_on=date(2026, 3, 10))
    a2 = VisitFactory(device=device_in(a), due_on=date(2026, 3, 10))
    a3 = VisitFactory(device=device_in(a), due_on=date(2026, 3, 11))
    b1 = VisitFactory(device=device_in(b), due_on=date(2026, 3, 10))
    a1.engineers.set([second])
    a2.engineers.set([engineer, second])
    b1.engineers.set([second])
    staff = vendor_user(VendorRole.MANAGER, username="mgr")
    trips = visit_trips(visits_for(staff))
    assert [(t.hospital, t.day, t.visits, t.engineers) for t in trips] == [
        (a, date(2026, 3, 10), [a1, a2], [engineer, second]),
        (b, date(2026, 3, 10), [b1], [second]),
        (a, date(2026, 3, 11), [a3], []),
    ]


def test_the_engineers_day(engineer):
    other = vendor_user(VendorRole.ENGINEER, username="other")
    hospital = HospitalFactory(time_zone="Asia/Shanghai")
    open_today = VisitFactory(device=device_in(hospital), due_on=date(2026, 3, 16))
    opens_tomorrow = VisitFactory(device=device_in(hospital), due_on=date(2026, 3, 18))
    done_today = VisitFactory(device=device_in(hospital), due_on=date(2026, 3, 12))
    done_yesterday = VisitFactory(device=device_in(hospital), due_on=date(2026, 3, 12))
    not_mine = VisitFactory(device=device_in(hospital), due_on=date(2026, 3, 16))
    for visit in (open_today, opens_tomorrow, done_today, done_yesterday):
        visit.engineers.set([engineer])
    not_mine.engineers.set([other])
    # 10 March 00:30 and 9 March 23:30 in Shanghai.
    done(done_today, engineer, datetime(2026, 3, 9, 16, 30, tzinfo=UTC))
    done(done_yesterday, engineer, datetime(2026, 3, 9, 15, 30, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 10, 2, 0, tzinfo=UTC), tick=False):
        assert set(visits_of_the_day(engineer, engineer=engineer)) == {open_today, done_today}


# --- completion rate -----------------------------------------------------------------------


class Period(TypedDict):
    start: date
    end: date


MARCH = Period(start=date(2026, 3, 1), end=date(2026, 3, 31))


@pytest.fixture
def scheduled(engineer):
    """Hospital A in March: 4 obligations, 3 fulfilled, 2 within their window.
    Hospital B: 3 obligations, 1 fulfilled within its window."""
    a = HospitalFactory(name="A 医院", time_zone="Asia/Shanghai")
    b = HospitalFactory(name="B 医院", time_zone="Asia/Shanghai")
    device_a, device_b = device_in(a), device_in(b)
    # An inspection covering the patrol: two obligations, done in its window.
    covered = VisitFactory(
        device=device_a,
        main_kind="inspection",
        kinds=["inspection", "patrol"],
        due_on=date(2026, 3, 5),
        tolerance=14,
        obligations=[("inspection", date(2026, 3, 5)), ("patrol", date(2026, 3, 5))],
    )
    done(covered, engineer, datetime(2026, 3, 6, 3, 0, tzinfo=UTC), results=INSPECTION_OK)
    # Window 5 to 19 March; done on 20 March 00:30 in Shanghai (still the 19th in UTC).
    late = VisitFactory(device=device_a, due_on=date(2026, 3, 12))
    done(late, engineer, datetime(2026, 3, 19, 16, 30, tzinfo=UTC))
    VisitFactory(device=device_a, due_on=date(2026, 3, 20))  # not done
    VisitFactory(device=device_a, due_on=date(2026, 3, 25), state=VisitState.CANCELLED)
    VisitFactory(device=device_a, due_on=date(2026, 4, 2))  # another period
    # Due in February, done in March: February's obligation.
    february = VisitFactory(device=device_a, due_on=date(2026, 2, 28))
    done(february, engineer, datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    on_time = VisitFactory(device=device_b, due_on=date(2026, 3, 15))
    done(on_time, engineer, datetime(2026, 3, 15, 3, 0, tzinfo=UTC))
    VisitFactory(device=device_b, due_on=date(2026, 3, 16))
    VisitFactory(device=device_b, due_on=date(2026, 3, 17))
    return a, b


def row(hospital, scheduled, done, in_window, rate, rate_in_window) -> CompletionRow:
    return CompletionRow(
        hospital=hospital,
        scheduled=scheduled,
        done=done,
        done_in_window=in_window,
        rate=None if rate is None else Decimal(rate),
        rate_in_window=None if rate_in_window is None else Decimal(rate_in_window),
    )


def test_completion_rates_counted_by_hand(scheduled):
    a, b = scheduled
    staff = vendor_user(VendorRole.MANAGER, username="mgr")
    assert completion_rates(staff, **MARCH) == [
        row(a, 4, 3, 2, "75.0", "50.0"),
        row(b, 3, 1, 1, "33.3", "33.3"),
        row(None, 7, 4, 3, "57.1", "42.9"),
    ]
    assert completion_rates(staff, start=date(2026, 2, 1), end=date(2026, 2, 28)) == [
        row(a, 1, 1, 1, "100.0", "100.0"),
        row(None, 1, 1, 1, "100.0", "100.0"),
    ]


def test_completion_rates_of_one_hospital_and_of_its_users(scheduled):
    a, b = scheduled
    staff = vendor_user(VendorRole.MANAGER, username="mgr")
    assert completion_rates(staff, hospital=b, **MARCH) == [
        row(b, 3, 1, 1, "33.3", "33.3"),
        row(None, 3, 1, 1, "33.3", "33.3"),
    ]
    quiet = HospitalFactory(name="C 医院")
    assert completion_rates(staff, hospital=quiet.pk, **MARCH) == [
        row(quiet, 0, 0, 0, None, None),
        row(None, 0, 0, 0, None, None),
    ]
    # A hospital's own users see their hospital only, whatever they ask for.
    admin = hospital_user(a, username="a-admin")
    assert completion_rates(admin, **MARCH) == [
        row(a, 4, 3, 2, "75.0", "50.0"),
        row(None, 4, 3, 2, "75.0", "50.0"),
    ]
    assert completion_rates(admin, hospital=b, **MARCH) == [row(None, 0, 0, 0, None, None)]
