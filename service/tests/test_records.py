"""The repair record (R-3.5, R-3.6, R-5.4, R-5.5): write, sign, freeze, amend, file, the
PDF with an embedded CJK font, refused signature images, and hospital B never seeing A's."""

from __future__ import annotations

import base64
import io
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from core.signatures import (
    MAX_SIGNATURE_BYTES,
    SignatureImageError,
    content_hash,
    decode_signature_data_url,
)
from customers.models import HospitalRole
from customers.services import service_organisation_update
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from service.models import (
    RepairRecord,
    RepairRecordAmendment,
    RootCauseReport,
    ServiceEvent,
    Signature,
)
from service.repair_records import services as records
from service.repair_records.pdf import repair_record_context
from service.services import (
    TimelineConflict,
    root_cause_report_save,
    service_request_open,
    service_request_record_event,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
FAULT_AT = timezone.now().replace(microsecond=0) - timedelta(hours=4)


# --- helpers ------------------------------------------------------------------------------
def signature_png(width: int = 300, height: int = 100, *, ink: bool = True) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line([(10, 80), (60, 20), (120, 70), (200, 15), (280, 60)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(raw: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64," + base64.b64encode(raw).decode("ascii")


SIGNATURE = data_url(signature_png())


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")


@pytest.fixture
def device():
    hospital = HospitalFactory(name="青岛市市立医院", time_zone="Asia/Shanghai")
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    return DeviceFactory(department=department, udi="(01)06971234567895(21)SN1")


def open_request(device, user, *, arrived=True, resolved=True, severity="normal"):
    now = timezone.now()
    request = service_request_open(
        device=device,
        severity=severity,
        channel="hotline",
        description="呼吸机报警，无法启动",
        recorded_by=user,
        reported_at=now - timedelta(hours=3),
    )
    # Each step recorded as it happened, by the engineer the request was dispatched to.
    request.engineers.add(user)
    for kind, hours_ago, wanted in (("arrived", 2, arrived), ("resolved", 1, resolved)):
        if wanted:
            at = now - timedelta(hours=hours_ago)
            service_request_record_event(
                request=request, type=kind, occurred_at=at, actor=user, now=at
            )
    return request


def write_record(request, author, **overrides):
    fields: dict[str, Any] = {
        "state_before_fault": "运行正常",
        "fault_at": FAULT_AT,
        "symptoms": "开机报警 E12",
        "checks_done": "检查运行记录与电源",
        "diagnosis": "电源板损坏",
        "solution": "更换电源板",
        "parts_replaced": [
            {"name": "电源板", "serial_removed": "PS-001", "serial_fitted": "PS-777"},
            {"name": "", "serial_removed": "", "serial_fitted": ""},
        ],
        "labor_hours": Decimal("1.5"),
        "fault_cause": "quality",
    }
    fields.update(overrides)
    return records.repair_record_save(request=request, author=author, **fields)


def sign(record, role, user, name=None, image=SIGNATURE, *, engineer_first=True, **kwargs):
    """Sign as ``role``; the customer on the engineer's phone says who signs in what position
    (ignored on the hospital user's own account). The engineer signs first (issue 12 §2): a
    customer's signature on a record the engineer has not signed yet is preceded by the
    record's author signing as the engineer, unless ``engineer_first`` is False."""
    kwargs.setdefault("signer_role", "护士长")
    unsigned = not record.signatures.filter(role="engineer", amendment__isnull=True).exists()
    if role == "hospital" and engineer_first and unsigned and not kwargs.get("amendment"):
        sign(record, "engineer", record.author)
    return records.repair_record_sign(
        record=record,
        role=role,
        signer_name=name or ("工程师" if role == "engineer" else "王护士长"),
        signature_data_url=image,
        user=user,
        **kwargs,
    )


def pdffonts(path) -> str:
    return subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout


def pdftotext(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def media_files(settings) -> list:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- saving -------------------------------------------------------------------------------
def test_save_creates_then_updates_the_one_record_of_a_request(engineer, device):
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    assert record.parts_replaced == [
        {"name": "电源板", "quantity": 1, "serial_removed": "PS-001", "serial_fitted": "PS-777"}
    ]  # the empty row is dropped
    again = write_record(request, engineer, diagnosis="电源板电容老化")
    assert again.pk == record.pk
    assert RepairRecord.objects.get().diagnosis == "电源板电容老化"
    assert RepairRecord.objects.get().labor_hours == Decimal("1.50")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"symptoms": "  "}, "symptoms"),
        ({"labor_hours": Decimal("-1")}, "labor_hours"),
        ({"labor_hours": "abc"}, "labor_hours"),
        ({"fault_at": timezone.now() + timedelta(days=1)}, "fault_at"),
        ({"fault_cause": "bad luck"}, "fault_cause"),
        ({"parts_replaced": [{"serial_removed": "X1"}]}, "parts_replaced"),
    ],
)
def test_bad_input_is_refused_with_a_field_error_and_changes_nothing(
    engineer, device, overrides, field
):
    request = open_request(device, engineer)
    with pytest.raises(ValidationError) as exc:
        write_record(request, engineer, **overrides)
    assert field in exc.value.message_dict
    assert not RepairRecord.objects.exists()


def test_unknown_fields_are_refused(engineer, device):
    request = open_request(device, engineer)
    with pytest.raises(ValidationError):
        write_record(request, engineer, frozen_at=timezone.now())


# --- signing ------------------------------------------------------------------------------
def test_customer_cannot_sign_before_the_repair_and_nothing_changes(engineer, device, settings):
    request = open_request(device, engineer, resolved=False)
    record = write_record(request, engineer)
    events_before = ServiceEvent.objects.count()

    with pytest.raises(TimelineConflict) as exc:
        sign(record, "hospital", engineer, name="李护士")

    assert exc.value.code == "signed_before_resolution"
    record.refresh_from_db()
    request.refresh_from_db()
    assert record.frozen_at is None and record.content_hash == "" and not record.pdf
    assert not Signature.objects.filter(role="hospital").exists()
    assert ServiceEvent.objects.count() == events_before
    assert not ServiceEvent.objects.filter(type="customer_signed").exists()
    assert request.fault_cause == "undetermined"
    # No orphan signature image either (the engineer's, given first, stays).
    assert [f.name for f in media_files(settings) if "signature-hospital" in f.name] == []


def test_customer_signature_freezes_sets_the_fault_cause_records_the_step_and_stores_a_pdf(
    engineer, device, django_capture_on_commit_callbacks, tmp_path
):
    service_organisation_update(
        name="青岛青盾医疗设备有限公司",
        address="青岛市崂山区科苑纬一路 1 号",
        hotline="400-800-1234",
    )
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    engineer_signature = sign(record, "engineer", engineer, name="张伟")

    with django_capture_on_commit_callbacks(execute=True):
        customer_signature = sign(record, "hospital", engineer, name="李护士")

    record.refresh_from_db()
    request.refresh_from_db()
    assert record.frozen_at is not None
    assert record.content_hash == content_hash(records.record_content(record))
    assert request.fault_cause == "quality"
    assert request.status == "signed"
    assert ServiceEvent.objects.filter(request=request, type="customer_signed").count() == 1
    # Signed on the engineer's phone: the customer has no account here.
    assert customer_signature.user is None
    assert engineer_signature.user == engineer
    for signature in (engineer_signature, customer_signature):
        signature.refresh_from_db()
        assert signature.content_hash == content_hash(
            records.record_content(record), signature.image.read()
        )
        assert records.signature_matches(signature)

    assert record.pdf.name.endswith(".pdf")
    path = tmp_path / "record.pdf"
    path.write_bytes(record.pdf.read())
    fonts = pdffonts(path)
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # emb = yes
    text = pdftotext(path)
    assert "客户维修记录表" in text
    assert request.number in text
    assert "青岛青盾医疗设备有限公司" in text and "400-800-1234" in text
    assert "青岛市市立医院" in text and "电源板" in text and "PS-777" in text
    assert "李护士" in text and "张伟" in text
    assert customer_signature.content_hash[:16] in text.replace("\n", "")


def test_times_on_the_pdf_are_in_the_hospitals_zone(engineer, django_capture_on_commit_callbacks):
    hospital = HospitalFactory(name="Urumqi", time_zone="Asia/Urumqi")
    device = DeviceFactory(department=DepartmentFactory(hospital=hospital))
    request = open_request(device, engineer)
    fault_at = timezone.now().replace(microsecond=0) - timedelta(hours=5)
    record = write_record(request, engineer, fault_at=fault_at)
    with django_capture_on_commit_callbacks(execute=True):
        sign(record, "hospital", engineer)
    record.refresh_from_db()
    context = repair_record_context(record, with_images=False)
    expected = timezone.localtime(fault_at, ZoneInfo("Asia/Urumqi")).strftime("%Y-%m-%d %H:%M")
    assert context["fault_at"] == expected
    assert context["zone_name"] == "Asia/Urumqi"


def test_the_engineer_signs_before_the_customer(engineer, device):
    """Issue 12 §2: the customer signs what the engineer has vouched for; a customer's
    signature first is refused on ``role`` and stores nothing."""
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    with pytest.raises(ValidationError) as refused:
        sign(record, "hospital", engineer, engineer_first=False)
    assert set(refused.value.message_dict) == {"role"}
    assert refused.value.error_dict["role"][0].code == "out_of_order"
    record.refresh_from_db()
    assert record.frozen_at is None and not record.signatures.exists()
    signature = sign(record, "engineer", engineer, name="张伟")
    assert signature.content_hash == content_hash(
        records.record_content(record), base64.b64decode(SIGNATURE.split(",")[1])
    )
    sign(record, "hospital", engineer)
    record.refresh_from_db()
    assert record.frozen_at is not None
    with pytest.raises(ValidationError):
        sign(record, "engineer", engineer)
    with pytest.raises(ValidationError):
        sign(record, "hospital", engineer)
    assert ServiceEvent.objects.filter(type="customer_signed").count() == 1


@pytest.mark.parametrize(
    ("name", "signer_role", "field"),
    [
        ("李护士", "", "signer_role"),  # handed over: the position is required
        ("张伟", "护士长", "signer_name"),  # the engineer's own name
        ("工程师", "护士长", "signer_name"),  # the name the engineer signed with
    ],
)
def test_the_engineer_cannot_sign_for_the_customer(engineer, device, name, signer_role, field):
    """Issue 10 §9: the customer's signature on the engineer's phone is the customer's,
    with their position, and the record says where it was signed."""
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    sign(record, "engineer", engineer)
    with pytest.raises(ValidationError) as refused:
        sign(record, "hospital", engineer, name=name, signer_role=signer_role)
    assert set(refused.value.message_dict) == {field}
    record.refresh_from_db()
    assert record.frozen_at is None
    assert not ServiceEvent.objects.filter(type="customer_signed").exists()
    handed = sign(record, "hospital", engineer, name="李护士", signer_role="护士长")
    assert (handed.user, handed.signer_role, handed.on_vendor_device) == (None, "护士长", True)


def test_a_hospital_user_never_signs_as_the_engineer(engineer, device):
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    nurse = hospital_user(request.hospital, username="nurse")
    with pytest.raises(PermissionDenied):
        sign(record, "engineer", nurse)
    signature = sign(record, "hospital", nurse, name="李护士", signer_role="")
    assert (signature.user, signature.on_vendor_device) == (nurse, False)


def test_an_incomplete_record_cannot_be_signed(engineer, device):
    request = open_request(device, engineer)
    record = write_record(request, engineer, diagnosis="", fault_at=None)
    with pytest.raises(ValidationError) as exc:
        sign(record, "engineer", engineer)
    assert "diagnosis" in " ".join(exc.value.messages).lower()
    assert not Signature.objects.exists()


def test_changing_the_content_withdraws_the_engineers_signature(engineer, device):
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    sign(record, "engineer", engineer)
    write_record(request, engineer)  # the same content: the signature stands
    assert Signature.objects.count() == 1
    write_record(request, engineer, solution="更换电源板并校准")
    assert not Signature.objects.exists()


def test_a_frozen_record_refuses_changes_and_points_to_an_amendment(engineer, device):
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    sign(record, "hospital", engineer)
    with pytest.raises(ValidationError) as exc:
        write_record(request, engineer, solution="改写")
    assert "amendment" in exc.value.messages[0]
    assert not hasattr(exc.value, "error_dict")  # a non-field error: the top of the form
    assert RepairRecord.objects.get().solution == "更换电源板"


# --- signature images ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "missing"),
        (data_url(b"GIF89a" + b"\x00" * 40, "image/gif"), "not_png"),
        (data_url(b"\xff\xd8\xff\xe0" + b"\x00" * 40, "image/jpeg"), "not_png"),
        (data_url(b"GIF89a" + b"\x00" * 40), "not_png"),  # says PNG, is not
        ("data:image/png;base64,@@@not base64@@@", "malformed"),
        (data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40), "malformed"),
        (data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_SIGNATURE_BYTES + 10)), "too_large"),
        (data_url(signature_png(ink=False)), "blank"),
        (data_url(signature_png(5000, 10)), "too_large"),
        ("https://example.com/signature.png", "not_png"),
    ],
)
def test_signature_images_are_checked(value, code):
    with pytest.raises(SignatureImageError) as exc:
        decode_signature_data_url(value)
    assert exc.value.code == code


