"""The one error shape at nested paths: an endpoint raises ``LocatedValidationError`` with a
service's errors (or its own) and the one handler answers 422 at the paths it gives, in
place of hand-built error items; ``page`` pages a list the endpoint built like a queryset."""

from __future__ import annotations

from functools import partial

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from ninja import NinjaAPI, Query
from ninja.testing import TestClient

from core.api import (
    LocatedValidationError,
    PageIn,
    body_path,
    install_error_handlers,
    page,
)

api = NinjaAPI(urls_namespace="core-located-errors-test")
install_error_handlers(api)


def _sheet_service() -> None:
    """A service naming a row of a list and a model field, as services do."""
    raise ValidationError(
        {
            "devices.1.device": "Not a device of this department.",
            "department": ValidationError("Closed.", code="closed"),
            NON_FIELD_ERRORS: "Nothing was recorded.",
        }
    )


@api.post("/sheet")
def sheet(request):
    try:
        _sheet_service()
    except ValidationError as exc:
        names = {"device": "device_id"}
        raise LocatedValidationError(exc, partial(body_path, names=names)) from exc


@api.post("/results")
def results(request):
    keys = {"leak.current"}  # a key people typed, dots and all

    def loc_of(field: str) -> list[str | int]:
        return ["body", "results", field] if field in keys else body_path(field)

    raise LocatedValidationError({"leak.current": "Out of limits.", "signer": "Who?"}, loc_of)


@api.post("/single")
def single(request):
    raise LocatedValidationError(ValidationError("No.", code="refused"))


@api.get("/numbers")
def numbers(request, paging: Query[PageIn]):
    return page([{"n": n} for n in range(7)], paging)


@pytest.fixture
def client():
    return TestClient(api)


def items(response) -> list[dict]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"]
    return body["errors"]


def test_a_services_dotted_fields_are_placed_in_the_body(client):
    errors = items(client.post("/sheet"))
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "devices", 1, "device_id"], "invalid"),
        (["body", "department"], "closed"),
        (["body"], "invalid"),
    ]
    assert errors[0]["msg"] == "Not a device of this department."


def test_the_endpoint_says_where_a_field_lies(client):
    errors = items(client.post("/results"))
    assert [e["loc"] for e in errors] == [["body", "results", "leak.current"], ["body", "signer"]]


def test_an_error_without_a_field_is_the_bodys(client):
    assert [(e["loc"], e["type"]) for e in items(client.post("/single"))] == [(["body"], "refused")]


def test_a_list_is_paged_like_a_queryset(client):
    body = client.get("/numbers?limit=3&offset=5").json()
    assert body == {"count": 7, "limit": 3, "offset": 5, "items": [{"n": 5}, {"n": 6}]}
