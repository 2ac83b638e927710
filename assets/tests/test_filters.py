"""One filter definition per list (GUIDE 14): the devices, product models and emergency
procedures are filtered by one FilterSet each, in the page, the API and its OpenAPI
document alike."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.filters import DeviceFilterSet, ProcedureFilterSet, ProductModelFilterSet
from assets.models import DeviceStatus, ProductCategory
from core.tests.apiclient import Api, locs
from core.tests.filtering import assert_one_definition
from customers.tests.factories import DepartmentFactory, hospital_user

from .factories import DeviceFactory, EmergencyProcedureFactory, ProductModelFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER)


def listed_on_page(client, name: str, **params) -> list:
    return list(client.get(reverse(f"assets:{name}"), params).context["page"])


def listed_by_api(api, path: str, **params) -> list[int]:
    response = api.get(path, **params)
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


def test_devices_have_one_filter_definition(client, engineer):
    down = DeviceFactory(status=DeviceStatus.DOWN)
    installed = DeviceFactory(status=DeviceStatus.INSTALLED)
    client.force_login(engineer)
    assert_one_definition(
        client,
        DeviceFilterSet,
        api_path="/devices",
        page_response=client.get(reverse("assets:device_list")),
    )
    api = Api(client, engineer)
    # The page's name and the API's name of each filter, one meaning.
    assert listed_on_page(client, "device_list", status="down") == [down]
    assert listed_by_api(api, "/devices", status="down") == [down.pk]
    model = installed.product_model
    assert listed_on_page(client, "device_list", model=model.pk) == [installed]
    assert listed_by_api(api, "/devices", product_model_id=model.pk) == [installed.pk]
    assert locs(api.get("/devices", status="melted")) == [["query", "status"]]


def test_device_filters_outside_the_scope(client, device_in_a, device_in_b):
    """A page ignores another hospital's id; the API lists nothing for it (as before)."""
    user = hospital_user(device_in_a.hospital)
    client.force_login(user)
    assert listed_on_page(client, "device_list", hospital=device_in_b.hospital_id) == [device_in_a]
    api = Api(client, user)
    assert listed_by_api(api, "/devices", hospital_id=device_in_b.hospital_id) == []
    assert listed_by_api(api, "/devices", hospital_id=device_in_a.hospital_id) == [device_in_a.pk]


@pytest.fixture
def device_in_a():
    return DeviceFactory()


@pytest.fixture
def device_in_b():
    return DeviceFactory()


def test_product_models_have_one_filter_definition(client, engineer):
    imaging = ProductModelFactory(category=ProductCategory.IMAGING, gtin="06971234567895")
    ProductModelFactory(category=ProductCategory.MONITORING)
    client.force_login(engineer)
    assert_one_definition(
        client,
        ProductModelFilterSet,
        api_path="/product-models",
        page_response=client.get(reverse("assets:product_model_list")),
    )
    api = Api(client, engineer)
    assert listed_on_page(client, "product_model_list", category="imaging") == [imaging]
    assert listed_by_api(api, "/product-models", category="imaging") == [imaging.pk]
    # The page's search (the exact GTIN too) is the API's.
    assert listed_by_api(api, "/product-models", q="06971234567895") == [imaging.pk]
    assert locs(api.get("/product-models", category="toys")) == [["query", "category"]]


def test_procedures_have_one_filter_definition(client, engineer):
    department = DepartmentFactory()
    device = DeviceFactory(department=department)
    for_device = EmergencyProcedureFactory(department=department, device=device)
    received = EmergencyProcedureFactory(received_by="A", received_at=NOW - dt.timedelta(days=1))
    client.force_login(engineer)
    page = client.get(reverse("assets:procedure_list"))
    assert_one_definition(
        client, ProcedureFilterSet, api_path="/emergency-procedures", page_response=page
    )
    # The device filter is a hidden field: a device's page links to its procedures.
    assert 'type="hidden" name="device"' in page.content.decode()
    api = Api(client, engineer)
    assert listed_on_page(client, "procedure_list", device=device.pk) == [for_device]
    assert listed_by_api(api, "/emergency-procedures", device_id=device.pk) == [for_device.pk]
    assert listed_on_page(client, "procedure_list", received="yes") == [received]
    assert listed_by_api(api, "/emergency-procedures", received="yes") == [received.pk]
    hospital = received.department.hospital_id
    assert listed_by_api(api, "/emergency-procedures", hospital_id=hospital) == [received.pk]