def test_a_real_signature_decodes():
    assert decode_signature_data_url(SIGNATURE) == signature_png()


def test_a_refused_image_is_a_field_error_and_stores_nothing(engineer, device, settings):
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    for bad in (data_url(b"GIF89a" + b"\x00" * 40, "image/gif"), data_url(b"\x89PNG" * 200_000)):
        with pytest.raises(ValidationError) as exc:
            sign(record, "hospital", engineer, image=bad)
        assert "signature" in exc.value.message_dict
    record.refresh_from_db()
    assert record.frozen_at is None
    assert not Signature.objects.filter(role="hospital").exists()
    assert [f.name for f in media_files(settings) if "signature-hospital" in f.name] == []


# --- amendments and filing -------------------------------------------------------------
def test_amendments_only_on_frozen_records_and_the_original_never_changes(
    engineer, device, django_capture_on_commit_callbacks, tmp_path
):
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    with pytest.raises(ValidationError):
        records.repair_record_amend(
            record=record, author=engineer, reason="笔误", changes={"diagnosis": "x"}
        )
    with django_capture_on_commit_callbacks(execute=True):
        sign(record, "hospital", engineer)
    record.refresh_from_db()
    frozen = records.record_content(record)
    frozen_hash = record.content_hash

    with pytest.raises(ValidationError) as exc:
        records.repair_record_amend(record=record, author=engineer, reason=" ", changes={})
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):  # nothing changes
        records.repair_record_amend(
            record=record, author=engineer, reason="核对", changes={"diagnosis": "电源板损坏"}
        )
    with django_capture_on_commit_callbacks(execute=True):
        amendment = records.repair_record_amend(
            record=record,
            author=engineer,
            reason="序列号笔误",
            changes={
                "diagnosis": "电源板损坏",  # unchanged: not kept
                "parts_replaced": [
                    {"name": "电源板", "serial_removed": "PS-001", "serial_fitted": "PS-778"}
                ],
                "labor_hours": Decimal("2"),
                "fault_cause": "non_quality",
            },
        )

    assert set(amendment.changes) == {"parts_replaced", "labor_hours", "fault_cause"}
    assert amendment.changes["labor_hours"] == "2.00"
    record.refresh_from_db()
    assert records.record_content(record) == frozen
    assert record.content_hash == frozen_hash
    request.refresh_from_db()
    assert request.fault_cause == "non_quality"  # the request follows the correction
    assert records.effective_content(record)["parts_replaced"][0]["serial_fitted"] == "PS-778"

    path = tmp_path / "amended.pdf"
    path.write_bytes(record.pdf.read())
    text = pdftotext(path)
    assert "序列号笔误" in text and "PS-778" in text and "PS-777" in text


