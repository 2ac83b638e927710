"""Test helpers of the return visits: a department with devices under a contract, a drawn
signature, a complete sheet for a visit."""

from __future__ import annotations

import base64
import io
from datetime import date
from typing import Any

from PIL import Image, ImageDraw

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from customers.tests.factories import ContactFactory, DepartmentFactory, HospitalFactory
from return_visits.models import ReturnVisit
from return_visits.selectors import department_devices


def signature_data_url(width: int = 300, height: int = 100) -> str:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(10, 80), (60, 20), (120, 70), (200, 15), (280, 60)], fill="black", width=4
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


SIGNATURE = signature_data_url()


def department_with_devices(
    *,
    hospital=None,
    name: str | None = None,
    devices: int = 2,
    engineers=(),
    manager=None,
    accepted_on: date = date(2026, 1, 10),
    contract: bool = True,
):
    """A department of ``hospital`` with ``devices`` accepted devices on one contract whose
    dedicated engineers are ``engineers``; its head nurse is its responsible person."""
    hospital = hospital or HospitalFactory()
    kwargs = {"hospital": hospital} | ({"name": name} if name else {})
    department = DepartmentFactory(**kwargs)
    head = ContactFactory(
        hospital=hospital, department=department, name=f"护士长 {department.pk}", title="护士长"
    )
    department.responsible_contact = head
    department.save(update_fields=["responsible_contact"])
    items = [DeviceFactory(department=department, accepted_on=accepted_on) for _ in range(devices)]
    if contract and items:
        line = ContractFactory(hospital=hospital, devices=items, service_manager=manager)
        line.dedicated_engineers.set(engineers)
    return department, items


def engineer(**kwargs):
    return vendor_user(VendorRole.ENGINEER, **kwargs)


def sheet(visit: ReturnVisit, **overrides: Any) -> dict[str, Any]:
    """A complete, valid sheet for ``visit``: every device normal, one participant."""
    fields: dict[str, Any] = {
        "participants": [{"name": "王主任", "role": "科室主任"}],
        "devices": [
            {"device": d.pk, "state": "normal", "note": ""}
            for d in department_devices(visit.department)
        ],
        "training_given": "呼吸机日常保养培训",
        "findings": [],
        "satisfaction": 4,
        "comments": "服务及时",
    }
    fields.update(overrides)
    return fields
