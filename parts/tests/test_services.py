"""Stock through its services (issue 5 §1, §6 "Stock"): movements add up, reservations,
issue and return, serial units never in two places, bad input writes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import translation

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from parts import services
from parts.models import SerialUnit, StockLevel, StockMovement, UnitState
from parts.selectors import levels_from_ledger, parts_issued_to
from parts.services import NotEnoughStock

from .factories import SparePartFactory, StockLocationFactory, open_request

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL only"
)


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER, username="manager")


@pytest.fixture
def part():
    return SparePartFactory()


@pytest.fixture
def serial_part():
    return SparePartFactory(is_main_component=True, part_number="MB-1")


@pytest.fixture
def store():
    return StockLocationFactory(name="Central")


@pytest.fixture
def bag():
    return StockLocationFactory(name="Bag", kind="regional")


def level(part, location) -> tuple[int, int]:
    row = StockLevel.objects.filter(part=part, location=location).first()
    return (row.on_hand, row.reserved) if row else (0, 0)


def assert_levels_match_ledger():
    stored = {
        (lv.part_id, lv.location_id): (lv.on_hand, lv.reserved)
        for lv in StockLevel.objects.all()
        if (lv.on_hand, lv.reserved) != (0, 0)
    }
    ledger = {key: value for key, value in levels_from_ledger().items() if value != (0, 0)}
    assert stored == ledger


def test_every_kind_of_movement_adds_up_to_the_level(part, store, bag, manager):
    request = open_request(DeviceFactory())
    services.stock_receive(part=part, location=store, quantity=10, user=manager)
    services.stock_transfer(
        part=part, from_location=store, to_location=bag, quantity=4, user=manager
    )
    services.stock_reserve(request=request, part=part, location=bag, quantity=3, user=manager)
    services.stock_unreserve(request=request, part=part, location=bag, quantity=1, user=manager)
    services.stock_issue(request=request, part=part, location=bag, quantity=3, user=manager)
    services.stock_return(request=request, part=part, location=store, quantity=1, user=manager)
    services.stock_write_off(part=part, location=store, quantity=2, user=manager, note="wet")
    services.stock_count_correct(part=part, location=store, counted=7, user=manager)
    assert level(part, store) == (7, 0)  # 10 - 4 + 1 - 2 = 5, counted 7
    assert level(part, bag) == (1, 0)  # 4 - 3; the issue consumed the 2 still reserved
    assert_levels_match_ledger()
    assert [line.quantity for line in parts_issued_to(request)] == [2]


def test_issue_consumes_the_reservation_then_free_stock(part, store, manager):
    request = open_request(DeviceFactory())
    services.stock_receive(part=part, location=store, quantity=3, user=manager)
    services.stock_reserve(request=request, part=part, location=store, quantity=1, user=manager)
    services.stock_issue(request=request, part=part, location=store, quantity=2, user=manager)
    assert level(part, store) == (1, 0)
    assert_levels_match_ledger()


def test_reserving_more_than_is_free_names_what_is_left(part, store, manager):
    first, second = open_request(DeviceFactory()), open_request(DeviceFactory())
    services.stock_receive(part=part, location=store, quantity=2, user=manager)
    services.stock_reserve(request=first, part=part, location=store, quantity=1, user=manager)
    with pytest.raises(NotEnoughStock) as caught:
        services.stock_reserve(request=second, part=part, location=store, quantity=2, user=manager)
    assert caught.value.error_dict["quantity"][0].message == "Only 1 left at Central."
    assert StockMovement.objects.count() == 2
    assert level(part, store) == (2, 1)


def test_another_requests_reservation_is_not_free_for_issue(part, store, manager):
    first, second = open_request(DeviceFactory()), open_request(DeviceFactory())
    services.stock_receive(part=part, location=store, quantity=1, user=manager)
    services.stock_reserve(request=first, part=part, location=store, quantity=1, user=manager)
    with pytest.raises(NotEnoughStock):
        services.stock_issue(request=second, part=part, location=store, quantity=1, user=manager)
    with pytest.raises(NotEnoughStock):
        services.stock_write_off(part=part, location=store, quantity=1, user=manager, note="x")
    assert level(part, store) == (1, 1)


@pytest.mark.parametrize(
    ("quantity", "field"), [(0, "quantity"), (-1, "quantity"), (True, "quantity")]
)
def test_bad_quantity_writes_nothing(part, store, manager, quantity, field):
    with pytest.raises(ValidationError) as caught:
        services.stock_receive(part=part, location=store, quantity=quantity, user=manager)
    assert set(caught.value.error_dict) == {field}
    assert not StockMovement.objects.exists()
    assert level(part, store) == (0, 0)


def test_return_cannot_exceed_what_was_issued(part, store, manager):
    request = open_request(DeviceFactory())
    services.stock_receive(part=part, location=store, quantity=5, user=manager)
    services.stock_issue(request=request, part=part, location=store, quantity=1, user=manager)
    with pytest.raises(ValidationError) as caught:
        services.stock_return(request=request, part=part, location=store, quantity=2, user=manager)
    assert set(caught.value.error_dict) == {"quantity"}


def test_same_idempotency_key_records_once(part, store, manager):
    kwargs = {
        "part": part,
        "location": store,
        "quantity": 2,
        "user": manager,
        "idempotency_key": "tap-1",
    }
    first = services.stock_receive(**kwargs)
    again = services.stock_receive(**kwargs)
    assert first.pk == again.pk
    assert level(part, store) == (2, 0)


def test_an_idempotency_key_of_another_part_is_refused(part, store, manager):
    services.stock_receive(part=part, location=store, quantity=1, user=manager, idempotency_key="k")
    other = SparePartFactory()
    with pytest.raises(ValidationError) as caught:
        services.stock_receive(
            part=other, location=store, quantity=1, user=manager, idempotency_key="k"
        )
    assert set(caught.value.error_dict) == {"idempotency_key"}
    assert level(other, store) == (0, 0)


def test_count_below_reserved_is_refused(part, store, manager):
    request = open_request(DeviceFactory())
    services.stock_receive(part=part, location=store, quantity=3, user=manager)
    services.stock_reserve(request=request, part=part, location=store, quantity=2, user=manager)
    with pytest.raises(ValidationError) as caught:
        services.stock_count_correct(part=part, location=store, counted=1, user=manager)
    assert set(caught.value.error_dict) == {"counted"}
    assert services.stock_count_correct(part=part, location=store, counted=3, user=manager) is None


def test_closed_request_cannot_reserve(part, store, manager):
    request = open_request(DeviceFactory())
    type(request).objects.filter(pk=request.pk).update(is_open=False)
    services.stock_receive(part=part, location=store, quantity=3, user=manager)
    with pytest.raises(ValidationError) as caught:
        services.stock_reserve(request=request, part=part, location=store, quantity=1, user=manager)
    assert set(caught.value.error_dict) == {"request"}


# --- serial units -------------------------------------------------------------------------
def test_a_serial_unit_is_never_in_two_places(serial_part, store, bag, manager):
    services.stock_receive(part=serial_part, location=store, quantity=1, user=manager, serial="S1")
    with pytest.raises(ValidationError) as caught:
        services.stock_receive(
            part=serial_part, location=bag, quantity=1, user=manager, serial="S1"
        )
    assert set(caught.value.error_dict) == {"serial"}
    services.stock_transfer(
        part=serial_part,
        from_location=store,
        to_location=bag,
        quantity=1,
        user=manager,
        serial="S1",
    )
    unit = SerialUnit.objects.get(serial_number="S1")
    assert unit.location == bag
    assert level(serial_part, store) == (0, 0) and level(serial_part, bag) == (1, 0)
    # The unit is no longer at the store: it cannot leave it a second time.
    with pytest.raises(ValidationError):
        services.stock_transfer(
            part=serial_part, from_location=store, to_location=bag, quantity=1, user=manager,
            serial="S1",
        )  # fmt: skip
    assert SerialUnit.objects.filter(serial_number="S1").count() == 1
    assert_levels_match_ledger()


def test_serial_unit_is_installed_and_comes_back(serial_part, store, manager):
    device = DeviceFactory()
    request = open_request(device)
    services.stock_receive(part=serial_part, location=store, quantity=1, user=manager, serial="S1")
    services.stock_receive(part=serial_part, location=store, quantity=1, user=manager, serial="S2")
    services.stock_reserve(
        request=request, part=serial_part, location=store, quantity=1, user=manager
    )
    assert SerialUnit.objects.get(serial_number="S1").state == UnitState.RESERVED
    services.stock_issue(
        request=request, part=serial_part, location=store, quantity=1, user=manager, serial="S1"
    )
    unit = SerialUnit.objects.get(serial_number="S1")
    assert (unit.state, unit.location, unit.device) == (UnitState.INSTALLED, None, device)
    assert level(serial_part, store) == (1, 0)
    (line,) = parts_issued_to(request)
    assert (line.serial_number, line.quantity) == ("S1", 1)
    services.stock_return(
        request=request, part=serial_part, location=store, quantity=1, user=manager, serial="S1"
    )
    assert parts_issued_to(request) == []
    assert SerialUnit.objects.get(serial_number="S1").location == store
    assert level(serial_part, store) == (2, 0)
    assert_levels_match_ledger()


def test_serial_parts_move_one_unit_with_a_serial(serial_part, store, manager):
    with pytest.raises(ValidationError) as caught:
        services.stock_receive(part=serial_part, location=store, quantity=2, user=manager)
    assert set(caught.value.error_dict) == {"quantity", "serial"}


def test_a_unit_reserved_for_another_request_cannot_be_issued(serial_part, store, manager):
    first, second = open_request(DeviceFactory()), open_request(DeviceFactory())
    services.stock_receive(part=serial_part, location=store, quantity=1, user=manager, serial="S1")
    services.stock_reserve(
        request=first, part=serial_part, location=store, quantity=1, user=manager
    )
    with pytest.raises(ValidationError) as caught:
        services.stock_issue(
            request=second, part=serial_part, location=store, quantity=1, user=manager, serial="S1"
        )
    assert set(caught.value.error_dict) == {"serial"}


# --- the database backstop ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("on_hand", "reserved"), [(-1, 0), (1, -1), (1, 2)], ids=["negative", "reserved<0", ">on_hand"]
)
def test_the_database_refuses_an_impossible_level(part, store, manager, on_hand, reserved):
    services.stock_receive(part=part, location=store, quantity=1, user=manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(part=part, location=store).update(
            on_hand=on_hand, reserved=reserved
        )


@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_requests_race_for_the_last_unit_and_exactly_one_wins(transactional_db):
    manager = vendor_user(VendorRole.MANAGER, username="race-manager")
    part, store = SparePartFactory(), StockLocationFactory(name="Central")
    services.stock_receive(part=part, location=store, quantity=1, user=manager)
    requests = [open_request(DeviceFactory()) for _ in range(4)]
    barrier = Barrier(len(requests))

    def reserve(request) -> str:
        # A thread starts without the test's active language: ask for English here too.
        try:
            with translation.override("en"):
                barrier.wait(timeout=10)
                services.stock_reserve(
                    request=request, part=part, location=store, quantity=1, user=manager
                )
                return "won"
        except NotEnoughStock as exc:
            return exc.text
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(reserve, requests))
    assert sorted(answers) == ["Only 0 left at Central."] * 3 + ["won"]
    assert level(part, store) == (1, 1)
    assert StockMovement.objects.filter(kind="reserve").count() == 1