def test_filing_needs_the_customer_signature_and_happens_once(engineer, device):
    manager = vendor_user(VendorRole.MANAGER)
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    with pytest.raises(TimelineConflict) as exc:
        records.repair_record_file(record=record, actor=manager)
    assert exc.value.code == "filed_before_signature"
    sign(record, "hospital", engineer)
    request = records.repair_record_file(record=record, actor=manager)
    assert request.status == "filed"
    assert ServiceEvent.objects.filter(request=request, type="filed", actor=manager).count() == 1
    with pytest.raises(TimelineConflict):
        records.repair_record_file(record=record, actor=manager)
    assert ServiceEvent.objects.filter(type="filed").count() == 1


def test_the_root_cause_report_of_an_emergency_is_on_the_pdf(
    engineer, device, django_capture_on_commit_callbacks, tmp_path
):
    request = open_request(device, engineer, severity="emergency")
    root_cause_report_save(
        request=request,
        cause="电网电压波动导致电源板击穿",
        measures="加装稳压电源",
        explained_to="王主任",
        explained_at=timezone.now() - timedelta(minutes=30),
        author=engineer,
    )
    record = write_record(request, engineer)
    with django_capture_on_commit_callbacks(execute=True):
        sign(record, "hospital", engineer)
    record.refresh_from_db()
    path = tmp_path / "emergency.pdf"
    path.write_bytes(record.pdf.read())
    text = pdftotext(path)
    assert "电网电压波动导致电源板击穿" in text and "王主任" in text


