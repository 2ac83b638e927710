"""A hospital with two devices in two departments on one contract, a third device of the
hospital outside it, and another hospital: each with signed records whose archived PDFs are
real (pypdf pages), for the group archives and the dossier."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.acceptance.services import acceptance_certificate_upload
from assets.tests.factories import DeviceFactory
from contracts.tests.factories import ContractFactory
from customers.tests.factories import DepartmentFactory, HospitalFactory
from return_visits.models import ReturnVisit, ReturnVisitDeviceCheck
from service.models import RepairRecord
from service.services import service_request_open

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    """A moment of 2026 in Shanghai."""
    return dt.datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def pdf_of(pages: int, marker: str) -> bytes:
    """A real PDF of ``pages`` blank A4 pages; ``marker`` makes its bytes its own."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": marker})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signed_record(device, *, user, reported: dt.datetime, pages: int, marker: str):
    request = service_request_open(
        device=device, severity="normal", channel="hotline", description=f"故障 {marker}",
        recorded_by=user, reported_at=reported,
    )  # fmt: skip
    record = RepairRecord.objects.create(request=request, author=user, fault_cause="quality")
    record.pdf.save(f"{request.number}.pdf", ContentFile(pdf_of(pages, marker)), save=False)
    RepairRecord.objects.filter(pk=record.pk).update(
        frozen_at=reported + dt.timedelta(hours=3), pdf=record.pdf.name
    )
    record.refresh_from_db()
    return record


@pytest.fixture
def group():
    hospital = HospitalFactory(name="东海市人民医院", time_zone="Asia/Shanghai")
    icu = DepartmentFactory(hospital=hospital, name="重症医学科")
    radiology = DepartmentFactory(hospital=hospital, name="放射科")
    ventilator = DeviceFactory(
        department=icu, serial_number="VT-001", accepted_on=dt.date(2026, 2, 1),
        acceptance_certificate_no="YS-2026-001",
    )  # fmt: skip
    scanner = DeviceFactory(
        department=radiology, serial_number="CT-002", accepted_on=dt.date(2026, 2, 2)
    )
    outside = DeviceFactory(department=icu, serial_number="MON-003")
    contract = ContractFactory(hospital=hospital, devices=[ventilator, scanner])
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    manager = vendor_user(VendorRole.MANAGER, username="mgr")
    certificate_pdf = pdf_of(1, "certificate")
    certificate = acceptance_certificate_upload(
        device=ventilator,
        document=SimpleUploadedFile("验收证.pdf", certificate_pdf),
        uploaded_by=engineer,
    )
    records = [
        signed_record(ventilator, user=engineer, reported=at(3, 10), pages=2, marker="v1"),
        signed_record(scanner, user=engineer, reported=at(3, 12), pages=3, marker="s1"),
        signed_record(outside, user=engineer, reported=at(4, 2), pages=1, marker="o1"),
    ]
    sheet = ReturnVisit.objects.create(
        hospital=hospital, department=icu, month=dt.date(2026, 3, 1),
        due_on=dt.date(2026, 3, 16), window_start=dt.date(2026, 3, 1),
        window_end=dt.date(2026, 3, 31), state="done", visited_on=dt.date(2026, 3, 16),
        satisfaction=5, recorded_at=at(3, 16), frozen_at=at(3, 16, 11),
    )  # fmt: skip
    sheet.pdf.save("return-visit.pdf", ContentFile(pdf_of(1, "sheet")), save=False)
    ReturnVisit.objects.filter(pk=sheet.pk).update(pdf=sheet.pdf.name)
    for device in (ventilator, outside):  # one sheet, two devices of the department
        ReturnVisitDeviceCheck.objects.create(visit=sheet, device=device, state="normal")
    elsewhere = DeviceFactory(department=DepartmentFactory(hospital=HospitalFactory()))
    signed_record(elsewhere, user=engineer, reported=at(3, 11), pages=1, marker="x1")
    return {
        "hospital": hospital, "icu": icu, "radiology": radiology, "ventilator": ventilator,
        "scanner": scanner, "outside": outside, "contract": contract, "engineer": engineer,
        "manager": manager, "certificate": certificate, "certificate_pdf": certificate_pdf,
        "records": records, "sheet": ReturnVisit.objects.get(pk=sheet.pk),
        "elsewhere": elsewhere,
    }  # fmt: skip
