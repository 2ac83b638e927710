"""demo.charges_seeding.seed_charges: drafts, and one statement in each later state (one
disputed and answered); idempotent."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from charges.models import ChargeStatement
from charges.tests.factories import covered_device, resolved_request
from customers.tests.factories import hospital_user
from demo.charges_seeding import seed_charges

pytestmark = pytest.mark.django_db


def test_seed_charges_shows_every_state_and_is_idempotent():
    device = covered_device(accepted_on=dt.date(2024, 1, 1))
    hospital_user(device.hospital)
    vendor_user(VendorRole.MANAGER)
    requests = [resolved_request(device) for _ in range(6)]
    resolved_request(device, resolve=False)
    created: Counter[str] = Counter()
    seed_charges(created=created)
    assert created == Counter(
        {
            "charge statements": 6,
            "charge statements accepted": 1,
            "charge statements disputed": 1,
            "charge statements answered": 1,
            "charge statements sent": 1,
            "charge statements reviewed": 1,
        }
    )
    states = sorted(ChargeStatement.objects.values_list("state", flat=True))
    assert states == ["accepted", "disputed", "draft", "reviewed", "sent", "sent"]
    answered = ChargeStatement.objects.get(events__kind="answered")
    assert [e.kind for e in answered.events.order_by("occurred_at", "pk")] == [
        "drafted",
        "reviewed",
        "sent",
        "disputed",
        "answered",
    ]
    assert {s.request for s in ChargeStatement.objects.all()} == set(requests)
    again: Counter[str] = Counter()
    seed_charges(created=again)
    assert not again
    assert sorted(ChargeStatement.objects.values_list("state", flat=True)) == states
