"""The one filter layer (core.filtering): a FilterSet makes the page's form, the API's
documented query parameters and the API's 422 answers; core.api.page pages every list.

Domain-free on purpose: the user model and Django's groups stand in for an app's records.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.validators import RegexValidator
from django.test import RequestFactory
from ninja import NinjaAPI, Query, Schema
from ninja.testing import TestClient

from core.api import Input, PageIn, install_error_handlers, page, page_of
from core.bounds import MAX_ID, MAX_OFFSET
from core.filtering import (
    BooleanFilter,
    ChoiceFilter,
    DayFilter,
    ListFilterSet,
    RecordFilter,
    TextFilter,
    api_filter,
    filter_query,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def _visible_groups(request):
    # The viewer's scope: groups whose name starts with "visible".
    return Group.objects.filter(name__startswith="visible")


class PeopleFilterSet(ListFilterSet):
    q = TextFilter(field_name="username", lookup_expr="icontains", label="Name", max_length=20)
    group = RecordFilter(field_name="groups", queryset=_visible_groups, label="Group")
    kind = ChoiceFilter(
        choices=[("staff", "Staff"), ("others", "Others")],
        method="by_kind",
        label="Kind",
        empty_label="Anyone",
        api_default="others",
    )
    active = BooleanFilter(field_name="is_active", label="Active")
    joined_from = DayFilter(
        field_name="date_joined__date",
        lookup_expr="gte",
        label="Joined on or after",
        api_name="from",
        api_description="First day, included",
    )

    field_order = ["kind", "q"]

    def by_kind(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(is_staff=value == "staff")


@filter_query(PeopleFilterSet)
class PeopleQuery(Input):
    """The filters of GET /people."""


class PersonOut(Schema):
    id: int
    username: str


api = NinjaAPI(urls_namespace="core-filtering-test")
install_error_handlers(api)


@api.get("/people", response=page_of(PersonOut))
def people(request, filters: Query[PeopleQuery], paging: Query[PageIn]):
    return page(api_filter(filters, User.objects.order_by("pk"), request=request), paging)


@pytest.fixture
def client():
    return TestClient(api)


@pytest.fixture
def people_world():
    visible = Group.objects.create(name="visible-ward")
    hidden = Group.objects.create(name="hidden-ward")
    alice = User.objects.create(username="alice", is_staff=True)
    bob = User.objects.create(username="bob")
    carol = User.objects.create(username="carol", is_active=False)
    alice.groups.add(visible)
    bob.groups.add(hidden)
    User.objects.filter(pk=carol.pk).update(date_joined=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    User.objects.exclude(pk=carol.pk).update(date_joined=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    return {"visible": visible, "hidden": hidden, "alice": alice, "bob": bob, "carol": carol}


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["username"] for item in response.json()["items"]]


def locs(response) -> list[list]:
    assert response.status_code == 422, response.json()
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert all(set(e) == {"loc", "msg", "type"} and e["msg"] for e in body["errors"])
    return [e["loc"] for e in body["errors"]]


# --- the OpenAPI document ---------------------------------------------------------------
def _parameters() -> dict[str, dict]:
    schema = api.get_openapi_schema(path_prefix="")
    operation = schema["paths"]["/people"]["get"]
    return {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}


def _type_of(parameter: dict) -> dict:
    schema = parameter["schema"]
    return next(s for s in schema.get("anyOf", [schema]) if s.get("type") != "null")


def test_every_filter_is_an_optional_typed_documented_parameter():
    parameters = _parameters()
    assert list(parameters) == ["kind", "q", "group_id", "active", "from", "limit", "offset"]
    assert not any(p.get("required") for p in parameters.values())
    assert _type_of(parameters["q"]) == {"type": "string", "maxLength": 20}
    group = _type_of(parameters["group_id"])
    assert (group["type"], group["minimum"], group["maximum"]) == ("integer", 1, MAX_ID)
    assert _type_of(parameters["kind"])["enum"] == ["staff", "others"]
    assert parameters["kind"]["schema"]["default"] == "others"
    assert _type_of(parameters["active"]) == {"type": "boolean"}
    assert _type_of(parameters["from"])["format"] == "date"
    # The label in English, or the filter's own API description.
    assert parameters["group_id"]["description"] == "Group"
    assert parameters["from"]["description"] == "First day, included"


def test_the_api_honours_each_filter_and_its_default(client, people_world):
    assert names(client.get("/people")) == ["bob", "carol"]  # kind defaults to "others"
    assert names(client.get("/people?kind=staff")) == ["alice"]
    assert names(client.get("/people?kind=staff&q=ALI")) == ["alice"]
    assert names(client.get("/people?active=false")) == ["carol"]
    assert names(client.get("/people?from=2026-02-01")) == ["carol"]
    assert names(client.get(f"/people?kind=staff&group_id={people_world['visible'].pk}")) == [
        "alice"
    ]


def test_an_id_outside_the_scope_lists_nothing_in_the_api(client, people_world):
    """The queryset is the scope: another's record is no hint that it exists (not a 422)."""
    assert names(client.get(f"/people?group_id={people_world['hidden'].pk}")) == ["bob"]
    assert names(client.get("/people?group_id=999999")) == []


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        (f"group_id={MAX_ID + 1}", ["query", "group_id"]),
        ("group_id=0", ["query", "group_id"]),
        ("kind=robots", ["query", "kind"]),
        ("active=perhaps", ["query", "active"]),
        ("from=0001-01-01", ["query", "from"]),
        ("from=2026-13-45", ["query", "from"]),
        ("q=" + "x" * 21, ["query", "q"]),
        ("limit=0", ["query", "limit"]),
        ("limit=501", ["query", "limit"]),
        (f"offset={MAX_OFFSET + 1}", ["query", "offset"]),
        ("offset=-1", ["query", "offset"]),
    ],
)
def test_bad_query_values_are_422_on_their_parameter(client, people_world, query, loc):
    assert locs(client.get(f"/people?{query}")) == [loc]


