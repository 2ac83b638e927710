"""Training services (R-2.1, R-2.2): the seed's standard topics, plans per contract, session
validation, attendance signed on screen or from the paper sheet, duplicates, freezing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import VendorRole
from accounts.tests.factories import UserFactory, vendor_user
from contracts.tests.factories import ContractFactory
from core.errors import Conflict
from core.signatures import content_hash
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from training import services
from training.models import (
    Attendance,
    AttendanceMethod,
    SessionState,
    TrainingMaterial,
    TrainingPlan,
    TrainingSession,
    TrainingTopic,
)

from .factories import (
    SIGNATURE,
    data_url,
    department_of,
    make_plan,
    make_session,
    sign_in,
    signature_png,
    standard_topics,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- topics and plans -------------------------------------------------------------------
def test_the_seeds_three_standard_topics_are_loaded_verbatim_and_editable():
    """R-2.1 (a)-(c), in the seed's words (§二)."""
    topics = standard_topics()
    assert [t.name_zh for t in topics] == [
        "产品性能、特点、结构的原理及分析",
        "产品应用及安装的要求及规范",
        "产品运行操作及维护保养的要点及注意事项",
    ]
    assert [t.key for t in topics] == ["performance", "installation", "operation-maintenance"]
    assert all(t.name_en and t.active for t in topics)
    # Editable rows: an edit survives reloading the data migration (idempotent).
    topics[0].name_en = "Edited"
    topics[0].save()
    from importlib import import_module

    from django.apps import apps

    import_module("training.migrations.0002_standard_topics").load(apps, None)
    assert TrainingTopic.objects.filter(standard=True).count() == 3
    assert TrainingTopic.objects.get(key="performance").name_en == "Edited"


def test_a_plan_belongs_to_its_contracts_hospital():
    contract = ContractFactory()
    plan = services.training_plan_create(contract=contract, title="  培训计划  ")
    assert plan.hospital_id == contract.hospital_id
    assert plan.title == "培训计划"
    with pytest.raises(ValidationError) as info:
        services.training_plan_create(contract=contract, title=" ")
    assert "title" in info.value.message_dict


def test_training_is_free_no_price_anywhere():
    """R-2.1: training never produces a charge; the models have nothing to price."""
    money_words = ("price", "fee", "charge", "cost", "amount", "currency")
    for model in (TrainingPlan, TrainingSession, Attendance, TrainingMaterial, TrainingTopic):
        names = [f.name for f in model._meta.get_fields()]
        assert not [n for n in names if any(w in n for w in money_words)], model
        assert "R-2.1" in (model.__doc__ or "") or model in (TrainingMaterial, TrainingTopic)


# --- sessions ---------------------------------------------------------------------------
def test_a_session_is_numbered_and_takes_topics_lecturer_and_audience():
    plan = make_plan()
    icu = DepartmentFactory(hospital=plan.hospital, name="ICU")
    manager = vendor_user(VendorRole.MANAGER)
    starts = datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)
    session = services.training_session_create(
        plan=plan,
        lecturer=manager,
        starts_at=starts,
        duration=timedelta(minutes=90),
        place="Room 1",
        topics=standard_topics(),
        topic_text="呼吸机报警处理",
        audience_departments=[icu],
        content="Hands-on",
    )
    assert session.number == "TR-2026-0001"
    assert session.hospital_id == plan.hospital_id
    assert session.state == SessionState.PLANNED
    assert session.ends_at == starts + timedelta(minutes=90)
    assert len(session.topic_names()) == 4 and session.topic_names()[-1] == "呼吸机报警处理"
    assert list(session.audience_departments.all()) == [icu]


def test_a_free_topic_alone_is_enough():
    session = make_session(topics=[], topic_text="除颤仪日常检查")
    assert session.topic_names() == ["除颤仪日常检查"]


@pytest.mark.parametrize(
    ("role", "hospital_side"),
    [(VendorRole.DISPATCHER, False), (VendorRole.ADMIN, False), ("", True)],
)
def test_the_lecturer_must_be_a_service_manager_or_engineer(role, hospital_side):
    """R-2.2: lecturers are the service manager and the service engineers."""
    plan = make_plan()
    user = hospital_user(plan.hospital) if hospital_side else vendor_user(role)
    with pytest.raises(ValidationError) as info:
        make_session(plan=plan, lecturer=user)
    assert "lecturer" in info.value.message_dict
    assert not TrainingSession.objects.exists()


