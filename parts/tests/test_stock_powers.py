"""Stock powers (issue 10 §8) and per-user idempotency keys (issue 10 §5).

A permission matrix over roles × movement kinds × locations (own bag, another engineer's
bag, the stores) and requests (assigned or not), through the services and through the API:
the office records everything, an engineer moves only their own bag, a hotline agent and a
hospital user nothing. Quantities have an upper bound; keys are the user's own.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from customers.tests.factories import HospitalFactory, hospital_user
from parts import services
from parts.models import (
    MAX_MOVEMENT_QUANTITY,
    LocationKind,
    StockLevel,
    StockMovement,
)
from parts.reservations import services as dispatch

from .factories import SparePartFactory, StockLocationFactory, bag_of, open_request

pytestmark = pytest.mark.django_db

ROLES = ["admin", "manager", "engineer", "dispatcher", "hospital"]
# (kind, locations, request, an engineer may) — "own" is the engineer's bag, "other"
# another engineer's; "mine" a request the engineer is assigned to, "theirs" one they are not.
CASES: list[tuple[str, dict[str, str], str | None, bool]] = [
    ("receive", {"location": "own"}, None, False),
    ("receive", {"location": "central"}, None, False),
    ("write_off", {"location": "own"}, None, False),
    ("write_off", {"location": "central"}, None, False),
    ("write_off", {"location": "other"}, None, False),
    ("count_correction", {"location": "own"}, None, False),
    ("count_correction", {"location": "central"}, None, False),
    ("transfer", {"from_location": "central", "to_location": "own"}, None, True),
    ("transfer", {"from_location": "regional", "to_location": "own"}, None, True),
    ("transfer", {"from_location": "own", "to_location": "central"}, None, True),
    ("transfer", {"from_location": "other", "to_location": "own"}, None, False),
    ("transfer", {"from_location": "own", "to_location": "other"}, None, False),
    ("transfer", {"from_location": "central", "to_location": "regional"}, None, False),
    ("transfer", {"from_location": "central", "to_location": "other"}, None, False),
    ("reserve", {"location": "own"}, "mine", True),
    ("reserve", {"location": "central"}, "mine", True),
    ("reserve", {"location": "other"}, "mine", False),
    ("reserve", {"location": "own"}, "theirs", False),
    ("unreserve", {"location": "own"}, "mine", True),
    ("unreserve", {"location": "central"}, "mine", True),
    ("unreserve", {"location": "other"}, "mine", False),
    ("unreserve", {"location": "central"}, "theirs", False),
    ("issue", {"location": "own"}, "mine", True),
    ("issue", {"location": "central"}, "mine", False),
    ("issue", {"location": "other"}, "mine", False),
    ("issue", {"location": "own"}, "theirs", False),
    ("return", {"location": "own"}, "mine", True),
    ("return", {"location": "central"}, "mine", False),
    ("return", {"location": "other"}, "mine", False),
    ("return", {"location": "own"}, "theirs", False),
]


def case_name(case) -> str:
    kind, places, request, _may = case
    where = "→".join(places.values())
    return f"{kind} {where}" + (f" ({request})" if request else "")


@pytest.fixture
def world() -> dict[str, Any]:
    """Stock everywhere, reservations and issues to return, put in by the system."""
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    colleague = vendor_user(VendorRole.ENGINEER, username="colleague")
    places = {
        "own": bag_of(engineer),
        "other": bag_of(colleague),
        "central": StockLocationFactory(name="Central", kind=LocationKind.CENTRAL),
        "regional": StockLocationFactory(name="Regional", kind=LocationKind.REGIONAL),
    }
    part = SparePartFactory(part_number="F-1")
    requests = {
        "mine": open_request(DeviceFactory(), engineers=[engineer]),
        "theirs": open_request(DeviceFactory(), engineers=[colleague]),
    }
    for place in places.values():
        services.stock_receive(part=part, location=place, quantity=20, user=None)
    for name in ("own", "central", "other"):
        services.stock_reserve(
            request=requests["mine"], part=part, location=places[name], quantity=2, user=None
        )
    services.stock_reserve(
        request=requests["theirs"], part=part, location=places["central"], quantity=2, user=None
    )
    for name in ("mine", "theirs"):
        services.stock_issue(
            request=requests[name], part=part, location=places["own"], quantity=5, user=None
        )
    return {"engineer": engineer, "places": places, "part": part, "requests": requests}


def role_user(role: str):
    if role == "hospital":
        return hospital_user(HospitalFactory())
    return vendor_user(getattr(VendorRole, role.upper()), username=f"the-{role}")


def expected(role: str) -> dict[str, bool]:
    return {
        case_name(case): role in {"admin", "manager"} or (role == "engineer" and case[3])
        for case in CASES
    }


def _arguments(world, case) -> dict[str, Any]:
    kind, places, request, _may = case
    arguments: dict[str, Any] = {name: world["places"][key] for name, key in places.items()}
    if request:
        arguments["request"] = world["requests"][request]
    if kind == "count_correction":
        arguments["counted"] = 25
    else:
        arguments["quantity"] = 1
    return arguments


@pytest.mark.parametrize("role", ROLES)
def test_stock_powers_through_the_services(world, role):
    user = world["engineer"] if role == "engineer" else role_user(role)
    outcomes: dict[str, Any] = {}
    for case in CASES:
        try:
            services.stock_movement_record(
                kind=case[0],
                part=world["part"],
                user=user,
                note="damaged",
                **_arguments(world, case),
            )
        except services.StockPowerDenied:
            outcomes[case_name(case)] = False
        except ValidationError as exc:  # would be a broken set-up: show it
            outcomes[case_name(case)] = exc.messages
        else:
            outcomes[case_name(case)] = True
    assert outcomes == expected(role)


@pytest.mark.parametrize("role", ROLES)
def test_stock_powers_through_the_api(client, world, role):
    user = world["engineer"] if role == "engineer" else role_user(role)
    client.force_login(user)
    outcomes: dict[str, Any] = {}
    for case in CASES:
        body: dict[str, Any] = {"kind": case[0], "part_id": world["part"].pk, "note": "damaged"}
        for name, value in _arguments(world, case).items():
            body[f"{name}_id" if hasattr(value, "pk") else name] = getattr(value, "pk", value)
        response = client.post("/api/v1/stock-movements", body, content_type="application/json")
        outcomes[case_name(case)] = {201: True, 403: False}.get(
            response.status_code, response.content
        )
    assert outcomes == expected(role)


def test_a_refusal_says_why_and_changes_nothing(client, world):
    client.force_login(world["engineer"])
    levels = list(StockLevel.objects.values_list("location_id", "on_hand", "reserved"))
    count = StockMovement.objects.count()
    central = world["places"]["central"]
    response = client.post(
        "/api/v1/stock-movements",
        {
            "kind": "write_off",
            "part_id": world["part"].pk,
            "location_id": central.pk,
            "quantity": 5,
            "note": "lost",
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Goods in, write-offs and count corrections are recorded by the office."
    )
    response = client.post(
        "/api/v1/stock-movements",
        {
            "kind": "transfer",
            "part_id": world["part"].pk,
            "from_location_id": world["places"]["other"].pk,
            "to_location_id": world["places"]["own"].pk,
            "quantity": 1,
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "between your own bag and a central or regional store" in response.json()["detail"]
    assert list(StockLevel.objects.values_list("location_id", "on_hand", "reserved")) == levels
    assert StockMovement.objects.count() == count


# --- an upper bound on quantities -----------------------------------------------------------
def test_a_million_units_are_refused_with_422_on_the_quantity(client, world):
    manager = vendor_user(VendorRole.MANAGER, username="office")
    client.force_login(manager)
    central = world["places"]["central"]
    count = StockMovement.objects.count()
    response = client.post(
        "/api/v1/stock-movements",
        {
            "kind": "receive",
            "part_id": world["part"].pk,
            "location_id": central.pk,
            "quantity": 1_000_000,
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "quantity"]]
    with pytest.raises(ValidationError) as refused:
        services.stock_receive(
            part=world["part"], location=central, quantity=1_000_000, user=manager
        )
    assert list(refused.value.message_dict) == ["quantity"]
    assert "At most 10,000 units move at once" in refused.value.message_dict["quantity"][0]
    services.stock_receive(
        part=world["part"], location=central, quantity=MAX_MOVEMENT_QUANTITY, user=manager
    )
    # A count is bounded by what it changes: a million found on a shelf of 10,020 is absurd.
    response = client.post(
        "/api/v1/stock-movements",
        {
            "kind": "count_correction",
            "part_id": world["part"].pk,
            "location_id": central.pk,
            "counted": 1_000_000,
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "counted"]]
    assert StockMovement.objects.count() == count + 1


def test_the_movement_form_bounds_the_quantity_and_offers_an_engineer_only_their_moves(
    client, world
):
    engineer, places = world["engineer"], world["places"]
    client.force_login(engineer)
    form = client.get(reverse("parts:movement_create")).context["form"]
    assert [value for value, _label in form.fields["kind"].choices] == [
        "transfer",
        "reserve",
        "unreserve",
        "issue",
        "return",
    ]
    assert set(form.fields["location"].queryset) == {
        places["own"],
        places["central"],
        places["regional"],
    }
    assert list(form.fields["request"].queryset) == [world["requests"]["mine"]]
    count = StockMovement.objects.count()
    response = client.post(
        reverse("parts:movement_create"),
        {
            "kind": "transfer",
            "part": world["part"].pk,
            "from_location": places["central"].pk,
            "to_location": places["own"].pk,
            "quantity": 1_000_000,
        },
    )
    assert "quantity" in response.context["form"].errors
    response = client.post(
        reverse("parts:movement_create"),
        {
            "kind": "write_off",
            "part": world["part"].pk,
            "location": places["own"].pk,
            "quantity": 1,
            "note": "x",
        },
    )
    assert "kind" in response.context["form"].errors
    assert StockMovement.objects.count() == count


# --- idempotency keys are the user's own (issue 10 §5) --------------------------------------
def _transfer(client, world, key: str, *, quantity: int = 1, part=None):
    return client.post(
        "/api/v1/stock-movements",
        {
            "kind": "transfer",
            "part_id": (part or world["part"]).pk,
            "from_location_id": world["places"]["central"].pk,
            "to_location_id": world["places"]["regional"].pk,
            "quantity": quantity,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_another_users_key_never_returns_or_blocks_their_movement(client, world):
    first, second = (vendor_user(VendorRole.MANAGER, username=n) for n in ("m1", "m2"))
    client.force_login(first)
    mine = _transfer(client, world, "key-1")
    assert mine.status_code == 201
    assert (
        _transfer(client, world, "key-1").json()["movement"]["id"]
        == (mine.json()["movement"]["id"])
    ), "the same user's resend is the same movement"
    client.force_login(second)
    theirs = _transfer(client, world, "key-1", quantity=2)
    assert theirs.status_code == 201
    assert theirs.json()["movement"]["id"] != mine.json()["movement"]["id"]
    assert theirs.json()["movement"]["quantity"] == 2
    moved = StockMovement.objects.filter(idempotency_key="key-1").order_by("pk")
    assert [(m.created_by, m.quantity) for m in moved] == [(first, 1), (second, 2)]
    assert StockLevel.objects.get(location=world["places"]["regional"]).on_hand == 20 + 3


def test_a_key_reused_by_the_same_user_for_another_movement_is_409(client, world):
    """Over HTTP the key belongs to the request it came with (the idempotency middleware);
    ``test_services`` shows the service's own refusal (422 on the key)."""
    client.force_login(vendor_user(VendorRole.MANAGER, username="m1"))
    assert _transfer(client, world, "key-1").status_code == 201
    other_part = SparePartFactory(part_number="F-2")
    services.stock_receive(
        part=other_part, location=world["places"]["central"], quantity=3, user=None
    )
    response = _transfer(client, world, "key-1", part=other_part)
    assert response.status_code == 409
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    response = client.post(
        "/api/v1/stock-movements",
        {
            "kind": "receive",
            "part_id": world["part"].pk,
            "location_id": world["places"]["central"].pk,
            "quantity": 1,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )
    assert response.status_code == 409, "another kind under the same key is another request"


def test_a_dispatch_by_the_hotline_reserves_even_if_someone_took_its_key(
    django_capture_on_commit_callbacks, world
):
    """The system's own keys keep working: a hotline agent (who moves no stock) dispatches
    and the reservation is made; a key another user took that looks like a dispatch's does
    not stop it, and a replay reserves nothing twice."""
    from service.services import service_request_record_event

    engineer, places = world["engineer"], world["places"]
    job = open_request(DeviceFactory())
    job.description = "黑屏"
    job.save(update_fields=["description"])
    model = job.device.product_model
    part = SparePartFactory(part_number="K", symptom_keywords="黑屏", product_models=[model])
    services.stock_receive(part=part, location=places["own"], quantity=3, user=None)
    hotline = vendor_user(VendorRole.DISPATCHER, username="hotline")
    with django_capture_on_commit_callbacks(execute=True):
        service_request_record_event(
            request=job, type="dispatched", occurred_at=None, actor=hotline, engineers=[engineer]
        )
    reserved = StockMovement.objects.get(request=job, kind="reserve")
    assert (reserved.created_by, reserved.from_location) == (hotline, places["own"])

    later = open_request(DeviceFactory(product_model=model))
    later.description = "黑屏"
    later.save(update_fields=["description"])
    squatter = vendor_user(VendorRole.MANAGER, username="squatter")
    services.stock_transfer(
        part=part,
        from_location=places["own"],
        to_location=places["central"],
        quantity=1,
        user=squatter,
        idempotency_key=f"dispatch-99999-{part.pk}",
    )
    made = dispatch.parts_reserve_for_dispatch(
        request=later, engineer=engineer, user=hotline, event_id=99999
    )
    assert [m.request for m in made] == [later]
    again = dispatch.parts_reserve_for_dispatch(
        request=later, engineer=engineer, user=hotline, event_id=99999
    )
    assert again == [], "a replay of the dispatch reserves nothing twice"
