"""Two hospitals with visits, and the people who look at their calendars."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user

from .factories import make_visit

# 10:00 on 10 March 2026 in Shanghai.
NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def two(frozen, db):
    """Hospital A (two departments) and hospital B, each with visits in March 2026."""
    w = SimpleNamespace()
    w.engineer = vendor_user(VendorRole.ENGINEER, username="eng-1", last_name="Zhang")
    w.other_engineer = vendor_user(VendorRole.ENGINEER, username="eng-2", last_name="Liu")
    w.manager = vendor_user(VendorRole.MANAGER, username="mgr")
    w.admin = vendor_user(VendorRole.ADMIN, username="adm")
    w.dispatcher = vendor_user(VendorRole.DISPATCHER, username="disp")
    w.a = HospitalFactory(name="Hospital Alpha")
    w.b = HospitalFactory(name="Hospital Beta")
    w.a_icu = DepartmentFactory(hospital=w.a, name="ICU A")
    w.a_ward = DepartmentFactory(hospital=w.a, name="Ward A")
    w.b_icu = DepartmentFactory(hospital=w.b, name="ICU B")
    w.a_admin = hospital_user(w.a, username="a-admin")
    w.a_dept = hospital_user(
        w.a, HospitalRole.DEPARTMENT_USER, departments=[w.a_icu], username="a-dept"
    )
    w.b_admin = hospital_user(w.b, username="b-admin")
    w.a_visit = make_visit(
        due_on=dt.date(2026, 3, 1), department=w.a_icu, engineers=[w.engineer],
        serial_number="SN-ALPHA-ICU",
    )  # fmt: skip
    w.a_ward_visit = make_visit(
        due_on=dt.date(2026, 3, 12), department=w.a_ward, engineers=[w.other_engineer],
        serial_number="SN-ALPHA-WARD",
    )  # fmt: skip
    w.b_visit = make_visit(
        due_on=dt.date(2026, 3, 1), department=w.b_icu, engineers=[w.engineer],
        serial_number="SN-BETA-ICU",
    )  # fmt: skip
    return w
