"""The return-visit sheet (设备回访单, R-7.1): what it must contain, the faults that raise
service requests, the signatures of both sides that freeze it, and its archived PDF in
Chinese with the vendor's header."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from core.errors import Conflict
from core.signatures import content_hash
from customers.models import HospitalRole
from customers.services import service_organisation_update
from customers.tests.factories import HospitalFactory, hospital_user
from return_visits.models import (
    ReturnVisit,
    ReturnVisitDeviceCheck,
    ReturnVisitFinding,
    ReturnVisitParticipant,
    ReturnVisitSignature,
)
from return_visits.selectors import sheet_content
from return_visits.services import (
    return_visit_create,
    return_visit_pdf,
    return_visit_record,
    return_visit_sign,
    return_visits_generate,
)
from return_visits.sheet import signature_matches
from service.models import ServiceRequest

from .factories import SIGNATURE, department_with_devices, engineer, sheet

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)  # 12 March, 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def visit():
    hospital = HospitalFactory(name="青岛市市立医院")
    department, _devices = department_with_devices(hospital=hospital, name="重症医学科")
    return_visits_generate(horizon_days=0)
    return ReturnVisit.objects.get(department=department)


@pytest.fixture
def worker():
    return engineer(username="eng", first_name="伟", last_name="张")


def record(visit, user, **overrides):
    return return_visit_record(visit=visit, user=user, **sheet(visit, **overrides))


def sign(visit, role, user, name=None, signer_role="护士长"):
    """Sign as ``role``; the hospital's side on the engineer's phone says who signs in what
    position (ignored on a hospital user's own account)."""
    return return_visit_sign(
        visit=visit,
        role=role,
        signer_name=name or ("工程师" if role == "engineer" else "王护士长"),
        signer_role=signer_role,
        signature_data_url=SIGNATURE,
        user=user,
    )


def nothing_written(visit) -> bool:
    visit.refresh_from_db()
    return (
        visit.recorded_at is None
        and not ReturnVisitParticipant.objects.exists()
        and not ReturnVisitDeviceCheck.objects.exists()
        and not ReturnVisitFinding.objects.exists()
        and not ServiceRequest.objects.exists()
    )


def test_the_sheet_is_recorded_with_every_device(visit, worker):
    devices = list(visit.department.devices.order_by("pk"))
    record(
        visit,
        worker,
        participants=[{"name": "王主任", "role": "科室主任"}, {"name": "", "role": ""}],
        devices=[
            {"device": devices[0].pk, "state": "normal", "note": ""},
            {"device": devices[1].pk, "state": "attention", "note": "报警音偏小"},
        ],
    )
    visit.refresh_from_db()
    assert visit.recorded_by == worker and visit.visited_on == date(2026, 3, 12)
    assert visit.satisfaction == 4 and visit.state == "planned"
    assert list(visit.participants.values_list("name", "role")) == [("王主任", "科室主任")]
    assert set(visit.device_checks.values_list("device_id", "state", "note")) == {
        (devices[0].pk, "normal", ""),
        (devices[1].pk, "attention", "报警音偏小"),
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"satisfaction": 0}, "satisfaction"),
        ({"satisfaction": 6}, "satisfaction"),
        ({"satisfaction": None}, "satisfaction"),
        ({"participants": []}, "participants"),
        ({"participants": [{"name": "", "role": "护士长"}]}, "participants.0.name"),
        ({"visited_on": date(2026, 3, 13)}, "visited_on"),  # in the future
        ({"visited_on": date(2026, 2, 28)}, "visited_on"),  # before the month
    ],
)
def test_bad_sheets_are_refused_and_nothing_is_written(visit, worker, overrides, field):
    with pytest.raises(ValidationError) as refused:
        record(visit, worker, **overrides)
    assert field in refused.value.message_dict
    assert nothing_written(visit)


def test_every_device_of_the_department_and_only_those(visit, worker):
    devices = list(visit.department.devices.order_by("pk"))
    stranger = DeviceFactory()  # another hospital's department
    with pytest.raises(ValidationError) as refused:
        record(visit, worker, devices=[{"device": devices[0].pk, "state": "normal"}])
    assert "devices" in refused.value.message_dict  # the second device is missing
    assert devices[1].serial_number in refused.value.message_dict["devices"][0]
    rows = [
        {"device": stranger.pk, "state": "normal"},
        {"device": devices[0].pk, "state": "broken"},
        {"device": devices[1].pk, "state": "normal"},
    ]
    with pytest.raises(ValidationError) as refused:
        record(visit, worker, devices=rows)
    assert set(refused.value.message_dict) == {"devices.0.device", "devices.1.state"}
    finding = {"device": stranger.pk, "kind": "fault", "description": "x"}
    with pytest.raises(ValidationError) as refused:
        record(visit, worker, findings=[finding])
    assert set(refused.value.message_dict) == {"findings.0.device"}
    assert nothing_written(visit)


