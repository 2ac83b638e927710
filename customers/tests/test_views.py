"""Web pages of the service organisation, hospitals, departments and contacts."""

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.models import Contact, Department, Hospital, HospitalRole
from customers.services import service_organisation_get
from customers.tests.factories import (
    ContactFactory,
    DepartmentFactory,
    HospitalFactory,
    hospital_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = vendor_user(VendorRole.MANAGER)
    client.force_login(user)
    return user


@pytest.fixture
def hospital():
    return HospitalFactory(name="Qingdao Municipal Hospital")


@pytest.fixture
def department(hospital):
    return DepartmentFactory(hospital=hospital, name="Radiology")


@pytest.fixture
def contact(hospital, department):
    return ContactFactory(hospital=hospital, department=department, name="Dr. Wang")


# --- pages render -----------------------------------------------------------------------
def test_pages_render_for_a_vendor_manager(client, manager, hospital, department, contact):
    department.responsible_contact = contact
    department.save()
    urls = [
        reverse("customers:hospital_list"),
        reverse("customers:hospital_create"),
        reverse("customers:hospital_detail", args=[hospital.pk]),
        reverse("customers:hospital_edit", args=[hospital.pk]),
        reverse("customers:department_create", args=[hospital.pk]),
        reverse("customers:department_detail", args=[department.pk]),
        reverse("customers:department_edit", args=[department.pk]),
        reverse("customers:contact_create", args=[hospital.pk]),
        reverse("customers:contact_edit", args=[contact.pk]),
        reverse("home"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    detail = client.get(reverse("customers:hospital_detail", args=[hospital.pk])).content.decode()
    assert "Radiology" in detail
    assert "Dr. Wang" in detail  # the responsible person and the contact list
    assert f"{reverse('assets:device_list')}?hospital={hospital.pk}" in detail
    assert f"{reverse('contracts:contract_list')}?hospital={hospital.pk}" in detail
    assert f"{reverse('contracts:agreement_list')}?hospital={hospital.pk}" in detail


def test_hospital_list_searches_by_name(client, manager, hospital):
    HospitalFactory(name="Jinan Central Hospital")
    response = client.get(reverse("customers:hospital_list"), {"q": "qingdao"})
    assert [h.name for h in response.context["page_obj"]] == ["Qingdao Municipal Hospital"]


def test_anonymous_user_is_sent_to_login(client, hospital):
    response = client.get(reverse("customers:hospital_detail", args=[hospital.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# --- the service organisation -----------------------------------------------------------
def test_vendor_admin_edits_the_service_organisation(client):
    client.force_login(vendor_user(VendorRole.ADMIN))
    url = reverse("customers:organisation_edit")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "青岛青盾医疗科技有限公司",
            "address": "Qingdao",
            "hotline": "400-000-0000",
            "manager_name": "Li",
            "manager_phone": "",
            "email": "",
        },
    )
    assert response.status_code == 302
    organisation = service_organisation_get()
    assert organisation.name == "青岛青盾医疗科技有限公司"
    assert organisation.hotline == "400-000-0000"
    # The footer shows the profile on every page.
    assert "400-000-0000" in client.get(reverse("home")).content.decode()


def test_service_manager_may_not_edit_the_service_organisation(client, manager):
    assert client.get(reverse("customers:organisation_edit")).status_code == 403


# --- hospitals --------------------------------------------------------------------------
def test_create_hospital_through_the_form(client, manager):
    response = client.post(
        reverse("customers:hospital_create"),
        {"name": "Yantai Hospital", "code": "YT", "time_zone": "Asia/Shanghai"},
    )
    hospital = Hospital.objects.get(name="Yantai Hospital")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:hospital_detail", args=[hospital.pk])
    assert hospital.history.count() == 1  # saved by the service, history recorded


def test_invalid_time_zone_is_a_field_error_and_saves_nothing(client, manager):
    response = client.post(
        reverse("customers:hospital_create"), {"name": "Yantai Hospital", "time_zone": "Mars/Base"}
    )
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    assert "is-invalid" in response.content.decode()
    assert not Hospital.objects.filter(name="Yantai Hospital").exists()


def test_edit_hospital_and_bad_zone_changes_nothing(client, manager, hospital):
    url = reverse("customers:hospital_edit", args=[hospital.pk])
    response = client.post(url, {"name": hospital.name, "time_zone": "Not/AZone"})
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    hospital.refresh_from_db()
    assert hospital.time_zone == "Asia/Shanghai"

    response = client.post(url, {"name": "Renamed", "time_zone": "Asia/Urumqi"})
    assert response.status_code == 302
    hospital.refresh_from_db()
    assert (hospital.name, hospital.time_zone) == ("Renamed", "Asia/Urumqi")


def test_duplicate_hospital_name_is_an_error(client, manager, hospital):
    response = client.post(
        reverse("customers:hospital_create"), {"name": hospital.name, "time_zone": "Asia/Shanghai"}
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert Hospital.objects.filter(name=hospital.name).count() == 1


def test_hotline_agent_may_not_create_a_hospital(client):
    client.force_login(vendor_user(VendorRole.DISPATCHER))
    assert client.get(reverse("customers:hospital_create")).status_code == 403
    response = client.post(reverse("customers:hospital_create"), {"name": "X"})
    assert response.status_code == 403
    assert not Hospital.objects.filter(name="X").exists()


# --- departments ------------------------------------------------------------------------
def test_create_department_with_responsible_person(client, manager, hospital, contact):
    response = client.post(
        reverse("customers:department_create", args=[hospital.pk]),
        {"name": "ICU", "responsible_contact": contact.pk},
    )
    department = Department.objects.get(hospital=hospital, name="ICU")
    assert response.status_code == 302
    assert department.responsible_contact == contact
    page = client.get(reverse("customers:department_detail", args=[department.pk]))
    assert "Dr. Wang" in page.content.decode()


def test_responsible_person_of_another_hospital_is_refused(client, manager, hospital):
    stranger = ContactFactory(hospital=HospitalFactory())
    response = client.post(
        reverse("customers:department_create", args=[hospital.pk]),
        {"name": "ICU", "responsible_contact": stranger.pk},
    )
    assert response.status_code == 200
    assert "responsible_contact" in response.context["form"].errors
    assert not Department.objects.filter(name="ICU").exists()


def test_duplicate_department_name_is_an_error(client, manager, hospital, department):
    response = client.post(
        reverse("customers:department_create", args=[hospital.pk]), {"name": department.name}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Department.objects.filter(hospital=hospital, name=department.name).count() == 1


def test_edit_department(client, manager, department, contact):
    response = client.post(
        reverse("customers:department_edit", args=[department.pk]),
        {"name": "Radiology 2", "responsible_contact": contact.pk},
    )
    assert response.status_code == 302
    department.refresh_from_db()
    assert department.name == "Radiology 2"
    assert department.responsible_contact == contact


# --- contacts ---------------------------------------------------------------------------
def test_create_and_edit_contact(client, manager, hospital, department):
    response = client.post(
        reverse("customers:contact_create", args=[hospital.pk]),
        {"name": "Nurse Liu", "title": "Head nurse", "department": department.pk, "phone": "1"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(name="Nurse Liu")
    assert (contact.hospital, contact.department) == (hospital, department)

    response = client.post(
        reverse("customers:contact_edit", args=[contact.pk]),
        {"name": "Nurse Liu", "title": "Matron", "department": "", "phone": "2"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.department, contact.phone) == ("Matron", None, "2")


def test_department_of_another_hospital_is_a_field_error(client, manager, hospital):
    foreign = DepartmentFactory()
    response = client.post(
        reverse("customers:contact_create", args=[hospital.pk]),
        {"name": "Nurse Liu", "department": foreign.pk},
    )
    assert response.status_code == 200
    assert "department" in response.context["form"].errors
    assert not Contact.objects.filter(name="Nurse Liu").exists()


def test_missing_name_is_a_field_error(client, manager, hospital):
    response = client.post(reverse("customers:contact_create", args=[hospital.pk]), {"name": ""})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not Contact.objects.exists()


# --- who sees what ----------------------------------------------------------------------
def test_equipment_admin_never_sees_another_hospital(client, hospital, department, contact):
    other = HospitalFactory()
    own_department = DepartmentFactory(hospital=other)
    client.force_login(hospital_user(other))
    urls = [
        reverse("customers:hospital_detail", args=[hospital.pk]),
        reverse("customers:hospital_edit", args=[hospital.pk]),
        reverse("customers:department_create", args=[hospital.pk]),
        reverse("customers:department_detail", args=[department.pk]),
        reverse("customers:department_edit", args=[department.pk]),
        reverse("customers:contact_create", args=[hospital.pk]),
        reverse("customers:contact_edit", args=[contact.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "hijack"}).status_code == 404, url
    department.refresh_from_db()
    contact.refresh_from_db()
    assert (department.name, contact.name) == ("Radiology", "Dr. Wang")
    listed = client.get(reverse("customers:hospital_list")).context["page_obj"]
    assert list(listed) == [other]
    # Their own hospital is theirs to organise.
    response = client.post(
        reverse("customers:department_create", args=[other.pk]), {"name": "Cardiology"}
    )
    assert response.status_code == 302
    assert (
        client.get(reverse("customers:department_detail", args=[own_department.pk])).status_code
        == 200
    )


def test_equipment_admin_may_not_edit_the_hospital_itself(client, hospital):
    client.force_login(hospital_user(hospital))
    assert client.get(reverse("customers:hospital_detail", args=[hospital.pk])).status_code == 200
    assert client.get(reverse("customers:hospital_edit", args=[hospital.pk])).status_code == 403


def test_department_user_sees_only_their_departments(client, hospital, department):
    other_department = DepartmentFactory(hospital=hospital, name="Oncology")
    user = hospital_user(hospital, role=HospitalRole.DEPARTMENT_USER, departments=[department])
    client.force_login(user)
    response = client.get(reverse("customers:hospital_detail", args=[hospital.pk]))
    assert response.status_code == 200
    assert list(response.context["departments"]) == [department]
    assert not response.context["sees_contracts"]
    assert reverse("contracts:contract_list") not in response.content.decode()
    url = reverse("customers:department_detail", args=[other_department.pk])
    assert client.get(url).status_code == 404
    url = reverse("customers:department_edit", args=[department.pk])
    assert client.get(url).status_code == 403
