"""One filter definition per list (GUIDE 14): hospitals, departments and contacts are
filtered by one FilterSet each, in the page, the API and its OpenAPI document alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.tests.apiclient import Api, locs
from core.tests.filtering import assert_one_definition
from customers.filters import ContactFilterSet, DepartmentFilterSet, HospitalFilterSet

from .factories import ContactFactory, DepartmentFactory, HospitalFactory, hospital_user

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


def test_hospitals_have_one_filter_definition(client):
    manager = vendor_user(VendorRole.MANAGER)
    qingdao = HospitalFactory(name="青岛市第五人民医院", code="QD5")
    HospitalFactory(name="Jinan Clinic", code="JN1")
    client.force_login(manager)
    page = client.get(reverse("customers:hospital_list"), {"q": "qd5"})
    assert_one_definition(client, HospitalFilterSet, api_path="/hospitals", page_response=page)
    assert list(page.context["page_obj"]) == [qingdao]
    # The page's search (the code too) is the API's.
    assert ids(Api(client, manager).get("/hospitals", q="qd5")) == [qingdao.pk]
    assert locs(Api(client, manager).get("/hospitals", q="x" * 101)) == [["query", "q"]]


def test_departments_and_contacts_have_one_filter_definition(client):
    manager = vendor_user(VendorRole.MANAGER)
    icu = DepartmentFactory(name="ICU")
    other = DepartmentFactory(name="ICU")
    contact = ContactFactory(hospital=icu.hospital, department=icu)
    ContactFactory(hospital=other.hospital, department=other)
    client.force_login(manager)
    assert_one_definition(client, DepartmentFilterSet, api_path="/departments")
    assert_one_definition(client, ContactFilterSet, api_path="/contacts")
    api = Api(client, manager)
    assert ids(api.get("/departments", hospital_id=icu.hospital_id, q="ic")) == [icu.pk]
    assert ids(api.get("/contacts", department_id=icu.pk)) == [contact.pk]


def test_a_hospital_user_filters_within_their_hospital(client):
    own = DepartmentFactory()
    other = DepartmentFactory()
    user = hospital_user(own.hospital)
    api = Api(client, user)
    # Another hospital's id lists nothing, like an id that does not exist (no 422 that
    # would tell it exists).
    assert ids(api.get("/departments", hospital_id=other.hospital_id)) == []
    assert ids(api.get("/departments", hospital_id=own.hospital_id)) == [own.pk]
    assert ids(api.get("/contacts", department_id=other.pk)) == []
