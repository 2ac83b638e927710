"""Visits for the calendar's tests, made directly (the plan generator is maintenance's to
test): one visit per call, due on a given day."""

from __future__ import annotations

import datetime as dt
import itertools

from assets.tests.factories import DeviceFactory
from maintenance.models import Visit, VisitState

_keys = itertools.count(1)


def make_visit(
    *,
    due_on: dt.date,
    device=None,
    department=None,
    engineers=(),
    kind: str = "patrol",
    tolerance: int = 7,
    state: str = VisitState.PLANNED,
    **device_kwargs,
) -> Visit:
    if device is None:
        if department is not None:
            device_kwargs["department"] = department
        device = DeviceFactory(**device_kwargs)
    visit = Visit.objects.create(
        device=device,
        hospital=device.hospital,
        department=device.department,
        key=f"agenda-test-{next(_keys)}",
        main_kind=kind,
        kinds=[kind],
        due_on=due_on,
        window_start=due_on - dt.timedelta(days=tolerance),
        window_end=due_on + dt.timedelta(days=tolerance),
        state=state,
    )
    visit.engineers.set(engineers)
    return visit