# --- the PDF never fetches anything but local files -------------------------------------
def test_the_pdf_url_fetcher_serves_only_local_static_and_media_files(settings, tmp_path):
    from core.pdf import LocalOnlyRefused, OnlyLocalStatic

    fetcher = OnlyLocalStatic()
    css = fetcher.fetch("file:///static/css/app.css")
    assert b"phone" in css.read()
    assert css.content_type == "text/css"
    image = fetcher.fetch(SIGNATURE)
    assert image.read() == signature_png()
    media = tmp_path / "media" / "x.txt"
    media.parent.mkdir(parents=True, exist_ok=True)
    media.write_text("ok")
    assert fetcher.fetch("file:///media/x.txt").read() == b"ok"
    for url in (
        "http://example.com/logo.png",
        "https://127.0.0.1/static/css/app.css",
        "ftp://example.com/x",
        "file:///etc/passwd",
        "file:///static/../../../../etc/passwd",
        "file:///media/../../etc/passwd",
        f"file://{settings.BASE_DIR}/medservice/settings.py",
    ):
        with pytest.raises(LocalOnlyRefused):
            fetcher.fetch(url)


# --- pages: scoping and permissions --------------------------------------------------------
@pytest.fixture
def signed_setup(engineer, device, django_capture_on_commit_callbacks):
    request = open_request(device, engineer)
    record = write_record(request, engineer)
    with django_capture_on_commit_callbacks(execute=True):
        sign(record, "hospital", engineer)
    return request


