"""A real browser: the department picked while the hospital's department list is still
on its way is not thrown away when the list arrives (it once was: the registration then
failed with "department required", and the foundation's browser test was flaky on a busy
machine)."""

from __future__ import annotations

import re

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.tests.factories import DepartmentFactory, HospitalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_department_picked_before_the_reload_lands_survives_it(phone_page):
    vendor_user(VendorRole.ENGINEER, username="eng")
    hospital = HospitalFactory(name="青岛市市立医院")
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    DepartmentFactory(hospital=hospital, name="急诊科")
    page = phone_page
    page.goto("/accounts/login/")
    page.fill("#id_username", "eng")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    page.goto("/devices/new/")

    # Hold the department list in flight, as a slow hospital network does.
    held = []
    page.route("**/devices/options/?kind=departments*", lambda route: held.append(route))
    page.select_option("#id_hospital", str(hospital.pk))
    for _ in range(100):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1
    page.select_option("#id_department", str(department.pk))  # picked from the first list

    with page.expect_response(re.compile(r"kind=departments")):
        held[0].continue_()
    page.wait_for_function(
        "() => document.querySelectorAll('#id_department option').length === 3"  # blank + 2
    )
    assert page.input_value("#id_department") == str(department.pk)
