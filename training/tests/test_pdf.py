"""The certificate of attendance and the attendance list: Chinese PDFs under the vendor's
header, with an embedded CJK font, the attendees' names and (on the list) signatures."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from customers.services import service_organisation_update
from training import services
from training.documents import attendance_pdf_bytes, certificate_pdf_bytes

from .factories import department_of, make_plan, make_session, sign_in

pytestmark = pytest.mark.django_db


def pdffonts(path) -> str:
    return subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout


def pdftotext(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def assert_cjk_embedded(path) -> None:
    fonts = pdffonts(path)
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # emb = yes


@pytest.fixture
def session():
    service_organisation_update(
        name="青岛青盾医疗科技有限公司", address="青岛市城阳区", hotline="400-800-1234"
    )
    plan = make_plan(title="重症设备培训计划")
    plan.hospital.name = "青岛市市立医院"
    plan.hospital.save()
    lecturer = vendor_user(VendorRole.MANAGER, first_name="志强", last_name="李")
    starts = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    session = make_session(
        plan=plan, lecturer=lecturer, starts_at=starts, duration=timedelta(minutes=150)
    )
    return session


def test_the_certificate_names_the_attendee_topic_date_duration_lecturer_and_score(
    session, tmp_path
):
    attendance = sign_in(
        session, "王芳", department=department_of(session, "急诊科"), role="护士长", score=92
    )
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate_pdf_bytes(attendance))
    assert_cjk_embedded(path)
    text = pdftotext(path)
    assert "培训证明" in text
    assert "青岛青盾医疗科技有限公司" in text and "400-800-1234" in text
    assert "王芳" in text and "急诊科" in text and "护士长" in text
    assert "青岛市市立医院" in text
    assert "产品性能、特点、结构的原理及分析" in text.replace(" ", "")
    assert "2026-03-02" in text and "09:30" in text and "12:00" in text
    assert "李志强" in text
    assert "92 / 100" in text
    assert attendance.certificate_no in text


def test_a_certificate_without_a_score_says_so(session, tmp_path):
    attendance = sign_in(session, "赵六")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate_pdf_bytes(attendance))
    assert "/ 100" not in pdftotext(path)


def test_the_attendance_list_shows_every_attendee_with_signatures(session, tmp_path):
    sign_in(session, "王芳", role="护士长", score=80)
    sign_in(session, "张伟", role="主治医师")
    services.training_sheet_upload(session=session, file=ContentFile(b"%PDF", name="sheet.pdf"))
    sign_in(session, "陈医生", signature=None, department_text="外院进修")
    path = tmp_path / "attendance.pdf"
    path.write_bytes(attendance_pdf_bytes(session))
    assert_cjk_embedded(path)
    text = pdftotext(path)
    assert "培训签到表" in text and session.number in text
    for name in ("王芳", "张伟", "陈医生", "外院进修", "护士长", "主治医师"):
        assert name in text, name
    assert "李志强" in text
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True
    ).stdout
    assert len([line for line in images.splitlines()[2:] if line.strip()]) >= 2  # signatures
