"""demo.loaners_seeding.seed_loaners: four units, one on loan for an open request (its
``restored`` milestone met); a second run creates nothing."""

from __future__ import annotations

from collections import Counter

import pytest

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from demo.loaners_seeding import seed_loaners
from parts.models import Loan, LoanerState, LoanerUnit
from parts.tests.factories import open_request

pytestmark = pytest.mark.django_db


def test_seed_loaners_is_idempotent():
    users = {
        "manager": vendor_user(VendorRole.MANAGER, username="manager"),
        "engineer1": vendor_user(VendorRole.ENGINEER, username="engineer1"),
    }
    # Dispatched to engineer1, who installs the loaner and records its step.
    request = open_request(DeviceFactory(), engineers=[users["engineer1"]])
    created: Counter[str] = Counter()
    seed_loaners(users=users, created=created)
    assert created["loaner units"] == LoanerUnit.objects.count() == 4
    loan = Loan.objects.get()
    assert loan.request == request and loan.returned_at is None
    assert LoanerUnit.objects.filter(state=LoanerState.ON_LOAN).count() == 1
    assert request.milestones.get(key="restored").met_at == loan.installed_at
    again: Counter[str] = Counter()
    seed_loaners(users=users, created=again)
    assert +again == Counter() and Loan.objects.count() == 1
