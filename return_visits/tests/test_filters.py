"""One filter definition per list (GUIDE 14): the return visits are filtered by one FilterSet
in the page, the API and its OpenAPI document alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.tests.apiclient import Api, locs
from core.tests.filtering import assert_one_definition
from customers.tests.factories import HospitalFactory, hospital_user
from return_visits.filters import ReturnVisitFilterSet
from return_visits.models import ReturnVisit
from return_visits.services import return_visits_generate

from .factories import department_with_devices

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    a, b = HospitalFactory(name="Hospital A"), HospitalFactory(name="Hospital B")
    icu, _ = department_with_devices(hospital=a, name="ICU")
    ward, _ = department_with_devices(hospital=a, name="Ward", devices=1)
    department_with_devices(hospital=b, name="B ICU")
    return_visits_generate(horizon_days=40)  # March and April
    return {"a": a, "b": b, "icu": icu, "ward": ward}


def on_page(client, **params) -> set[int]:
    response = client.get(reverse("return_visits:return_visit_list"), params)
    assert response.status_code == 200
    return {visit.pk for visit, _state in response.context["rows"]}


def by_api(api, **params) -> set[int]:
    response = api.get("/return-visits", **params)
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["items"]}


def visits(**lookups) -> set[int]:
    return set(ReturnVisit.objects.filter(**lookups).values_list("pk", flat=True))


def test_return_visits_have_one_filter_definition(client, world):
    user = vendor_user(VendorRole.DISPATCHER)
    client.force_login(user)
    page = client.get(reverse("return_visits:return_visit_list"))
    assert_one_definition(
        client, ReturnVisitFilterSet, api_path="/return-visits", page_response=page
    )
    # The department is a hidden field: a link can list one department's visits.
    assert 'type="hidden" name="department"' in page.content.decode()
    api = Api(client, user)
    march = date(2026, 3, 1)
    cases = [
        ({"month": "2026-03"}, {"month": "2026-03"}, visits(month=march)),
        ({"hospital": world["b"].pk}, {"hospital_id": world["b"].pk}, visits(hospital=world["b"])),
        (
            {"department": world["ward"].pk},
            {"department_id": world["ward"].pk},
            visits(department=world["ward"]),
        ),
        ({"state": "planned"}, {"state": "planned"}, visits()),
        ({"state": "done"}, {"state": "done"}, set()),
    ]
    for page_params, api_params, expected in cases:
        assert expected or page_params["state"] == "done"
        assert on_page(client, **page_params) == expected, page_params
        assert by_api(api, **api_params) == expected, api_params
    assert locs(api.get("/return-visits", month="2026-13")) == [["query", "month"]]
    assert on_page(client, month="2026-13") == visits()  # the page leaves it out


def test_hospital_users_have_no_hospital_filter_on_the_page(client, world):
    client.force_login(hospital_user(world["a"]))
    page = client.get(reverse("return_visits:return_visit_list"))
    assert_one_definition(
        client,
        ReturnVisitFilterSet,
        api_path="/return-visits",
        page_response=page,
        not_on_page={"hospital"},
    )
    assert on_page(client, hospital=world["b"].pk) == visits(hospital=world["a"])
