"""Human numbers (MA-2027-0001, SR-2026-000123): sequential and gap-free per key and year."""

from __future__ import annotations

import pytest
from django.db import transaction

from core.models import NumberSequence
from core.numbering import next_number

pytestmark = pytest.mark.django_db


def test_sequential_per_key_and_year():
    assert next_number(key="SR", year=2026) == "SR-2026-000001"
    assert next_number(key="SR", year=2026) == "SR-2026-000002"
    assert next_number(key="SR", year=2027) == "SR-2027-000001"
    assert next_number(key="MA", year=2026, width=4) == "MA-2026-0001"
    assert next_number(key="SR", year=2026) == "SR-2026-000003"
    assert NumberSequence.objects.get(key="SR", year=2026).last == 3


def test_width_grows_past_its_padding():
    NumberSequence.objects.create(key="MA", year=2026, last=9999)
    assert next_number(key="MA", year=2026, width=4) == "MA-2026-10000"


def test_rolled_back_transaction_gives_its_number_back():
    """Gap-free: a failed creation does not burn a number."""
    assert next_number(key="SR", year=2026) == "SR-2026-000001"

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        assert next_number(key="SR", year=2026) == "SR-2026-000002"
        raise Boom
    assert next_number(key="SR", year=2026) == "SR-2026-000002"


def test_first_number_of_a_year_in_a_rolled_back_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number(key="X", year=2030)
        raise RuntimeError
    assert not NumberSequence.objects.filter(key="X").exists()
    assert next_number(key="X", year=2030) == "X-2030-000001"


@pytest.mark.django_db(transaction=True)
def test_concurrent_transactions_never_share_a_number():
    """The counter row is locked for the caller's transaction: eight writers at once get
    eight different, consecutive numbers. Needs real row locks (PostgreSQL)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks under concurrency: PostgreSQL only")
    next_number(key="CC", year=2026)  # the counter row exists: every writer must lock it
    barrier = Barrier(8)

    def take() -> str:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                return next_number(key="CC", year=2026)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda _: take(), range(8)))
    assert sorted(numbers) == [f"CC-2026-{n:06d}" for n in range(2, 10)]
