"""One filter definition per list (GUIDE 14): contracts and maintenance agreements are
filtered by one FilterSet each, in the page, the API and its OpenAPI document alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.filters import AgreementFilterSet, ContractFilterSet
from core.tests.apiclient import Api
from core.tests.filtering import assert_one_definition
from customers.tests.factories import hospital_user

from .factories import ContractFactory, MaintenanceAgreementFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


def test_contracts_have_one_filter_definition(client):
    manager = vendor_user(VendorRole.MANAGER)
    qingdao = ContractFactory(number="QD-2026-0001")
    jinan = ContractFactory(number="JN-2026-0007")
    client.force_login(manager)
    page = client.get(reverse("contracts:contract_list"), {"hospital": jinan.hospital_id})
    assert_one_definition(client, ContractFilterSet, api_path="/contracts", page_response=page)
    assert list(page.context["page_obj"]) == [jinan]
    assert page.context["hospital"] == jinan.hospital
    api = Api(client, manager)
    assert ids(api.get("/contracts", hospital_id=jinan.hospital_id)) == [jinan.pk]
    page = client.get(reverse("contracts:contract_list"), {"q": "qd-2026"})
    assert list(page.context["page_obj"]) == [qingdao]
    assert ids(api.get("/contracts", q="qd-2026")) == [qingdao.pk]


def test_agreements_have_one_filter_definition(client):
    manager = vendor_user(VendorRole.MANAGER)
    device = DeviceFactory()
    covering = MaintenanceAgreementFactory(
        hospital=device.hospital, number="MA-2027-0001", devices=[device]
    )
    other = MaintenanceAgreementFactory(hospital=device.hospital, number="MA-2027-0002")
    client.force_login(manager)
    page = client.get(reverse("contracts:agreement_list"))
    assert_one_definition(
        client, AgreementFilterSet, api_path="/maintenance-agreements", page_response=page
    )
    assert 'type="hidden" name="device"' in page.content.decode()
    api = Api(client, manager)
    # The API's device filter works on the page, the page's number search in the API.
    page = client.get(reverse("contracts:agreement_list"), {"device": device.pk})
    assert list(page.context["page_obj"]) == [covering]
    assert ids(api.get("/maintenance-agreements", device_id=device.pk)) == [covering.pk]
    assert ids(api.get("/maintenance-agreements", q="0002")) == [other.pk]


def test_another_hospital_is_ignored_on_the_page_and_lists_nothing_in_the_api(client):
    own = ContractFactory()
    other = ContractFactory()
    user = hospital_user(own.hospital)
    client.force_login(user)
    page = client.get(reverse("contracts:contract_list"), {"hospital": other.hospital_id})
    assert list(page.context["page_obj"]) == [own]
    assert page.context["hospital"] is None
    assert ids(Api(client, user).get("/contracts", hospital_id=other.hospital_id)) == []
