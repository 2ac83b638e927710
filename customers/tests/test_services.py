"""Services of the vendor's organisation and its customers (R-1.1, R-2.3)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import VendorRole
from accounts.tests.factories import UserFactory, vendor_user
from customers import services
from customers.models import (
    Contact,
    Department,
    Hospital,
    HospitalMembership,
    HospitalRole,
    ServiceOrganisation,
)
from customers.scoping import scope_for

from .factories import ContactFactory, DepartmentFactory, HospitalFactory

pytestmark = pytest.mark.django_db


def error_fields(exc_info) -> set[str]:
    return set(exc_info.value.message_dict)


# --- service organisation (R-1.1) -------------------------------------------------------
def test_service_organisation_is_one_row_and_editable():
    """R-1.1: the vendor's profile is a single editable record."""
    first = services.service_organisation_get()
    services.service_organisation_update(
        name="青岛青盾医疗科技有限公司", hotline="400-000-0000", ignored="x"
    )
    assert services.service_organisation_get().pk == first.pk
    assert ServiceOrganisation.objects.count() == 1
    organisation = ServiceOrganisation.objects.get()
    assert organisation.name == "青岛青盾医疗科技有限公司"
    assert organisation.hotline == "400-000-0000"


def test_service_organisation_bad_email_is_a_field_error():
    with pytest.raises(ValidationError) as exc_info:
        services.service_organisation_update(email="not-an-email")
    assert error_fields(exc_info) == {"email"}


# --- hospitals --------------------------------------------------------------------------
def test_hospital_create_defaults_to_shanghai():
    hospital = services.hospital_create(name="青岛市立医院")
    assert hospital.time_zone == "Asia/Shanghai"


def test_hospital_unknown_time_zone_is_refused_and_nothing_saved():
    with pytest.raises(ValidationError) as exc_info:
        services.hospital_create(name="X", time_zone="Mars/Olympus")
    assert error_fields(exc_info) == {"time_zone"}
    assert not Hospital.objects.exists()


def test_hospital_duplicate_name_is_a_field_error():
    services.hospital_create(name="Same")
    with pytest.raises(ValidationError) as exc_info:
        services.hospital_create(name="Same")
    assert "name" in error_fields(exc_info)


def test_hospital_update_changes_only_the_given_fields():
    hospital = services.hospital_create(name="A", phone="1")
    services.hospital_update(hospital=hospital, name="B")
    hospital.refresh_from_db()
    assert (hospital.name, hospital.phone) == ("B", "1")


# --- departments and contacts (R-2.3) ---------------------------------------------------
def test_department_with_responsible_contact_of_the_hospital():
    """R-2.3: a named responsible person of the same hospital."""
    hospital = HospitalFactory()
    contact = ContactFactory(hospital=hospital)
    department = services.department_create(
        hospital=hospital, name="放射科", responsible_contact=contact
    )
    assert department.responsible_contact == contact


def test_department_contact_of_another_hospital_is_refused():
    hospital, other = HospitalFactory(), HospitalFactory()
    contact = ContactFactory(hospital=other)
    with pytest.raises(ValidationError) as exc_info:
        services.department_create(hospital=hospital, name="ICU", responsible_contact=contact)
    assert error_fields(exc_info) == {"responsible_contact"}
    assert not Department.objects.exists()


def test_department_update_to_contact_of_another_hospital_is_refused():
    department = DepartmentFactory()
    contact = ContactFactory()  # another hospital
    with pytest.raises(ValidationError) as exc_info:
        services.department_update(department=department, responsible_contact=contact)
    assert error_fields(exc_info) == {"responsible_contact"}
    department.refresh_from_db()
    assert department.responsible_contact is None


def test_department_name_unique_per_hospital_only():
    a, b = HospitalFactory(), HospitalFactory()
    services.department_create(hospital=a, name="ICU")
    ct = services.department_create(hospital=b, name="ICU")  # another hospital: fine
    with pytest.raises(ValidationError) as exc_info:
        services.department_create(hospital=a, name="ICU")
    assert error_fields(exc_info) == {"name"}
    assert Department.objects.filter(name="ICU").count() == 2
    ct = services.department_create(hospital=a, name="CT")
    with pytest.raises(ValidationError) as exc_info:
        services.department_update(department=ct, name="ICU")
    assert error_fields(exc_info) == {"name"}
    services.department_update(department=ct, name="CT")  # its own name: fine


