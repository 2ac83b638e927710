"""Reads: what a request used (the charges interface), below reorder, what to carry,
the daily reorder notice (issue 5 §1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory, ProductModelFactory
from notify.models import InboxMessage
from parts import services
from parts.models import ReorderPoint
from parts.selectors import (
    IssuedPart,
    below_reorder,
    parts_issued_to,
    proposed_parts,
    reserved_by_open_requests,
)
from parts.tasks import reorder_notices_send

from .factories import SparePartFactory, StockLocationFactory, bag_of, open_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER, username="manager")


def test_parts_issued_to_is_net_of_returns(manager):
    store = StockLocationFactory()
    part = SparePartFactory(
        part_number="PB-1",
        name_en="Power board",
        cost_price=Decimal("80.10"),
        list_price=Decimal("99.90"),
    )
    other = SparePartFactory(part_number="FUSE")
    request = open_request(DeviceFactory())
    for p in (part, other):
        services.stock_receive(part=p, location=store, quantity=5, user=manager)
    services.stock_issue(request=request, part=part, location=store, quantity=3, user=manager)
    services.stock_issue(request=request, part=other, location=store, quantity=1, user=manager)
    services.stock_return(request=request, part=part, location=store, quantity=1, user=manager)
    services.stock_return(request=request, part=other, location=store, quantity=1, user=manager)
    assert parts_issued_to(request) == [
        IssuedPart(
            part_id=part.pk,
            part_number="PB-1",
            name="Power board",
            quantity=2,
            unit_cost=Decimal("80.10"),
            unit_list=Decimal("99.90"),
            currency="CNY",
            serial_number="",
        )
    ]


def test_below_reorder_counts_reserved_and_missing_levels(manager):
    store = StockLocationFactory(name="Central")
    enough, short, none = SparePartFactory(), SparePartFactory(), SparePartFactory()
    services.stock_receive(part=enough, location=store, quantity=5, user=manager)
    services.stock_receive(part=short, location=store, quantity=5, user=manager)
    request = open_request(DeviceFactory())
    services.stock_reserve(request=request, part=short, location=store, quantity=4, user=manager)
    for p in (enough, short, none):
        ReorderPoint.objects.create(part=p, location=store, minimum=2)
    low = below_reorder()
    assert {(item.part, item.available) for item in low} == {(short, 1), (none, 0)}
    (held,) = reserved_by_open_requests()
    assert (held["request_id"], held["part_id"], held["held"]) == (request.pk, short.pk, 4)


def test_proposed_parts_put_the_bag_first(manager):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    bag, store = bag_of(engineer), StockLocationFactory()
    model = ProductModelFactory()
    device = DeviceFactory(product_model=model)
    a = SparePartFactory(part_number="A", product_models=[model])
    b = SparePartFactory(part_number="B", product_models=[model])
    SparePartFactory(part_number="C")  # fits another model
    services.stock_receive(part=a, location=store, quantity=4, user=manager)
    services.stock_receive(part=b, location=bag, quantity=1, user=manager)
    proposals = proposed_parts(request=open_request(device), engineer=engineer)
    assert [(p.part.part_number, p.in_bag, p.elsewhere) for p in proposals] == [
        ("B", 1, 0),
        ("A", 0, 4),
    ]


def test_daily_reorder_notice_goes_to_managers_once_per_day(manager):
    store = StockLocationFactory(name="Central")
    part = SparePartFactory(part_number="LOW")
    ReorderPoint.objects.create(part=part, location=store, minimum=1)
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    day = dt.date(2026, 6, 10)
    assert reorder_notices_send(today=day) == 1
    assert reorder_notices_send(today=day) == 0
    messages = InboxMessage.objects.filter(kind="parts_below_reorder")
    assert [m.user for m in messages] == [manager]
    assert "LOW" in messages[0].subject and engineer not in [m.user for m in messages]
    assert reorder_notices_send(today=day + dt.timedelta(days=1)) == 1