def record_urls(pk: int) -> list[str]:
    return [
        reverse("records:record_edit", args=[pk]),
        reverse("records:record_sign", args=[pk]) + "?role=hospital",
        reverse("records:record_pdf", args=[pk]),
        reverse("records:record_amend", args=[pk]),
        reverse("records:root_cause", args=[pk]),
    ]


def test_hospital_b_cannot_open_hospital_as_record_pages_or_pdf(client, signed_setup):
    other = hospital_user(HospitalFactory(name="Hospital B"), role=HospitalRole.EQUIPMENT_ADMIN)
    client.force_login(other)
    for url in record_urls(signed_setup.pk):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("records:record_file", args=[signed_setup.pk])).status_code == 404
    signature = Signature.objects.first()
    assert signature is not None
    url = reverse("records:signature_image", args=[signed_setup.pk, signature.pk])
    assert client.get(url).status_code == 404


def test_a_department_user_of_another_department_sees_nothing(client, signed_setup):
    elsewhere = DepartmentFactory(hospital=signed_setup.hospital)
    user = hospital_user(
        signed_setup.hospital, role=HospitalRole.DEPARTMENT_USER, departments=[elsewhere]
    )
    client.force_login(user)
    for url in record_urls(signed_setup.pk):
        assert client.get(url).status_code == 404, url