def test_an_inactive_engineer_cannot_lecture():
    with pytest.raises(ValidationError) as info:
        make_session(lecturer=UserFactory(vendor_role=VendorRole.ENGINEER, is_active=False))
    assert "lecturer" in info.value.message_dict


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("starts_at", {"starts_at": datetime(2026, 3, 2, 9, 30)}),  # naive
        ("duration", {"duration": timedelta(0)}),
        ("duration", {"duration": timedelta(hours=25)}),
        ("place", {"place": "  "}),
        ("topics", {"topics": [], "topic_text": ""}),
    ],
)
def test_bad_session_input_is_refused_on_its_field_and_saves_nothing(field, overrides):
    with pytest.raises(ValidationError) as info:
        make_session(**overrides)
    assert field in info.value.message_dict
    assert not TrainingSession.objects.exists()


def test_the_audience_comes_from_the_plans_hospital():
    plan = make_plan()
    other = DepartmentFactory(hospital=HospitalFactory())
    with pytest.raises(ValidationError) as info:
        make_session(plan=plan, audience_departments=[other])
    assert "audience_departments" in info.value.message_dict


def test_a_session_with_signed_attendees_keeps_what_they_signed_for():
    session = make_session()
    sign_in(session)
    with pytest.raises(ValidationError) as info:
        services.training_session_update(
            session=session, starts_at=session.starts_at + timedelta(hours=1)
        )
    assert info.value.code == "frozen"
    with pytest.raises(ValidationError):
        services.training_session_update(session=session, topics=standard_topics()[2:])
    # Content and audience may still change, the rest stays.
    updated = services.training_session_update(session=session, content="Slides updated")
    assert updated.content == "Slides updated"
    session.refresh_from_db()
    assert session.content == "Slides updated"


def test_an_unsigned_session_can_be_moved():
    session = make_session(starts_at=timezone.now() + timedelta(days=3))
    later = session.starts_at + timedelta(days=1)
    services.training_session_update(session=session, starts_at=later, place="Hall")
    session.refresh_from_db()
    assert (session.starts_at, session.place) == (later, "Hall")


def test_states_held_and_cancelled():
    future = make_session(starts_at=timezone.now() + timedelta(days=2))
    with pytest.raises(Conflict) as info:
        services.training_session_set_state(session=future, state=SessionState.HELD)
    assert info.value.code == "session_not_started"
    cancelled = services.training_session_set_state(session=future, state=SessionState.CANCELLED)
    assert cancelled.state == SessionState.CANCELLED
    with pytest.raises(ValidationError):
        services.training_session_update(session=cancelled, place="x")

    signed = make_session()
    sign_in(signed)
    with pytest.raises(Conflict):
        services.training_session_set_state(session=signed, state=SessionState.CANCELLED)


# --- attendance -------------------------------------------------------------------------
def test_an_attendee_signs_in_with_a_signature_bound_by_its_hash():
    session = make_session()
    department = department_of(session)
    engineer = session.lecturer
    attendance = services.attendance_record(
        session=session,
        name=" 王  芳 ",
        department=department,
        role="护士长",
        signature_data_url=SIGNATURE,
        score=88,
        recorded_by=engineer,
    )
    assert attendance.name == "王 芳"
    assert attendance.method == AttendanceMethod.SIGNED
    assert attendance.certificate_no == f"{session.number}-001"
    assert attendance.score == 88
    assert attendance.signature_image.name.endswith(".png")
    content = services.attendance_content(attendance)
    assert content["name"] == "王 芳" and content["department"] == "重症医学科"
    assert content["topics"][0] == "产品性能、特点、结构的原理及分析"
    assert attendance.content_hash == content_hash(content, signature_png())
    assert services.attendance_signature_matches(attendance)
    # Signing in means the session takes place.
    session.refresh_from_db()
    assert session.state == SessionState.HELD
    assert sign_in(session, "赵六").certificate_no == f"{session.number}-002"


def test_a_double_sign_in_of_the_same_name_is_refused_clearly():
    """A phone that submits twice: one attendance, and a message that says why."""
    session = make_session()
    sign_in(session, "张三")
    with pytest.raises(Conflict) as info:
        sign_in(session, " 张 三", department_text="急诊科")
    assert info.value.code == "duplicate_attendee"
    assert "张 三 has already signed in" in info.value.message
    assert Attendance.objects.filter(session=session).count() == 1
    # The same name on another session is another sign-in.
    assert sign_in(make_session(plan=session.plan), "张三")