def test_a_finding_raises_a_service_request_found_on_a_visit(visit, worker):
    device = visit.department.devices.order_by("pk").first()
    record(
        visit,
        worker,
        findings=[
            {"device": device.pk, "kind": "hidden_risk", "description": "电源线老化"},
            {"device": "", "description": ""},  # an empty row of the form
            {
                "device": device.pk,
                "kind": "fault",
                "description": "湿化器不加热",
                "raise_request": True,
            },
        ],
    )
    (request,) = ServiceRequest.objects.all()
    assert request.channel == "visit" and request.device == device
    assert request.recorded_by == worker
    assert "湿化器不加热" in request.description
    findings = list(visit.findings.order_by("position"))
    assert [(f.kind, f.request_id) for f in findings] == [
        ("hidden_risk", None),
        ("fault", request.pk),
    ]
    # Recorded again: the line that raised a request stays, the others are rewritten.
    record(visit, worker, findings=[])
    assert list(visit.findings.values_list("request_id", flat=True)) == [request.pk]
    assert ServiceRequest.objects.count() == 1


def test_signed_by_both_sides_the_sheet_is_frozen_and_its_pdf_archived(
    visit, worker, tmp_path, django_capture_on_commit_callbacks
):
    service_organisation_update(name="青岛青盾医疗设备有限公司", hotline="400-800-1234")
    nurse = hospital_user(
        visit.hospital,
        HospitalRole.DEPARTMENT_USER,
        departments=[visit.department],
        first_name="娜",
        last_name="李",
    )
    with pytest.raises(Conflict) as early:
        sign(visit, "engineer", worker)
    assert early.value.code == "not_recorded"
    record(visit, worker, satisfaction=5)

    with django_capture_on_commit_callbacks(execute=True):
        first = sign(visit, "engineer", worker, name="张伟")
    visit.refresh_from_db()
    assert visit.state == "planned" and not visit.is_frozen and not visit.pdf
    with django_capture_on_commit_callbacks(execute=True):
        second = sign(visit, "hospital", nurse, name="李娜")

    visit.refresh_from_db()
    assert visit.state == "done" and visit.frozen_at == NOW
    assert visit.content_hash == content_hash(sheet_content(visit))
    assert first.user == worker and second.user == nurse
    for signature in (first, second):
        signature.refresh_from_db()
        assert signature_matches(signature)

    # Frozen: no more sheet, no more signatures.
    with pytest.raises(Conflict) as frozen:
        record(visit, worker, satisfaction=1)
    assert frozen.value.code == "frozen"
    with pytest.raises(Conflict):
        sign(visit, "hospital", nurse)
    visit.refresh_from_db()
    assert visit.satisfaction == 5

    # The archived PDF: Chinese embedded, the department and the score legible.
    assert visit.pdf.name.endswith(".pdf")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(visit.pdf.read())
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True)
    cjk = [line for line in fonts.stdout.splitlines() if "CJK" in line]
    assert cjk, fonts.stdout
    assert all(line.split()[-5] == "yes" for line in cjk), fonts.stdout  # emb = yes
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "设备回访单" in text
    assert "重症医学科" in text and "青岛市市立医院" in text
    assert "5/5" in text.replace(" ", "")  # the satisfaction score
    assert "青岛青盾医疗设备有限公司" in text and "400-800-1234" in text
    assert "张伟" in text and "李娜" in text and "王主任" in text
    assert visit.content_hash[:16] in text.replace("\n", "")


def test_a_change_of_content_withdraws_a_signature(visit, worker):
    record(visit, worker)
    sign(visit, "engineer", worker)
    record(visit, worker)  # the same content: the signature stands
    assert ReturnVisitSignature.objects.count() == 1
    record(visit, worker, comments="希望增加培训")
    assert not ReturnVisitSignature.objects.exists()
    # Signing again in the same role replaces the earlier signature.
    sign(visit, "engineer", worker)
    sign(visit, "engineer", worker, name="张伟")
    assert list(ReturnVisitSignature.objects.values_list("signer_name", flat=True)) == ["张伟"]