class StrictFilterSet(PeopleFilterSet):
    q = TextFilter(
        field_name="username",
        validators=[RegexValidator(r"^[a-z]+$", "Letters only.", code="letters")],
    )


@filter_query(StrictFilterSet)
class StrictQuery(Input):
    pass


strict_api = NinjaAPI(urls_namespace="core-filtering-strict")
install_error_handlers(strict_api)


@strict_api.get("/strict", response=page_of(PersonOut))
def strict(request, filters: Query[StrictQuery], paging: Query[PageIn]):
    return page(api_filter(filters, User.objects.order_by("pk"), request=request), paging)


def test_what_only_the_filterset_refuses_is_422_on_the_query_parameter(people_world):
    """A filter's form field can refuse what the schema let through (here a validator):
    the same error shape, located at the API's parameter name."""
    response = TestClient(strict_api).get("/strict?q=a1")
    assert locs(response) == [["query", "q"]]
    assert response.json()["errors"][0] == {
        "loc": ["query", "q"],
        "msg": "Letters only.",
        "type": "letters",
    }
    assert names(TestClient(strict_api).get("/strict?q=bob")) == ["bob"]


# --- the page's form --------------------------------------------------------------------
def _bound(query: str) -> PeopleFilterSet:
    request = RequestFactory().get(f"/people?{query}")
    return PeopleFilterSet(request.GET, User.objects.order_by("pk"), request=request)


def test_the_page_offers_only_the_viewers_records_and_ignores_others(people_world):
    filterset = _bound(f"group={people_world['hidden'].pk}")
    field = cast(forms.ModelChoiceField, filterset.form.fields["group"])
    choices = [str(label) for _value, label in field.widget.choices]
    assert choices == ["---------", "visible-ward"]
    # Out of scope, impossible or malformed: the filter is left out, the list is shown.
    for value in (people_world["hidden"].pk, "100000000000000000000", "x"):
        filterset = _bound(f"group={value}")
        assert [u.username for u in filterset.qs] == ["alice", "bob", "carol"]
    assert [u.username for u in _bound(f"group={people_world['visible'].pk}").qs] == ["alice"]


def test_the_page_form_is_styled_ordered_and_has_no_api_default(people_world):
    filterset = _bound("")
    form = filterset.form
    assert list(form.fields)[:2] == ["kind", "q"]
    assert form.fields["kind"].widget.attrs["class"] == "form-select"
    assert form.fields["q"].widget.attrs["class"] == "form-control"
    assert form.fields["joined_from"].widget.input_type == "date"
    # The API's default is the API's: the page with no choice lists everyone.
    assert [u.username for u in filterset.qs] == ["alice", "bob", "carol"]
    bad_day = _bound("joined_from=0001-01-01")
    assert [u.username for u in bad_day.qs] == ["alice", "bob", "carol"]
    assert "joined_from" in bad_day.form.errors


def test_page_keeps_its_shape_and_bounds():
    users = User.objects.none()
    assert page(users, PageIn(limit=5, offset=10)) == {
        "count": 0,
        "limit": 5,
        "offset": 10,
        "items": [],
    }
    assert page(users, limit=10_000, offset=-3)["limit"] == 500
    assert page(users)["limit"] == 50
    assert page(users, limit=10_000, offset=-3)["offset"] == 0
