"""Parts on dispatch (issue 5 §1): ranking the proposals, reserving the keyword-matched parts
when a request is dispatched (bag first, else the store with most), never twice, never
failing the dispatch, and releasing everything when the request closes."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from core.models import OutboxDelivery
from core.outbox import deliver_due
from parts import services
from parts.models import LocationKind, SerialUnit, StockLevel, StockMovement, UnitState
from parts.reservations import services as dispatch
from parts.selectors import proposed_parts, reserved_lines
from service.models import ServiceEvent, ServiceRequest
from service.services import service_request_record_event

from .factories import SparePartFactory, StockLocationFactory, bag_of, open_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER, username="manager")


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng")


@pytest.fixture
def model():
    return ProductModelFactory()


@pytest.fixture
def job(model):
    """An open request whose symptom mentions a blank screen, in two languages."""
    request = open_request(DeviceFactory(product_model=model))
    ServiceRequest.objects.filter(pk=request.pk).update(description="Screen NO DISPLAY，黑屏")
    request.refresh_from_db()
    return request


def receive(part, location, quantity, user, **kwargs):
    services.stock_receive(part=part, location=location, quantity=quantity, user=user, **kwargs)


def record(capture, request, type, actor, **kwargs):
    with capture(execute=True):
        return service_request_record_event(
            request=request, type=type, occurred_at=None, actor=actor, **kwargs
        )


def held(request):
    return sorted(
        (line.part.part_number, line.location.name, line.quantity, line.serial_number)
        for line in reserved_lines(request)
    )


def test_proposals_rank_keywords_then_bag_then_used_before_then_number(
    manager, engineer, model, job
):
    other_model = ProductModelFactory()
    bag, store = bag_of(engineer), StockLocationFactory()
    keyword = SparePartFactory(
        part_number="Z-KW", symptom_keywords="no display, 黑屏, smoke", product_models=[model]
    )
    in_bag = SparePartFactory(part_number="Y-BAG", product_models=[model])
    used = SparePartFactory(part_number="X-USED", product_models=[model])
    plain = SparePartFactory(part_number="A-PLAIN", product_models=[model, other_model])
    SparePartFactory(part_number="B-MISS", symptom_keywords="alarm", product_models=[model])
    receive(in_bag, bag, 1, manager)
    for part in (used, plain, keyword):
        receive(part, store, 5, manager)
    # Used twice before on this model; the plain part only on another model.
    for device_model, part in ((model, used), (model, used), (other_model, plain)):
        earlier = open_request(DeviceFactory(product_model=device_model))
        services.stock_issue(request=earlier, part=part, location=store, quantity=1, user=manager)

    proposals = proposed_parts(request=job, engineer=engineer)

    assert [(p.part.part_number, p.keywords, p.in_bag, p.used_before) for p in proposals] == [
        ("Z-KW", ("no display", "黑屏"), 0, 0),
        ("Y-BAG", (), 1, 0),
        ("X-USED", (), 0, 2),
        ("A-PLAIN", (), 0, 0),
        ("B-MISS", (), 0, 0),
    ]
    assert proposals[0].elsewhere == 5


def test_dispatch_reserves_matched_parts_in_the_bag_else_the_fullest_store(
    django_capture_on_commit_callbacks, manager, engineer, model, job
):
    bag = bag_of(engineer)
    central = StockLocationFactory(name="Central")
    regional = StockLocationFactory(name="Regional", kind=LocationKind.REGIONAL)
    closed = StockLocationFactory(name="Closed")
    in_bag = SparePartFactory(part_number="K1", symptom_keywords="黑屏", product_models=[model])
    in_store = SparePartFactory(
        part_number="K2", symptom_keywords="No Display", product_models=[model]
    )
    gone = SparePartFactory(part_number="K3", symptom_keywords="黑屏", product_models=[model])
    unmatched = SparePartFactory(part_number="P1", product_models=[model])
    receive(in_bag, bag, 2, manager)
    receive(in_bag, central, 9, manager)
    receive(in_store, central, 1, manager)
    receive(in_store, regional, 3, manager)
    receive(in_store, closed, 50, manager)
    closed.active = False  # the fullest store closed since
    closed.save()
    receive(unmatched, bag, 3, manager)

    record(django_capture_on_commit_callbacks, job, "dispatched", manager, engineers=[engineer])

    assert held(job) == [("K1", bag.name, 1, ""), ("K2", "Regional", 1, "")]
    event = ServiceEvent.objects.get(request=job, type="dispatched")
    keys = set(
        StockMovement.objects.filter(kind="reserve").values_list("idempotency_key", flat=True)
    )
    assert keys == {f"dispatch-{event.pk}-{in_bag.pk}", f"dispatch-{event.pk}-{in_store.pk}"}
    assert StockLevel.objects.get(part=in_bag, location=bag).reserved == 1
    assert not StockMovement.objects.filter(part=gone).exists()


def test_dispatch_takes_a_free_serial_unit(
    django_capture_on_commit_callbacks, manager, engineer, model, job
):
    bag_of(engineer)
    store = StockLocationFactory(name="Central")
    board = SparePartFactory(
        part_number="MC", is_main_component=True, symptom_keywords="黑屏", product_models=[model]
    )
    for serial in ("S-002", "S-001"):
        receive(board, store, 1, manager, serial=serial)

    record(django_capture_on_commit_callbacks, job, "dispatched", manager, engineers=[engineer])

    assert held(job) == [("MC", "Central", 1, "S-001")]
    assert SerialUnit.objects.get(serial_number="S-001").state == UnitState.RESERVED


def test_dispatch_skips_parts_the_request_already_holds_or_used(
    django_capture_on_commit_callbacks, manager, engineer, model, job
):
    bag, store = bag_of(engineer), StockLocationFactory(name="Central")
    reserved = SparePartFactory(part_number="R", symptom_keywords="黑屏", product_models=[model])
    issued = SparePartFactory(part_number="I", symptom_keywords="黑屏", product_models=[model])
    for part in (reserved, issued):
        receive(part, store, 2, manager)
        receive(part, bag, 2, manager)
    services.stock_reserve(request=job, part=reserved, location=store, quantity=1, user=manager)
    services.stock_issue(request=job, part=issued, location=store, quantity=1, user=manager)
    before = StockMovement.objects.count()

    record(django_capture_on_commit_callbacks, job, "dispatched", manager, engineers=[engineer])

    assert StockMovement.objects.count() == before
    assert held(job) == [("R", "Central", 1, "")]


def test_at_most_five_parts_are_reserved(
    django_capture_on_commit_callbacks, manager, engineer, model, job
):
    bag = bag_of(engineer)
    for n in range(7):
        part = SparePartFactory(
            part_number=f"K{n}", symptom_keywords="黑屏", product_models=[model]
        )
        receive(part, bag, 1, manager)

    record(django_capture_on_commit_callbacks, job, "dispatched", manager, engineers=[engineer])

    assert [line[0] for line in held(job)] == ["K0", "K1", "K2", "K3", "K4"]


def test_replaying_the_dispatch_reserves_nothing_twice(
    django_capture_on_commit_callbacks, manager, engineer, model, job
):
    bag = bag_of(engineer)
    part = SparePartFactory(part_number="K", symptom_keywords="黑屏", product_models=[model])
    receive(part, bag, 3, manager)
    for _ in range(2):  # the phone sends the dispatch twice: the second is a replay
        record(
            django_capture_on_commit_callbacks,
            job,
            "dispatched",
            manager,
            engineers=[engineer],
            idempotency_key="phone-1",
        )
    assert held(job) == [("K", bag.name, 1, "")]
    event = ServiceEvent.objects.get(request=job, type="dispatched")
    # Even after the engineer gave the unit back, the same dispatch does not take it again.
    services.stock_unreserve(request=job, part=part, location=bag, quantity=1, user=manager)
    again = dispatch.parts_reserve_for_dispatch(
        request=job, engineer=engineer, user=manager, event_id=event.pk
    )
    assert again == [] and held(job) == []
    assert StockMovement.objects.filter(kind="reserve").count() == 1


def test_a_lost_race_skips_the_part_and_reserves_the_others(
    monkeypatch, manager, engineer, model, job
):
    bag, store = bag_of(engineer), StockLocationFactory(name="Central")
    lost = SparePartFactory(part_number="A-LOST", symptom_keywords="黑屏", product_models=[model])
    won = SparePartFactory(part_number="B-WON", symptom_keywords="黑屏", product_models=[model])
    receive(lost, store, 1, manager)
    receive(won, bag, 1, manager)
    real = dispatch.reserve_source

    def stale(*, part, bag):
        # Another request took the last unit between the look and the reservation.
        if part == lost:
            source = real(part=part, bag=bag)
            other = open_request(DeviceFactory(product_model=model))
            services.stock_reserve(
                request=other, part=part, location=store, quantity=1, user=manager
            )
            return source
        return real(part=part, bag=bag)

    monkeypatch.setattr(dispatch, "reserve_source", stale)
    made = dispatch.parts_reserve_for_dispatch(
        request=job, engineer=engineer, user=manager, event_id=1
    )
    assert [m.part.part_number for m in made] == ["B-WON"]
    assert held(job) == [("B-WON", bag.name, 1, "")]
    assert StockLevel.objects.get(part=lost, location=store).reserved == 1


def test_no_stock_or_no_engineer_never_fails_the_dispatch(
    django_capture_on_commit_callbacks, manager, engineer, model, job
):
    SparePartFactory(part_number="K", symptom_keywords="黑屏", product_models=[model])
    record(django_capture_on_commit_callbacks, job, "dispatched", manager)
    record(django_capture_on_commit_callbacks, job, "dispatched", manager, engineers=[engineer])
    assert ServiceEvent.objects.filter(request=job, type="dispatched").count() == 2
    assert held(job) == [] and not StockMovement.objects.filter(kind="reserve").exists()


def test_a_refused_reservation_is_kept_and_retried_and_the_dispatch_stands(
    django_capture_on_commit_callbacks, monkeypatch, caplog, manager, engineer, model, job
):
    """The reservation runs in the worker through the outbox: a refusal never fails the
    dispatch; it is logged, kept on the delivery and tried again later."""
    real = dispatch.parts_reserve_for_dispatch

    def refuse(**kwargs):
        raise ValidationError({"location": "closed"})

    monkeypatch.setattr(dispatch, "parts_reserve_for_dispatch", refuse)
    with caplog.at_level(logging.WARNING, logger="core.outbox"):
        record(django_capture_on_commit_callbacks, job, "dispatched", manager, engineers=[engineer])
    assert ServiceEvent.objects.filter(request=job, type="dispatched").exists()
    assert "parts.reserve_on_dispatch failed" in caplog.text
    delivery = OutboxDelivery.objects.get(handler="parts.reserve_on_dispatch")
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "closed" in delivery.last_error and delivery.next_attempt_at > timezone.now()

    # The refusal is gone by the next attempt: the parts are reserved then.
    monkeypatch.setattr(dispatch, "parts_reserve_for_dispatch", real)
    part = SparePartFactory(part_number="K", symptom_keywords="黑屏", product_models=[model])
    bag = bag_of(engineer)
    receive(part, bag, 1, manager)
    OutboxDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert deliver_due().delivered == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    assert held(job) == [("K", bag.name, 1, "")]


def test_closing_the_request_releases_what_it_holds(
    django_capture_on_commit_callbacks, manager, engineer, model, job
):
    bag, store = bag_of(engineer), StockLocationFactory(name="Central")
    part = SparePartFactory(part_number="K", symptom_keywords="黑屏", product_models=[model])
    board = SparePartFactory(
        part_number="MC",
        is_main_component=True,
        symptom_keywords="no display",
        product_models=[model],
    )
    receive(part, bag, 2, manager)
    receive(board, store, 1, manager, serial="S-1")
    record(django_capture_on_commit_callbacks, job, "dispatched", manager, engineers=[engineer])
    services.stock_reserve(request=job, part=part, location=bag, quantity=1, user=manager)
    assert held(job) == [("K", bag.name, 2, ""), ("MC", "Central", 1, "S-1")]

    record(django_capture_on_commit_callbacks, job, "remote_resolved", engineer)
    assert len(held(job)) == 2  # resolving keeps them: only closing gives them back
    record(django_capture_on_commit_callbacks, job, "closed", manager)

    assert held(job) == []
    assert StockLevel.objects.get(part=part, location=bag).reserved == 0
    assert SerialUnit.objects.get(serial_number="S-1").state == UnitState.IN_STOCK
    assert StockMovement.objects.filter(kind="unreserve", request=job).count() == 2


def test_dispatch_engineer_is_the_first_named(manager, engineer, job):
    second = vendor_user(VendorRole.ENGINEER, username="eng2")
    assert dispatch.dispatch_engineer(job) is None
    job.engineers.add(second)
    job.engineers.add(engineer)
    assert dispatch.dispatch_engineer(job) == second
    event = ServiceEvent(request=job, type="dispatched", data={"engineer_ids": [engineer.pk]})
    assert dispatch.dispatch_engineer(job, event) == engineer
