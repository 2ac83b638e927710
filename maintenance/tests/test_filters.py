"""One filter definition per list (GUIDE 14): the planned visits are filtered by one FilterSet
in the page, the API and its OpenAPI document alike; the plans list of the API by another."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from core.tests.apiclient import Api, locs
from core.tests.filtering import assert_one_definition
from customers.tests.factories import hospital_user
from maintenance.filters import PlanFilterSet, VisitFilterSet
from maintenance.models import VisitState
from maintenance.services import contract_plan_override_set

from .factories import VisitFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER, username="mgr")


@pytest.fixture
def visits():
    """An overdue visit, one due today (assigned), one next month, one cancelled."""
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    overdue = VisitFactory(due_on=dt.date(2026, 2, 20), tolerance=3)
    today = VisitFactory(due_on=dt.date(2026, 3, 10))
    today.engineers.set([engineer])
    later = VisitFactory(due_on=dt.date(2026, 4, 10), device=today.device)
    cancelled = VisitFactory(due_on=dt.date(2026, 3, 12), state=VisitState.CANCELLED)
    return {
        "overdue": overdue,
        "today": today,
        "later": later,
        "cancelled": cancelled,
        "engineer": engineer,
    }


def on_page(client, **params) -> list[int]:
    response = client.get(reverse("maintenance:visit_list"), params)
    assert response.status_code == 200
    return [visit.pk for visit in response.context["visits"]]


def by_api(api, path: str = "/visits", **params) -> list[int]:
    response = api.get(path, **params)
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


def test_visits_have_one_filter_definition(client, manager, visits):
    client.force_login(manager)
    assert_one_definition(
        client,
        VisitFilterSet,
        api_path="/visits",
        page_response=client.get(reverse("maintenance:visit_list")),
    )
    api = Api(client, manager)
    # Each filter means the same on the page (its form's name) and in the API.
    cases = [
        ({"state": "overdue"}, {"state": "overdue"}, ["overdue"]),
        ({"state": "cancelled"}, {"state": "cancelled"}, ["cancelled"]),
        (
            {"due_from": "2026-03-01", "due_to": "2026-03-31"},
            {"due_from": "2026-03-01", "due_to": "2026-03-31"},
            ["today", "cancelled"],
        ),
        (
            {"engineer": visits["engineer"].pk},
            {"engineer_id": visits["engineer"].pk},
            ["today"],
        ),
        (
            {"hospital": visits["overdue"].hospital_id},
            {"hospital_id": visits["overdue"].hospital_id},
            ["overdue"],
        ),
        (
            {"device": visits["today"].device_id},
            {"device_id": visits["today"].device_id},
            ["today", "later"],
        ),
    ]
    for page_params, api_params, expected in cases:
        wanted = [visits[name].pk for name in expected]
        assert on_page(client, **page_params) == wanted, page_params
        assert by_api(api, **api_params) == wanted, api_params


def test_hospital_users_have_no_engineer_filter_on_the_page(client, visits):
    user = hospital_user(visits["today"].hospital)
    client.force_login(user)
    response = client.get(reverse("maintenance:visit_list"), {"engineer": visits["engineer"].pk})
    assert_one_definition(
        client, VisitFilterSet, api_path="/visits", page_response=response, not_on_page={"engineer"}
    )
    # Ignored there, as before: their hospital's visits, whoever goes.
    assert [v.pk for v in response.context["visits"]] == [
        visits["today"].pk,
        visits["later"].pk,
    ]


def test_an_inverted_period_is_a_422_in_the_api_and_left_out_on_the_page(client, manager, visits):
    api = Api(client, manager)
    inverted = {"due_from": "2026-03-31", "due_to": "2026-03-01"}
    assert locs(api.get("/visits", **inverted)) == [["query", "due_from"]]
    client.force_login(manager)
    # Only the end remains: everything due until 1 March.
    assert on_page(client, **inverted) == [visits["overdue"].pk]


def plans(api, **params) -> list[tuple[str, str, int]]:
    response = api.get("/maintenance-plans", **params)
    assert response.status_code == 200, response.json()
    return [(item["source"], item["kind"], item["id"]) for item in response.json()["items"]]


def test_the_plans_list_has_one_filter_definition(client, manager):
    device = DeviceFactory()
    contract = ContractFactory(hospital=device.hospital, devices=[device])
    override = contract_plan_override_set(contract=contract, kind="patrol", interval_months=2)
    assert_one_definition(client, PlanFilterSet, api_path="/maintenance-plans")
    api = Api(client, manager)
    # One FilterSet over both kinds of rows: a contract lists its own numbers only, a
    # model its templates only.
    assert plans(api, contract_id=contract.pk) == [("contract", "patrol", override.pk)]
    assert [row[:2] for row in plans(api, kind="patrol")] == [
        ("template", "patrol"),
        ("contract", "patrol"),
    ]
    model = device.product_model_id
    assert plans(api, product_model_id=model, kind="patrol") == []
    assert locs(api.get("/maintenance-plans", kind="special")) == [["query", "kind"]]
