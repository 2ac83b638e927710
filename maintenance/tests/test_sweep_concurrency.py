"""Several overdue sweepers at once (GUIDE 6): each overdue visit is claimed, and its people
told, exactly once, and the sweepers share the work. Row locks with SKIP LOCKED need
PostgreSQL; on SQLite the test is skipped before any fixture runs."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection, connections

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from maintenance.models import Visit
from maintenance.services import visits_sweep_overdue
from notify.models import InboxMessage

VISITS, SWEEPERS = 120, 4
TODAY = dt.date(2026, 3, 20)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL only"
)


@pytest.mark.postgres_only
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_overdue_sweepers_tell_each_visit_once():
    device = DeviceFactory()
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    manager = vendor_user(VendorRole.MANAGER, username="boss")
    contract = ContractFactory(hospital=device.hospital, devices=[device], service_manager=manager)
    visits = Visit.objects.bulk_create(
        Visit(
            device=device,
            hospital_id=device.hospital_id,
            department_id=device.department_id,
            contract=contract,
            key=f"overdue-{i}",
            main_kind="patrol",
            kinds=["patrol"],
            due_on=TODAY - dt.timedelta(days=10),
            window_start=TODAY - dt.timedelta(days=17),
            window_end=TODAY - dt.timedelta(days=3),
        )
        for i in range(VISITS)
    )
    Visit.engineers.through.objects.bulk_create(
        Visit.engineers.through(visit_id=v.pk, user_id=engineer.pk) for v in visits
    )
    barrier = Barrier(SWEEPERS)

    def sweeper(_) -> int:
        try:
            barrier.wait(timeout=30)
            return visits_sweep_overdue(today=TODAY, batch_size=5)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=SWEEPERS) as pool:
        claimed = list(pool.map(sweeper, range(SWEEPERS)))

    assert sum(claimed) == VISITS
    assert sum(1 for n in claimed if n) >= 2, claimed  # the work was shared
    assert not Visit.objects.filter(overdue_notified_at=None).exists()
    per_visit = Counter(
        key.rsplit(":", 1)[0]
        for key in InboxMessage.objects.filter(kind="visit_overdue").values_list(
            "dedupe_key", flat=True
        )
    )
    assert per_visit == {f"visit_overdue:{v.pk}": 2 for v in visits}  # engineer and manager