def test_hospital_a_reads_its_record_and_pdf_but_does_not_fill_it(client, signed_setup):
    admin = hospital_user(signed_setup.hospital, role=HospitalRole.EQUIPMENT_ADMIN)
    client.force_login(admin)
    page = client.get(reverse("records:record_edit", args=[signed_setup.pk]))
    assert page.status_code == 200
    assert "更换电源板" in page.content.decode()
    pdf = client.get(reverse("records:record_pdf", args=[signed_setup.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.post(reverse("records:record_edit", args=[signed_setup.pk])).status_code == 403
    url = reverse("records:record_amend", args=[signed_setup.pk])
    assert client.get(url).status_code == 403
    assert client.post(reverse("records:record_file", args=[signed_setup.pk])).status_code == 403
    assert client.get(reverse("records:root_cause", args=[signed_setup.pk])).status_code == 403


def test_the_hospital_user_signs_on_their_own_account(client, engineer, device):
    request = open_request(device, engineer)
    sign(write_record(request, engineer), "engineer", engineer)
    user = hospital_user(
        request.hospital, role=HospitalRole.DEPARTMENT_USER, departments=[request.department]
    )
    client.force_login(user)
    url = reverse("records:record_sign", args=[request.pk])
    assert client.get(url + "?role=engineer").status_code == 403
    assert client.get(url + "?role=hospital").status_code == 200
    response = client.post(
        url, {"role": "hospital", "signer_name": "李护士", "signature": SIGNATURE}
    )
    assert response.status_code == 302
    signature = Signature.objects.get(role="hospital")
    assert signature.user == user
    assert RepairRecord.objects.get().frozen_at is not None


def test_the_engineer_fills_the_record_in_the_page(client, engineer, device):
    request = open_request(device, engineer)
    client.force_login(engineer)
    url = reverse("records:record_edit", args=[request.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "state_before_fault": "正常",
            "fault_at": "2026-01-02T08:30",
            "symptoms": "报警",
            "checks_done": "查看",
            "diagnosis": "电源",
            "solution": "更换",
            "labor_hours": "1.25",
            "fault_cause": "non_quality",
            "parts-TOTAL_FORMS": "2",
            "parts-INITIAL_FORMS": "0",
            "parts-MIN_NUM_FORMS": "0",
            "parts-MAX_NUM_FORMS": "50",
            "parts-0-name": "电源板",
            "parts-0-serial_removed": "A1",
            "parts-0-serial_fitted": "B2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = RepairRecord.objects.get()
    # The form's time is the hospital's (Asia/Shanghai), whoever fills it in.
    local = timezone.localtime(record.fault_at, SHANGHAI)
    assert (local.hour, local.minute) == (8, 30)
    assert record.parts_replaced == [
        {"name": "电源板", "quantity": 1, "serial_removed": "A1", "serial_fitted": "B2"}
    ]
    assert record.labor_hours == Decimal("1.25")


def test_signing_in_the_page_before_the_repair_answers_409_and_stores_nothing(
    client, engineer, device
):
    request = open_request(device, engineer, resolved=False)
    sign(write_record(request, engineer), "engineer", engineer)
    client.force_login(engineer)
    url = reverse("records:record_sign", args=[request.pk])
    response = client.post(
        url,
        {
            "role": "hospital",
            "signer_name": "李护士",
            "signer_role": "护士",
            "signature": SIGNATURE,
        },
    )
    assert response.status_code == 409
    assert "after the repair" in response.content.decode()
    assert not Signature.objects.filter(role="hospital").exists()
    assert RepairRecord.objects.get().frozen_at is None


def test_a_blank_signature_posted_to_the_page_is_refused(client, engineer, device):
    request = open_request(device, engineer)
    write_record(request, engineer)
    client.force_login(engineer)
    url = reverse("records:record_sign", args=[request.pk])
    blank = data_url(signature_png(ink=False))
    response = client.post(url, {"role": "engineer", "signer_name": "张伟", "signature": blank})
    assert response.status_code == 422
    assert "empty" in response.content.decode()
    assert not Signature.objects.exists()


def test_amend_and_file_through_the_pages(client, signed_setup, engineer):
    client.force_login(engineer)
    url = reverse("records:record_amend", args=[signed_setup.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "reason": "工时记录错误",
            "fault_at": timezone.localtime(
                RepairRecord.objects.get().fault_at,
                SHANGHAI,
            ).strftime("%Y-%m-%dT%H:%M"),
            "state_before_fault": "运行正常",
            "symptoms": "开机报警 E12",
            "checks_done": "检查运行记录与电源",
            "diagnosis": "电源板损坏",
            "solution": "更换电源板",
            "labor_hours": "3",
            "fault_cause": "quality",
            "parts-TOTAL_FORMS": "1",
            "parts-INITIAL_FORMS": "0",
            "parts-MIN_NUM_FORMS": "0",
            "parts-MAX_NUM_FORMS": "50",
            "parts-0-name": "电源板",
            "parts-0-serial_removed": "PS-001",
            "parts-0-serial_fitted": "PS-777",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    amendment = RepairRecordAmendment.objects.get()
    assert amendment.changes == {"labor_hours": "3.00"}

    manager = vendor_user(VendorRole.MANAGER)
    client.force_login(engineer)
    file_url = reverse("records:record_file", args=[signed_setup.pk])
    assert client.post(file_url).status_code == 403  # the office files, not the engineer
    client.force_login(manager)
    assert client.post(file_url).status_code == 302
    assert ServiceEvent.objects.filter(request=signed_setup, type="filed").exists()


def test_the_root_cause_page_saves_the_report(client, engineer, device):
    request = open_request(device, engineer, severity="emergency")
    client.force_login(engineer)
    url = reverse("records:root_cause", args=[request.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "cause": "电压波动",
            "measures": "加装稳压器",
            "explained_to": "王主任",
            "explained_at": timezone.localtime(
                timezone.now() - timedelta(hours=1),
                SHANGHAI,
            ).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    assert RootCauseReport.objects.get(request=request).explained_to == "王主任"


# --- the request page and the API link the PDF only when there is one (issue 12 §5) -------
def test_the_request_page_says_no_record_yet_and_links_no_pdf(client, engineer, device):
    request = open_request(device, engineer)
    client.force_login(engineer)
    url = reverse("service:request_detail", args=[request.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-pdf" not in page
    assert 'data-record-state="none"' in page and "No repair record yet." in page
    assert "尚无维修记录" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    api = client.get(f"/api/v1/service-requests/{request.pk}").json()
    assert api["repair_record_pdf_url"] is None


def test_an_unsigned_record_has_no_pdf_link_and_says_why(client, engineer, device):
    request = open_request(device, engineer)
    write_record(request, engineer)
    client.force_login(engineer)
    page = client.get(reverse("service:request_detail", args=[request.pk])).content.decode()
    assert "data-pdf" not in page and 'data-record-state="unsigned"' in page
    assert reverse("records:record_pdf", args=[request.pk]) not in page
    assert (
        client.get(f"/api/v1/service-requests/{request.pk}").json()["repair_record_pdf_url"] is None
    )


def test_a_signed_record_links_a_pdf_that_exists(client, engineer, signed_setup):
    client.force_login(engineer)
    page = client.get(reverse("service:request_detail", args=[signed_setup.pk])).content.decode()
    pdf_url = reverse("records:record_pdf", args=[signed_setup.pk])
    assert f'href="{pdf_url}" data-pdf' in page and "data-record-state" not in page
    assert (
        client.get(f"/api/v1/service-requests/{signed_setup.pk}").json()["repair_record_pdf_url"]
        == pdf_url
    )
    assert client.get(pdf_url).status_code == 200
