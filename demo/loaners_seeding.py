"""The demo's loaner units (备件先行, issue 5 §3, R-7.3): four vendor-owned units of the
models the open demo requests are about, on a loaner shelf, one of them installed for an
open request through ``parts.loaners.services.loaner_install`` (so its ``loaner_installed``
step meets the ``restored`` milestone). Idempotent: a unit is found by its serial number,
the shelf by its name, and no unit goes out again once any demo loaner has been lent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import timedelta

from django.utils import timezone

from accounts.models import User, VendorRole
from parts.loaners.services import loaner_create, loaner_install
from parts.models import Loan, LoanerUnit, LocationKind, StockLocation
from parts.services import stock_location_create
from service.models import ServiceRequest

SHELF = "备用机库 Loaner shelf"
SERIALS = ("LN-DEMO-01", "LN-DEMO-02", "LN-DEMO-03", "LN-DEMO-04")


def _engineer(users: Mapping[str, User]) -> User | None:
    engineers = [u for u in users.values() if u.vendor_role == VendorRole.ENGINEER]
    return users.get("engineer1") or (engineers[0] if engineers else users.get("manager"))


def loaner_shelf(created: Counter[str]) -> StockLocation:
    """The demo's loaner shelf, found by its name (the history's loaner stands there too)."""
    shelf = StockLocation.objects.filter(name=SHELF).first()
    if shelf is None:
        shelf = stock_location_create(kind=LocationKind.REGIONAL, name=SHELF)
        created["stock locations"] += 1
    return shelf


def seed_loaners(*, users: Mapping[str, User], created: Counter[str]) -> None:
    requests = list(
        ServiceRequest.objects.open()
        .exclude(events__type="loaner_installed")
        .select_related("device")
        .order_by("severity", "reported_at")  # emergencies first
    )
    # Requests whose policy promises "use restored" first: the demo shows that promise met.
    with_restored = set(
        ServiceRequest.objects.filter(
            pk__in=[r.pk for r in requests], milestones__key="restored"
        ).values_list("pk", flat=True)
    )
    requests.sort(key=lambda r: r.pk not in with_restored)  # stable: keeps the order above
    models = list(dict.fromkeys(r.device.product_model for r in requests))[:2]
    if not models:
        return
    shelf = loaner_shelf(created)
    units = []
    for index, serial in enumerate(SERIALS):
        unit = LoanerUnit.objects.filter(serial_number=serial).first()
        if unit is None:
            unit = loaner_create(
                product_model=models[index % len(models)],
                serial_number=serial,
                asset_tag=f"QD-LOAN-{index + 1:02d}",
                location=shelf,
            )
            created["loaner units"] += 1
        units.append(unit)
    engineer = _engineer(users)
    if engineer is None or Loan.objects.filter(loaner__serial_number__in=SERIALS).exists():
        return
    # A request the engineer is dispatched to: only they record its steps on site.
    mine = set(engineer.assigned_requests.values_list("pk", flat=True))
    pairs = [
        (unit, request)
        for request in requests
        if request.pk in mine
        for unit in units
        if unit.product_model_id == request.device.product_model_id
    ]
    if not pairs:
        return
    unit, request = pairs[0]
    now = timezone.now()
    installed_at = min(request.reported_at + timedelta(hours=4), now)
    # Recorded as it happened: the engineer installed it then.
    loaner_install(
        loaner=unit, request=request, user=engineer, installed_at=installed_at, now=installed_at
    )
    created["loans"] += 1