def test_the_database_refuses_a_duplicate_too():
    session = make_session()
    first = sign_in(session, "Li Na")
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(
            session=session,
            certificate_no="X-1",
            name="LI NA",
            name_key=first.name_key,
            method=AttendanceMethod.SHEET,
            signed_at=timezone.now(),
            content_hash="0" * 64,
        )


def test_without_a_paper_sheet_every_attendee_signs_on_screen():
    session = make_session()
    with pytest.raises(ValidationError) as info:
        sign_in(session, signature=None)
    assert "signature" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        sign_in(session, signature=data_url(signature_png(ink=False)))
    assert "empty" in info.value.message_dict["signature"][0]
    assert not Attendance.objects.exists()


def test_after_the_sheet_is_uploaded_attendees_may_be_entered_without_signature():
    session = make_session()
    services.training_sheet_upload(
        session=session, file=ContentFile(b"%PDF-1.4 sheet", name="签到表.pdf")
    )
    attendance = sign_in(session, "陈医生", signature=None, department_text="外院进修")
    assert attendance.method == AttendanceMethod.SHEET
    assert not attendance.signature_image
    assert attendance.department_name == "外院进修"
    assert services.attendance_signature_matches(attendance)


@pytest.mark.parametrize("score", [101, -1])
def test_the_score_is_0_to_100(score):
    session = make_session()
    with pytest.raises(ValidationError) as info:
        sign_in(session, score=score)
    assert "score" in info.value.message_dict
    attendance = sign_in(session, score=100)
    with pytest.raises(ValidationError):
        services.attendance_set_score(attendance=attendance, score=score)
    assert services.attendance_set_score(attendance=attendance, score=None).score is None
    assert services.attendance_set_score(attendance=attendance, score=0).score == 0


def test_the_department_is_one_of_the_hospital_or_written_in():
    session = make_session()
    other = DepartmentFactory(hospital=HospitalFactory(), name="Other ICU")
    with pytest.raises(ValidationError) as info:
        sign_in(session, department=other)
    assert "department" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.attendance_record(session=session, name="x", signature_data_url=SIGNATURE)
    assert "department" in info.value.message_dict


def test_no_sign_in_on_a_cancelled_session_or_before_its_day():
    tomorrow = make_session(starts_at=timezone.now() + timedelta(days=2))
    with pytest.raises(Conflict) as info:
        sign_in(tomorrow)
    assert info.value.code == "sign_in_not_open"
    services.training_session_set_state(session=tomorrow, state=SessionState.CANCELLED)
    with pytest.raises(Conflict) as info:
        sign_in(tomorrow)
    assert info.value.code == "session_cancelled"


def test_sign_in_opens_on_the_sessions_local_day():
    """09:00 in Shanghai on 2 March is 01:00 UTC: sign-in opens at local midnight."""
    with time_machine.travel(datetime(2026, 3, 1, 15, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        session = make_session(starts_at=datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))
        with pytest.raises(Conflict):
            sign_in(session)  # 23:30 on 1 March in Shanghai
    with time_machine.travel(datetime(2026, 3, 1, 16, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        assert sign_in(session)  # 00:30 on 2 March in Shanghai


# --- files ------------------------------------------------------------------------------
def test_uploads_are_checked_and_a_new_sheet_replaces_the_old():
    session = make_session()
    with pytest.raises(ValidationError) as info:
        services.training_sheet_upload(session=session, file=ContentFile(b"x", name="a.exe"))
    assert "sign_in_sheet" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.training_material_add(session=session, file=ContentFile(b"", name="a.pdf"))
    assert "file" in info.value.message_dict
    first = services.training_sheet_upload(session=session, file=ContentFile(b"1", name="a.jpg"))
    first_name = first.sign_in_sheet.name
    second = services.training_sheet_upload(session=session, file=ContentFile(b"2", name="b.png"))
    assert second.sign_in_sheet.name != first_name and second.sheet_uploaded_at
    material = services.training_material_add(
        session=session, file=ContentFile(b"slides", name="培训课件.pptx")
    )
    assert material.title == "培训课件"
    assert material.file.name.startswith(f"training/{session.number}/")
