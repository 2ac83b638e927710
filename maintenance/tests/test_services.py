"""Generating visits and reporting overdue ones (issue 4 §1, §7), on the database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import DeviceStatus
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from customers.tests.factories import hospital_user
from maintenance.generation import visits_generate
from maintenance.models import MaintenancePlanTemplate, Visit, VisitObligation, VisitState
from maintenance.selectors import plan_rules_for
from maintenance.services import contract_plan_override_set, visits_sweep_overdue
from notify.models import InboxMessage

pytestmark = pytest.mark.django_db

TODAY = date(2026, 2, 1)


def dues(device, **filters) -> list[tuple[str, date]]:
    return list(
        Visit.objects.filter(device=device, **filters)
        .order_by("due_on")
        .values_list("main_kind", "due_on")
    )


def test_default_templates_loaded_by_migration():
    kinds = set(MaintenancePlanTemplate.objects.values_list("kind", "interval_months"))
    assert kinds == {("patrol", 1), ("inspection", 3), ("overhaul", 12)}


def test_month_ends_for_a_device_live_on_31_january():
    device = DeviceFactory(live_on=date(2026, 1, 31))
    result = visits_generate(today=TODAY, horizon_days=90, devices=[device])
    assert dues(device) == [
        ("patrol", date(2026, 2, 28)),
        ("patrol", date(2026, 3, 31)),
        ("inspection", date(2026, 4, 30)),  # covers April's patrol
    ]
    assert result.created == 3
    april = Visit.objects.get(device=device, due_on=date(2026, 4, 30))
    assert april.kinds == ["inspection", "patrol"]
    assert (april.window_start, april.window_end) == (date(2026, 4, 16), date(2026, 5, 14))


def test_coincidence_one_visit_with_the_union_and_its_obligations():
    device = DeviceFactory(live_on=date(2025, 3, 10))
    visits_generate(today=date(2026, 2, 20), horizon_days=30, devices=[device])
    (visit,) = Visit.objects.filter(device=device)
    assert (visit.main_kind, visit.due_on) == ("overhaul", date(2026, 3, 10))
    assert visit.kinds == ["overhaul", "inspection", "patrol"]
    assert set(visit.obligations.values_list("kind", "due_on")) == {
        ("overhaul", date(2026, 3, 10)),
        ("inspection", date(2026, 3, 10)),
        ("patrol", date(2026, 3, 10)),
    }


def test_second_run_creates_nothing():
    devices = [DeviceFactory(live_on=date(2026, 1, 15)) for _ in range(3)]
    first = visits_generate(today=TODAY, devices=devices, batch_size=2)
    count = Visit.objects.count()
    obligations = VisitObligation.objects.count()
    second = visits_generate(today=TODAY, devices=devices, batch_size=2)
    assert first.created == count > 0
    assert (second.created, second.updated, second.cancelled) == (0, 0, 0)
    assert (Visit.objects.count(), VisitObligation.objects.count()) == (count, obligations)


def test_every_device_by_pk_ranges_covers_each_once():
    """The daily job (no ``devices``) reads each batch as a pk range: a gap left by a
    deleted device and a batch boundary change nothing, and nothing is made twice."""
    devices = [DeviceFactory(live_on=date(2026, 1, 15)) for _ in range(5)]
    gone = devices.pop(2)
    gone.delete()
    first = visits_generate(today=TODAY, batch_size=2)
    per_device = {d.pk: dues(d) for d in devices}
    assert first.created == Visit.objects.count() == 3 * len(devices)
    assert set(Visit.objects.values_list("device_id", flat=True)) == set(per_device)
    assert len({tuple(v) for v in per_device.values()}) == 1  # same anchor, same visits
    assert VisitObligation.objects.count() == 4 * len(devices)  # April: inspection + patrol
    again = visits_generate(today=TODAY, batch_size=3)
    assert (again.created, again.updated, again.cancelled) == (0, 0, 0)
    assert Visit.objects.count() == 3 * len(devices)


def test_plan_change_touches_only_future_untouched_visits():
    device = DeviceFactory(live_on=date(2026, 1, 15))
    contract = ContractFactory(devices=[device])
    visits_generate(today=date(2026, 1, 20), horizon_days=150, devices=[device])
    assert dues(device) == [
        ("patrol", date(2026, 2, 15)),
        ("patrol", date(2026, 3, 15)),
        ("inspection", date(2026, 4, 15)),
        ("patrol", date(2026, 5, 15)),
        ("patrol", date(2026, 6, 15)),
    ]
    Visit.objects.filter(due_on=date(2026, 2, 15)).update(
        state=VisitState.DONE, done_at=datetime(2026, 2, 14, tzinfo=UTC)
    )
    # The contract wants a patrol every three months: Jan, Apr, Jul, with the inspections.
    contract_plan_override_set(contract=contract, kind="patrol", interval_months=3)
    result = visits_generate(today=date(2026, 2, 20), horizon_days=150, devices=[device])
    assert dues(device, state=VisitState.DONE) == [("patrol", date(2026, 2, 15))]
    assert dues(device, state=VisitState.CANCELLED) == [
        ("patrol", date(2026, 3, 15)),
        ("patrol", date(2026, 5, 15)),
        ("patrol", date(2026, 6, 15)),
    ]
    assert dues(device, state=VisitState.PLANNED) == [
        ("inspection", date(2026, 4, 15)),
        ("inspection", date(2026, 7, 15)),
    ]
    assert Visit.objects.get(due_on=date(2026, 7, 15)).kinds == ["inspection", "patrol"]
    assert (result.created, result.updated, result.cancelled) == (1, 0, 3)
    again = visits_generate(today=date(2026, 2, 20), horizon_days=150, devices=[device])
    assert (again.created, again.updated, again.cancelled) == (0, 0, 0)


def test_changed_tolerance_updates_future_windows_and_back_again_revives():
    device = DeviceFactory(live_on=date(2026, 1, 15))
    contract = ContractFactory(devices=[device])
    visits_generate(today=date(2026, 1, 20), horizon_days=90, devices=[device])
    contract_plan_override_set(contract=contract, kind="inspection", tolerance_days=10)
    result = visits_generate(today=date(2026, 1, 20), horizon_days=90, devices=[device])
    april = Visit.objects.get(due_on=date(2026, 4, 15))
    assert (april.window_start, april.window_end) == (date(2026, 4, 5), date(2026, 4, 25))
    assert (result.created, result.updated, result.cancelled) == (0, 1, 0)
    # A patrol every two months (Jan, Mar, May) cancels February's and drops April's patrol
    # from the inspection; back to monthly, the same rows return.
    contract_plan_override_set(contract=contract, kind="patrol", interval_months=2)
    changed = visits_generate(today=date(2026, 1, 20), devices=[device])
    assert (changed.created, changed.updated, changed.cancelled) == (0, 1, 1)
    contract_plan_override_set(contract=contract, kind="patrol", interval_months=1)
    back = visits_generate(today=date(2026, 1, 20), devices=[device])
    assert back.created == 0
    assert not Visit.objects.filter(device=device, state=VisitState.CANCELLED).exists()


def test_started_visit_is_never_cancelled():
    device = DeviceFactory(live_on=date(2026, 1, 15))
    contract = ContractFactory(devices=[device])
    visits_generate(today=date(2026, 1, 20), horizon_days=60, devices=[device])
    Visit.objects.filter(due_on=date(2026, 3, 15)).update(
        started_at=datetime(2026, 2, 19, tzinfo=UTC)
    )
    contract_plan_override_set(contract=contract, kind="patrol", interval_months=2)
    visits_generate(today=date(2026, 2, 20), horizon_days=60, devices=[device])
    assert Visit.objects.get(due_on=date(2026, 3, 15)).state == VisitState.PLANNED


@pytest.mark.parametrize(
    "device_kwargs",
    [
        {"live_on": None, "accepted_on": None},
        {"live_on": date(2026, 1, 15), "status": DeviceStatus.RETIRED},
    ],
    ids=["no-dates", "retired"],
)
def test_devices_without_dates_or_retired_get_nothing(device_kwargs):
    device = DeviceFactory(**device_kwargs)
    assert plan_rules_for(device) == []
    assert visits_generate(today=TODAY, devices=[device]).created == 0
    assert not Visit.objects.filter(device=device).exists()


def test_acceptance_date_anchors_without_go_live():
    device = DeviceFactory(live_on=None, accepted_on=date(2026, 1, 10))
    assert {r.anchor for r in plan_rules_for(device)} == {date(2026, 1, 10)}


def test_contract_override_changes_the_rule():
    device = DeviceFactory(live_on=date(2026, 1, 15))
    contract = ContractFactory(devices=[device])
    contract_plan_override_set(contract=contract, kind="inspection", tolerance_days=10)
    rules = {r.kind.value: r for r in plan_rules_for(device)}
    assert (rules["inspection"].interval_months, rules["inspection"].tolerance_days) == (3, 10)
    assert rules["patrol"].tolerance_days == 7


def test_default_engineers_are_the_contracts_dedicated_ones():
    device = DeviceFactory(live_on=date(2026, 1, 15))
    contract = ContractFactory(devices=[device])
    engineers = [vendor_user(VendorRole.ENGINEER) for _ in range(2)]
    contract.dedicated_engineers.set(engineers)
    visits_generate(today=TODAY, devices=[device])
    for visit in Visit.objects.filter(device=device):
        assert set(visit.engineers.all()) == set(engineers)
        assert visit.contract == contract


def test_for_user_scopes_visits_to_the_hospital():
    mine, theirs = DeviceFactory(live_on=TODAY), DeviceFactory(live_on=TODAY)
    visits_generate(today=TODAY, devices=[mine, theirs])
    user = hospital_user(mine.hospital)
    seen = Visit.objects.for_user(user)
    assert seen.exists()
    assert set(seen.values_list("hospital_id", flat=True)) == {mine.hospital_id}
    assert Visit.objects.for_user(vendor_user(VendorRole.ENGINEER)).count() == (
        Visit.objects.count()
    )


def test_overdue_alerts_once_in_the_hospitals_zone():
    # A patrol due 22 February, ±7 days: its window ends on 1 March (Asia/Shanghai).
    device = DeviceFactory(live_on=date(2026, 1, 22))
    contract = ContractFactory(devices=[device])
    engineer = vendor_user(VendorRole.ENGINEER)
    manager = vendor_user(VendorRole.MANAGER)
    contract.dedicated_engineers.set([engineer])
    contract.service_manager = manager
    contract.save()
    visits_generate(today=date(2026, 2, 1), horizon_days=30, devices=[device])
    visit = Visit.objects.get(device=device, due_on=date(2026, 2, 22))
    assert visit.window_end == date(2026, 3, 1)
    # 1 March 23:30 in Shanghai (15:30 UTC): still inside the window.
    with time_machine.travel(datetime(2026, 3, 1, 15, 30, tzinfo=UTC), tick=False):
        assert visits_sweep_overdue() == 0
    # 2 March 00:30 in Shanghai, still 1 March in UTC: overdue.
    with time_machine.travel(datetime(2026, 3, 1, 16, 30, tzinfo=UTC), tick=False):
        assert visits_sweep_overdue() == 1
        assert visits_sweep_overdue() == 0
    messages = InboxMessage.objects.filter(kind="visit_overdue")
    assert set(messages.values_list("user_id", flat=True)) == {engineer.pk, manager.pk}
    assert messages.count() == 2
    visit.refresh_from_db()
    assert visit.overdue_notified_at is not None


def test_overdue_without_contract_manager_tells_all_managers():
    device = DeviceFactory(live_on=date(2026, 1, 22))
    managers = [vendor_user(VendorRole.MANAGER) for _ in range(2)]
    visits_generate(today=date(2026, 2, 1), horizon_days=30, devices=[device])
    Visit.objects.filter(device=device).exclude(due_on=date(2026, 2, 22)).update(
        state=VisitState.DONE
    )
    assert visits_sweep_overdue(today=date(2026, 3, 2)) == 1
    assert set(
        InboxMessage.objects.filter(kind="visit_overdue").values_list("user_id", flat=True)
    ) == {m.pk for m in managers}


def test_done_visit_is_never_overdue():
    device = DeviceFactory(live_on=date(2026, 1, 22))
    visits_generate(today=date(2026, 2, 1), horizon_days=30, devices=[device])
    Visit.objects.filter(device=device).update(state=VisitState.DONE)
    assert visits_sweep_overdue(today=date(2026, 6, 1)) == 0
