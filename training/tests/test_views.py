"""Training pages per role: the vendor's office plans, engineers and the hospital's equipment
administrator run the sign-in, department users read, another hospital sees nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from contracts.tests.factories import ContractFactory
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from training import services
from training.models import Attendance, SessionState, TrainingPlan, TrainingSession

from .factories import SIGNATURE, make_plan, make_session, sign_in, standard_topics

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    plan = make_plan(hospital=HospitalFactory(name="Hospital A"), title="ICU training")
    return make_session(plan=plan, place="Teaching room")


@pytest.fixture
def department(session):
    return DepartmentFactory(hospital=session.hospital, name="ICU")


def url(name, *args):
    return reverse(f"training:{name}", args=args)


# --- the vendor's office plans ----------------------------------------------------------
def test_a_manager_creates_a_plan_and_a_session(client):
    client.force_login(vendor_user(VendorRole.MANAGER))
    contract = ContractFactory()
    page = client.get(url("plan_create") + f"?contract={contract.pk}")
    assert page.status_code == 200
    response = client.post(url("plan_create"), {"contract": contract.pk, "title": "Plan 2026"})
    plan = TrainingPlan.objects.get()
    assert response.status_code == 302 and response.url == url("plan_detail", plan.pk)
    assert plan.hospital_id == contract.hospital_id

    engineer = vendor_user(VendorRole.ENGINEER, first_name="Wei")
    icu = DepartmentFactory(hospital=plan.hospital, name="ICU")
    topics = standard_topics()
    form = {
        "topics": [topics[0].pk, topics[2].pk],
        "topic_text": "",
        "lecturer": engineer.pk,
        "starts_at": "2026-03-02T09:30",
        "duration_minutes": "90",
        "place": "Room 3",
        "audience_departments": [icu.pk],
        "content": "",
    }
    response = client.post(url("session_create", plan.pk), form)
    session = TrainingSession.objects.get()
    assert response.status_code == 302 and response.url == url("session_detail", session.pk)
    # The form's time is the hospital's local time (Asia/Shanghai: UTC+8).
    assert session.starts_at.isoformat() == "2026-03-02T01:30:00+00:00"
    assert session.duration == timedelta(minutes=90)
    detail = client.get(url("session_detail", session.pk)).content.decode()
    assert "2026-03-02 09:30" in detail and "Room 3" in detail
    assert url("attendance_sign", session.pk) in detail
    assert "Free of charge" in detail and "R-2.1" not in detail  # no plan ids on a page


def test_bad_session_input_shows_field_errors_and_saves_nothing(client, session):
    client.force_login(vendor_user(VendorRole.MANAGER))
    dispatcher = vendor_user(VendorRole.DISPATCHER)
    form = {"lecturer": dispatcher.pk, "starts_at": "", "duration_minutes": "0", "place": ""}
    response = client.post(url("session_create", session.plan_id), form)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"lecturer", "starts_at", "duration_minutes", "place"} <= set(errors)
    # No topic at all: the service's message on the topics field.
    engineer = session.lecturer
    form = {"lecturer": engineer.pk, "starts_at": "2026-03-02T09:30", "duration_minutes": "60",
            "place": "x"}  # fmt: skip
    response = client.post(url("session_create", session.plan_id), form)
    assert response.status_code == 422
    assert "topics" in response.context["form"].errors
    assert TrainingSession.objects.count() == 1


def test_a_signed_session_cannot_be_moved_from_its_edit_page(client, session):
    sign_in(session)
    client.force_login(vendor_user(VendorRole.MANAGER))
    page = client.get(url("session_edit", session.pk))
    assert page.status_code == 200 and page.context["frozen"]
    form = {
        "topics": [t.pk for t in session.topics.all()],
        "lecturer": session.lecturer_id,
        "starts_at": "2030-01-01T09:00",
        "duration_minutes": "120",
        "place": session.place,
    }
    response = client.post(url("session_edit", session.pk), form)
    assert response.status_code == 422
    assert "no longer change" in response.content.decode()


@pytest.mark.parametrize("role", [VendorRole.ENGINEER, VendorRole.DISPATCHER])
def test_only_the_office_plans(client, session, role):
    client.force_login(vendor_user(role))
    for name, args in (
        ("plan_create", ()),
        ("plan_edit", (session.plan_id,)),
        ("session_create", (session.plan_id,)),
        ("session_edit", (session.pk,)),
    ):
        assert client.get(url(name, *args)).status_code == 403, name
    assert client.get(url("session_detail", session.pk)).status_code == 200


# --- the sign-in page -------------------------------------------------------------------
def test_an_engineer_runs_the_sign_in_page_one_attendee_after_the_other(
    client, session, department
):
    client.force_login(session.lecturer)
    sign_url = url("attendance_sign", session.pk)
    page = client.get(sign_url)
    assert page.status_code == 200
    assert b"signature-canvas" in page.content and b"signature_pad" in page.content
    response = client.post(
        sign_url,
        {"name": "Wang Fang", "department": department.pk, "role": "Nurse", "signature": SIGNATURE},
    )
    # It stays on the page for the next attendee, with a thank-you.
    assert response.status_code == 302 and response.url == sign_url
    follow = client.get(sign_url)
    assert "Thank you, Wang Fang" in follow.content.decode()
    attendance = Attendance.objects.get()
    assert attendance.recorded_by == session.lecturer and attendance.signature_image
    # The phone submits again: refused, with a clear message, nothing added.
    again = client.post(
        sign_url, {"name": "wang fang", "department": department.pk, "signature": SIGNATURE}
    )
    assert again.status_code == 409
    assert "wang fang has already signed in to this session." in again.content.decode()
    assert Attendance.objects.count() == 1


def test_the_sign_in_page_shows_attendees_no_menu_of_the_logged_in_manager(client, session):
    """The tablet goes from attendee to attendee while the office is logged in: the sign-in
    page has no menu, no account menu and no link into the session's management."""
    client.force_login(vendor_user(VendorRole.MANAGER))
    page = client.get(url("attendance_sign", session.pk)).content.decode()
    assert 'id="sign-in-form"' in page
    assert 'id="mainnav"' not in page  # the main menu and the account's drop-down
    for management in (
        reverse("training:session_list"),
        reverse("training:plan_list"),
        url("session_detail", session.pk),
        reverse("service:board"),
        reverse("accounts:logout"),
        "/",
    ):
        assert f'href="{management}"' not in page, management
    # Any other page keeps the manager's menu.
    detail = client.get(url("session_detail", session.pk)).content.decode()
    assert 'id="mainnav"' in detail and f'href="{reverse("training:session_list")}"' in detail