def test_hospital_optional_text_cleared_with_none():
    hospital = services.hospital_create(name="A", code="QD01")
    services.hospital_update(hospital=hospital, code=None)
    hospital.refresh_from_db()
    assert hospital.code == ""


def test_contact_department_of_another_hospital_is_refused():
    hospital = HospitalFactory()
    foreign_department = DepartmentFactory()
    with pytest.raises(ValidationError) as exc_info:
        services.contact_create(hospital=hospital, name="张三", department=foreign_department)
    assert error_fields(exc_info) == {"department"}
    assert not Contact.objects.exists()


def test_contact_update_department_of_another_hospital_is_refused():
    contact = ContactFactory()
    with pytest.raises(ValidationError):
        services.contact_update(contact=contact, department=DepartmentFactory())
    contact.refresh_from_db()
    assert contact.department is None


def test_contact_create_in_own_department():
    department = DepartmentFactory()
    contact = services.contact_create(
        hospital=department.hospital, department=department, name="李四", email="li@example.cn"
    )
    assert contact.department == department


# --- memberships ------------------------------------------------------------------------
def test_equipment_admin_membership_sees_whole_hospital():
    hospital = HospitalFactory()
    user = UserFactory()
    services.hospital_membership_set(
        user=user, hospital=hospital, role=HospitalRole.EQUIPMENT_ADMIN
    )
    scope = scope_for(user)
    assert scope.hospital_ids == {hospital.pk}
    assert not scope.all_hospitals


def test_department_user_needs_a_department():
    with pytest.raises(ValidationError) as exc_info:
        services.hospital_membership_set(
            user=UserFactory(), hospital=HospitalFactory(), role=HospitalRole.DEPARTMENT_USER
        )
    assert error_fields(exc_info) == {"departments"}
    assert not HospitalMembership.objects.exists()


def test_department_user_of_another_hospitals_department_is_refused():
    hospital = HospitalFactory()
    with pytest.raises(ValidationError):
        services.hospital_membership_set(
            user=UserFactory(),
            hospital=hospital,
            role=HospitalRole.DEPARTMENT_USER,
            departments=[DepartmentFactory()],
        )
    assert not HospitalMembership.objects.exists()


def test_department_user_sees_only_their_departments():
    department = DepartmentFactory()
    DepartmentFactory(hospital=department.hospital)  # a sibling they do not see
    user = UserFactory()
    membership = services.hospital_membership_set(
        user=user,
        hospital=department.hospital,
        role=HospitalRole.DEPARTMENT_USER,
        departments=[department],
    )
    assert list(membership.departments.all()) == [department]
    scope = scope_for(user)
    assert scope.department_ids == {department.pk}
    assert scope.hospital_ids == frozenset()


def test_vendor_staff_cannot_be_hospital_users():
    with pytest.raises(ValidationError) as exc_info:
        services.hospital_membership_set(
            user=vendor_user(VendorRole.ENGINEER),
            hospital=HospitalFactory(),
            role=HospitalRole.EQUIPMENT_ADMIN,
        )
    assert error_fields(exc_info) == {"user"}


def test_membership_replaces_the_earlier_one_and_drops_departments():
    department = DepartmentFactory()
    other = HospitalFactory()
    user = UserFactory()
    services.hospital_membership_set(
        user=user,
        hospital=department.hospital,
        role=HospitalRole.DEPARTMENT_USER,
        departments=[department],
    )
    membership = services.hospital_membership_set(
        user=user, hospital=other, role=HospitalRole.EQUIPMENT_ADMIN, departments=[]
    )
    assert HospitalMembership.objects.filter(user=user).count() == 1
    assert membership.hospital == other
    assert not membership.departments.exists()


def test_unknown_role_is_refused_and_nothing_saved():
    with pytest.raises(ValidationError) as exc_info:
        services.hospital_membership_set(
            user=UserFactory(), hospital=HospitalFactory(), role="superhero"
        )
    assert "role" in error_fields(exc_info)
    assert not HospitalMembership.objects.exists()
