"""The demo's planned maintenance (``demo.maintenance_seeding``) on the demo's hospitals and
devices: overdue, done and signed, awaiting a signature, a finding, a special inspection;
a second run creates nothing."""

from __future__ import annotations

from collections import Counter

import pytest

from accounts.models import User
from assets.models import Device
from demo.maintenance_seeding import SPECIAL_REASON, seed_maintenance
from demo.seeding import demo_today, seed_demo
from maintenance.models import Visit, VisitFinding, VisitState
from maintenance.selectors import visit_display_state, visits_for
from maintenance.visit_records import visit_signature_matches

pytestmark = pytest.mark.django_db


def test_demo_maintenance():
    report = seed_demo()  # which calls seed_maintenance
    assert report.created["maintenance visits"] > 0
    users = {u.username: u for u in User.objects.all()}
    devices = {d.serial_number: d for d in Device.objects.select_related("hospital", "department")}
    today = demo_today()
    visits = Visit.objects.select_related("hospital")
    states = Counter(visit_display_state(v, today) for v in visits)
    assert states["overdue"] == 3
    assert states["awaiting_signature"] == 1
    assert states["done"] >= 5
    assert states["due"] and states["planned"]
    awaiting = next(v for v in visits if visit_display_state(v, today) == "awaiting_signature")
    icu = User.objects.get(username="h1-icu")
    assert awaiting in visits_for(icu)  # the demo's department user can sign it
    (finding,) = VisitFinding.objects.select_related("request", "visit")
    assert finding.item_key == "leakage_current"
    assert finding.visit.is_signed and visit_signature_matches(finding.visit)
    # The leakage current is a safety item: its device is out of use (issue 12 §1).
    (out_of_use,) = Device.objects.filter(out_of_use_since__isnull=False)
    assert out_of_use.pk == finding.visit.device_id
    (reason,) = out_of_use.out_of_use_periods.all()
    assert (reason.visit_ref, reason.item_keys, reason.is_open) == (
        finding.visit_id,
        ["leakage_current"],
        True,
    )
    special = Visit.objects.get(reason=SPECIAL_REASON)
    assert (special.state, special.due_on) == (VisitState.PLANNED, today)
    assert special.engineers.exists()
    signed = Visit.objects.exclude(content_hash="")
    assert all(visit_signature_matches(v) for v in signed[:5])

    counts = (Visit.objects.count(), VisitFinding.objects.count())
    again: Counter[str] = Counter()
    seed_maintenance(users=users, devices=devices, today=today, created=again)
    assert sum(again.values()) == 0
    assert (Visit.objects.count(), VisitFinding.objects.count()) == counts