def test_the_hospital_signs_on_the_engineers_phone(visit, worker):
    record(visit, worker)
    signature = sign(visit, "hospital", worker, name="王主任", signer_role="科室主任")
    assert signature.user is None  # the signer has no account here
    assert (signature.signer_role, signature.on_vendor_device) == ("科室主任", True)


# --- issue 10 §9: a month's visit in its month; the hospital signs for itself -----------------
def test_a_later_months_visit_cannot_be_recorded_now(worker):
    """The review: a February 2027 visit completed in December 2026."""
    department, _devices = department_with_devices(name="心内科")
    later = return_visit_create(department=department, month=date(2026, 5, 1), user=worker)
    with pytest.raises(ValidationError) as refused:
        record(later, worker)  # the visit date defaults to today, 12 March
    assert "visited_on" in refused.value.message_dict
    with pytest.raises(ValidationError):
        record(later, worker, visited_on=date(2026, 5, 10))  # in the future
    assert nothing_written(later)


def test_a_visit_dated_after_its_month_is_refused(worker):
    department, _devices = department_with_devices(name="心内科")
    return_visits_generate(horizon_days=0)
    march = ReturnVisit.objects.get(department=department, month=date(2026, 3, 1))
    with time_machine.travel(datetime(2026, 4, 3, 2, 0, tzinfo=UTC), tick=False):
        with pytest.raises(ValidationError) as refused:
            record(march, worker, visited_on=date(2026, 4, 2))
        assert "visited_on" in refused.value.message_dict
        # Written up after the month, for a visit made in it: fine.
        record(march, worker, visited_on=date(2026, 3, 30))
    march.refresh_from_db()
    assert march.visited_on == date(2026, 3, 30)


@pytest.mark.parametrize(
    ("name", "signer_role", "field"),
    [
        ("王主任", "", "signer_role"),  # the position is required when handed over
        ("张伟", "科室主任", "signer_name"),  # the engineer's own name
        (" 张 伟 ", "科室主任", "signer_name"),  # the same person, spaced
        ("工程师", "科室主任", "signer_name"),  # the name the engineer signed with
    ],
)
def test_the_engineer_cannot_sign_for_the_hospital(visit, worker, name, signer_role, field):
    record(visit, worker)
    sign(visit, "engineer", worker)
    with pytest.raises(ValidationError) as refused:
        sign(visit, "hospital", worker, name=name, signer_role=signer_role)
    assert set(refused.value.message_dict) == {field}
    visit.refresh_from_db()
    assert not visit.is_frozen
    assert list(visit.signatures.values_list("role", flat=True)) == ["engineer"]


def test_a_hospital_user_signs_on_their_own_account_and_never_as_the_engineer(visit, worker):
    record(visit, worker)
    nurse = hospital_user(
        visit.hospital, role=HospitalRole.DEPARTMENT_USER, departments=[visit.department]
    )
    with pytest.raises(PermissionDenied):
        sign(visit, "engineer", nurse)
    signature = sign(visit, "hospital", nurse, name="李娜", signer_role="")
    assert (signature.user, signature.on_vendor_device, signature.signer_role) == (nurse, False, "")


def test_bad_signatures_change_nothing(visit, worker):
    record(visit, worker)
    with pytest.raises(ValidationError) as refused:
        return_visit_sign(
            visit=visit,
            role="customer",
            signer_name=" ",
            signature_data_url="data:image/png;base64,AAAA",
            user=worker,
        )
    assert set(refused.value.message_dict) == {"role", "signer_name", "signature"}
    assert not ReturnVisitSignature.objects.exists()


def test_no_pdf_before_both_sides_signed(visit, worker):
    record(visit, worker)
    with pytest.raises(Conflict):
        return_visit_pdf(visit=visit)


def test_a_cancelled_visit_takes_no_sheet(visit, worker):
    ReturnVisit.objects.filter(pk=visit.pk).update(state="cancelled")
    visit.refresh_from_db()
    with pytest.raises(Conflict) as cancelled:
        record(visit, worker)
    assert cancelled.value.code == "cancelled"


def test_the_manager_records_too(visit):
    manager = vendor_user(VendorRole.MANAGER)
    record(visit, manager)
    visit.refresh_from_db()
    assert visit.recorded_by == manager
