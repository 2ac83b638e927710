"""Factories of the parts app; stock is always put in through the services."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from parts.models import LocationKind, SparePart, StockLocation
from service.services import service_request_open


class SparePartFactory(factory.django.DjangoModelFactory[SparePart]):
    class Meta:
        model = SparePart
        skip_postgeneration_save = True

    part_number = factory.Sequence(lambda n: f"P-{n:05d}")
    name_zh = factory.Sequence(lambda n: f"电源板 {n}")
    name_en = factory.Sequence(lambda n: f"Power board {n}")
    cost_price = Decimal("100.00")
    list_price = Decimal("150.00")

    @factory.post_generation
    def product_models(self, create, extracted, **kwargs):
        if create and extracted:
            self.product_models.set(extracted)


class StockLocationFactory(factory.django.DjangoModelFactory[StockLocation]):
    class Meta:
        model = StockLocation

    kind = LocationKind.CENTRAL
    name = factory.Sequence(lambda n: f"Warehouse {n}")


def bag_of(engineer) -> StockLocation:
    return StockLocation.objects.create(
        kind=LocationKind.ENGINEER_BAG, name=f"Bag {engineer.username}", engineer=engineer
    )


def open_request(device, *, engineers=(), by=None):
    request = service_request_open(
        device=device,
        severity="normal",
        channel="hotline",
        description="no display",
        recorded_by=by or vendor_user(VendorRole.DISPATCHER),
        reported_at=timezone.now(),
    )
    if engineers:
        request.engineers.set(engineers)
    return request
