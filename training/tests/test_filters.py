"""One filter definition per list (GUIDE 14): training plans and sessions are filtered by one
FilterSet each, in the page, the API and its OpenAPI document alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from core.tests.apiclient import Api, locs
from core.tests.filtering import assert_one_definition
from training.filters import TrainingPlanFilterSet, TrainingSessionFilterSet
from training.models import SessionState, TrainingSession

from .factories import make_plan, make_session

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: int, hour: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def world():
    plan = make_plan()
    other_plan = make_plan()
    sessions = {
        "past": make_session(plan=plan, starts_at=at(7)),
        "running": make_session(plan=plan, starts_at=at(10, 1)),  # two hours long
        "next": make_session(plan=plan, starts_at=at(12)),
        "cancelled": make_session(plan=plan, starts_at=at(13)),
        "elsewhere": make_session(plan=other_plan, starts_at=at(11)),
    }
    TrainingSession.objects.filter(pk=sessions["cancelled"].pk).update(state=SessionState.CANCELLED)
    return {"plan": plan, "other_plan": other_plan, **sessions}


@pytest.fixture
def dispatcher(client):
    user = vendor_user(VendorRole.DISPATCHER)
    client.force_login(user)
    return user


def on_page(client, name: str, **params) -> set[int]:
    response = client.get(reverse(f"training:{name}"), params)
    assert response.status_code == 200
    return {row.pk for row in response.context["page_obj"]}


def by_api(api, path: str, **params) -> set[int]:
    response = api.get(path, **params)
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["items"]}


def test_sessions_have_one_filter_definition(client, dispatcher, world):
    page = client.get(reverse("training:session_list"))
    assert_one_definition(
        client, TrainingSessionFilterSet, api_path="/training-sessions", page_response=page
    )
    assert 'type="hidden" name="plan"' in page.content.decode()
    api = Api(client, dispatcher)

    def named(*names: str) -> set[int]:
        return {world[name].pk for name in names}

    # The page shows what is not over yet unless asked; the API everything.
    assert on_page(client, "session_list") == named("running", "next", "elsewhere")
    assert by_api(api, "/training-sessions") == named(*SESSIONS)
    cases = [
        ({"when": "upcoming"}, {"when": "upcoming"}, named("running", "next", "elsewhere")),
        ({"when": "past"}, {"when": "past"}, named("past", "running")),
        ({"when": "all"}, {}, named(*SESSIONS)),
        (
            {"when": "all", "hospital": world["other_plan"].hospital_id},
            {"hospital_id": world["other_plan"].hospital_id},
            named("elsewhere"),
        ),
        (
            {"when": "all", "plan": world["plan"].pk},
            {"plan_id": world["plan"].pk},
            named("past", "running", "next", "cancelled"),
        ),
        (
            {"when": "all", "since": "2026-03-11"},
            {"from": "2026-03-11"},
            named("next", "cancelled", "elsewhere"),
        ),
        ({"when": "all", "until": "2026-03-10"}, {"to": "2026-03-10"}, named("past", "running")),
    ]
    for page_params, api_params, expected in cases:
        assert on_page(client, "session_list", **page_params) == expected, page_params
        assert by_api(api, "/training-sessions", **api_params) == expected, api_params
    assert locs(api.get("/training-sessions", when="someday")) == [["query", "when"]]
    # A bad value on the page is the default.
    assert on_page(client, "session_list", when="someday") == named("running", "next", "elsewhere")


SESSIONS = ("past", "running", "next", "cancelled", "elsewhere")


def test_plans_have_one_filter_definition(client, dispatcher, world):
    page = client.get(reverse("training:plan_list"))
    assert_one_definition(
        client, TrainingPlanFilterSet, api_path="/training-plans", page_response=page
    )
    api = Api(client, dispatcher)
    other = world["other_plan"]
    assert on_page(client, "plan_list", hospital=other.hospital_id) == {other.pk}
    assert by_api(api, "/training-plans", hospital_id=other.hospital_id) == {other.pk}
    assert on_page(client, "plan_list", contract=other.contract_id) == {other.pk}
    assert by_api(api, "/training-plans", contract_id=other.contract_id) == {other.pk}
