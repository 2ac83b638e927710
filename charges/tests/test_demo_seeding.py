"""demo.charges_seeding.seed_charges: drafts, one accepted, one disputed; idempotent."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from charges.models import ChargeStatement
from charges.tests.factories import covered_device, resolved_request
from customers.tests.factories import hospital_user
from demo.charges_seeding import seed_charges

pytestmark = pytest.mark.django_db


def test_seed_charges_is_idempotent():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    hospital_user(device.hospital)
    requests = [resolved_request(device) for _ in range(3)]
    resolved_request(device, resolve=False)
    created: Counter[str] = Counter()
    seed_charges(created=created)
    assert created == Counter(
        {
            "charge statements": 3,
            "charge statements accepted": 1,
            "charge statements disputed": 1,
        }
    )
    states = sorted(ChargeStatement.objects.values_list("state", flat=True))
    assert states == ["accepted", "disputed", "draft"]
    assert {s.request for s in ChargeStatement.objects.all()} == set(requests)
    again: Counter[str] = Counter()
    seed_charges(created=again)
    assert not again
    assert sorted(ChargeStatement.objects.values_list("state", flat=True)) == states
