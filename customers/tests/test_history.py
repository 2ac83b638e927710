"""Who gave a hospital user which hospital, role and departments: the membership's history
records each change with the user who made it."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from customers import services
from customers.models import HospitalMembership, HospitalRole

from .factories import DepartmentFactory, HospitalFactory

pytestmark = pytest.mark.django_db


def test_membership_changes_through_the_service_are_recorded_with_the_actor():
    hospital = HospitalFactory()
    icu, ward = DepartmentFactory(hospital=hospital), DepartmentFactory(hospital=hospital)
    manager = UserFactory(username="manager", vendor_role="manager")
    nurse = UserFactory(username="nurse")

    services.hospital_membership_set(
        user=nurse, hospital=hospital, role=HospitalRole.DEPARTMENT_USER, departments=[icu],
        actor=manager,
    )  # fmt: skip
    membership = HospitalMembership.objects.get(user=nurse)
    services.hospital_membership_set(
        user=nurse, hospital=hospital, role=HospitalRole.DEPARTMENT_USER,
        departments=[icu, ward], actor=manager,
    )  # fmt: skip
    services.hospital_membership_set(
        user=nurse, hospital=hospital, role=HospitalRole.EQUIPMENT_ADMIN, actor=manager
    )

    history = list(membership.history.order_by("history_date", "history_id"))
    assert history, "no history rows"
    assert {row.history_user for row in history} == {manager}
    assert history[0].history_type == "+"
    snapshots = [
        (row.role, sorted(link.department_id for link in row.departments.all())) for row in history
    ]
    assert (HospitalRole.DEPARTMENT_USER, [icu.pk]) in snapshots
    assert (HospitalRole.DEPARTMENT_USER, sorted([icu.pk, ward.pk])) in snapshots
    assert snapshots[-1] == (HospitalRole.EQUIPMENT_ADMIN, [])


def test_membership_change_in_the_admin_is_recorded_with_who_made_it(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    hospital = HospitalFactory()
    icu = DepartmentFactory(hospital=hospital)
    nurse = UserFactory(username="nurse")
    membership = services.hospital_membership_set(
        user=nurse, hospital=hospital, role=HospitalRole.EQUIPMENT_ADMIN
    )

    response = client.post(
        reverse("admin:customers_hospitalmembership_change", args=[membership.pk]),
        {
            "user": nurse.pk,
            "hospital": hospital.pk,
            "role": HospitalRole.DEPARTMENT_USER,
            "departments": [icu.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    latest = membership.history.latest()
    assert latest.role == HospitalRole.DEPARTMENT_USER
    assert [link.department_id for link in latest.departments.all()] == [icu.pk]
    assert latest.history_user == root
    assert membership.history.filter(role=HospitalRole.EQUIPMENT_ADMIN).exists()