def test_the_sign_in_page_wants_a_signature_until_the_sheet_is_uploaded(
    client, session, department
):
    client.force_login(session.lecturer)
    sign_url = url("attendance_sign", session.pk)
    response = client.post(sign_url, {"name": "Li", "department": department.pk, "signature": ""})
    assert response.status_code == 422
    assert "signature" in response.context["form"].errors
    upload = client.post(
        url("sheet_upload", session.pk),
        {"sign_in_sheet": SimpleUploadedFile("sheet.jpg", b"\xff\xd8jpeg", "image/jpeg")},
    )
    assert upload.status_code == 302
    assert b"optional" in client.get(sign_url).content
    response = client.post(sign_url, {"name": "Li", "department_text": "Visiting", "signature": ""})
    assert response.status_code == 302
    assert Attendance.objects.get().method == "sheet"
    sheet = client.get(url("sheet_file", session.pk))
    assert sheet.status_code == 200 and sheet["Content-Security-Policy"] == "sandbox"


def test_the_sign_in_page_is_closed_before_the_sessions_day(client):
    future = make_session(starts_at=timezone.now() + timedelta(days=3))
    client.force_login(future.lecturer)
    page = client.get(url("attendance_sign", future.pk))
    assert page.status_code == 200 and "Sign-in opens on" in page.content.decode()
    response = client.post(url("attendance_sign", future.pk), {"name": "x", "signature": SIGNATURE})
    assert response.status_code == 409
    assert not Attendance.objects.exists()


def test_the_hospitals_equipment_admin_runs_the_sign_in_and_reads(client, session, department):
    client.force_login(hospital_user(session.hospital))
    assert client.get(url("session_detail", session.pk)).status_code == 200
    assert client.get(url("session_list")).status_code == 200
    response = client.post(
        url("attendance_sign", session.pk),
        {"name": "Staff", "department": department.pk, "signature": SIGNATURE},
    )
    assert response.status_code == 302
    assert client.get(url("session_edit", session.pk)).status_code == 403
    assert client.get(url("plan_create")).status_code == 403
    material = client.post(
        url("material_add", session.pk),
        {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert material.status_code == 403


def test_department_users_only_read(client, session, department):
    attendance = sign_in(session)
    user = hospital_user(session.hospital, HospitalRole.DEPARTMENT_USER, departments=[department])
    client.force_login(user)
    detail = client.get(url("session_detail", session.pk))
    assert detail.status_code == 200
    assert url("attendance_sign", session.pk) not in detail.content.decode()
    assert client.get(url("attendance_sign", session.pk)).status_code == 403
    assert client.post(url("attendance_score", attendance.pk), {"score": "50"}).status_code == 403
    assert client.get(url("attendance_certificate", attendance.pk)).status_code == 200


def test_another_hospital_gets_404_everywhere(client, session):
    attendance = sign_in(session)
    services.training_sheet_upload(session=session, file=ContentFile(b"x", name="s.pdf"))
    material = services.training_material_add(session=session, file=ContentFile(b"x", name="m.pdf"))
    client.force_login(hospital_user(HospitalFactory(name="Hospital B")))
    for name, pk in (
        ("plan_detail", session.plan_id),
        ("session_detail", session.pk),
        ("attendance_sign", session.pk),
        ("attendance_pdf", session.pk),
        ("sheet_file", session.pk),
        ("material_file", material.pk),
        ("attendance_certificate", attendance.pk),
        ("signature_image", attendance.pk),
    ):
        assert client.get(url(name, pk)).status_code == 404, name
    for name, pk in (("attendance_sign", session.pk), ("attendance_score", attendance.pk)):
        assert client.post(url(name, pk), {"name": "x", "score": "1"}).status_code == 404, name
    assert "Hospital A" not in client.get(url("session_list") + "?when=all").content.decode()
    assert "ICU training" not in client.get(url("plan_list")).content.decode()


# --- files, PDFs, scores, states --------------------------------------------------------
def test_materials_signatures_and_pdfs_are_served_after_the_scope_check(client, session):
    attendance = sign_in(session)
    client.force_login(session.lecturer)
    response = client.post(
        url("material_add", session.pk),
        {
            "title": "Slides",
            "file": SimpleUploadedFile("slides.pdf", b"%PDF-1.4 x", "application/pdf"),
        },
    )
    assert response.status_code == 302
    material = session.materials.get()
    served = client.get(url("material_file", material.pk))
    assert served.status_code == 200 and b"".join(served.streaming_content) == b"%PDF-1.4 x"
    assert served["Content-Security-Policy"] == "sandbox"
    bad = client.post(
        url("material_add", session.pk),
        {"file": SimpleUploadedFile("x.exe", b"MZ", "application/octet-stream")},
    )
    assert bad.status_code == 422 and "Upload one of these file types" in bad.content.decode()
    image = client.get(url("signature_image", attendance.pk))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    for name, pk in (("attendance_certificate", attendance.pk), ("attendance_pdf", session.pk)):
        pdf = client.get(url(name, pk))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")


def test_scores_are_recorded_after_the_session(client, session):
    attendance = sign_in(session)
    client.force_login(session.lecturer)
    response = client.post(url("attendance_score", attendance.pk), {"score": "95"})
    assert response.status_code == 302
    attendance.refresh_from_db()
    assert attendance.score == 95
    client.post(url("attendance_score", attendance.pk), {"score": "101"})
    attendance.refresh_from_db()
    assert attendance.score == 95


def test_engineers_mark_sessions_held_and_the_office_cancels(client):
    started = make_session()
    client.force_login(started.lecturer)
    client.post(url("session_state", started.pk), {"state": "held"})
    started.refresh_from_db()
    assert started.state == SessionState.HELD
    future = make_session(starts_at=timezone.now() + timedelta(days=3))
    assert client.post(url("session_state", future.pk), {"state": "cancelled"}).status_code == 403
    client.force_login(vendor_user(VendorRole.MANAGER))
    client.post(url("session_state", future.pk), {"state": "cancelled"})
    future.refresh_from_db()
    assert future.state == SessionState.CANCELLED
    assert client.get(url("session_state", future.pk)).status_code == 405


def test_lists_show_upcoming_and_past_sessions(client, session):
    upcoming = make_session(plan=session.plan, starts_at=timezone.now() + timedelta(days=2),
                            place="Upcoming hall")  # fmt: skip
    client.force_login(vendor_user(VendorRole.DISPATCHER))
    page = client.get(url("session_list")).content.decode()
    # The session under way (started an hour ago, two hours long) is still upcoming.
    assert "Upcoming hall" in page and "Teaching room" in page
    past = client.get(url("session_list") + "?when=past").content.decode()
    assert "Teaching room" in past and "Upcoming hall" not in past
    plans = client.get(url("plan_list")).content.decode()
    assert "ICU training" in plans
    detail = client.get(url("plan_detail", session.plan_id)).content.decode()
    assert upcoming.number in detail and session.number in detail
