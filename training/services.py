"""Writes of customer training (R-2.1, R-2.2): plans, sessions, materials, the paper sign-in
sheet, and attendance signed on screen.

Training is free (R-2.1): no function here prices anything or produces a charge.
Signed means frozen (GUIDE 7): once an attendee has signed in, what they signed for (the
session's topics, time, lecturer and place) no longer changes, and each attendance stores
the SHA-256 of that content and of the signature image.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User, VendorRole
from contracts.models import Contract
from core.errors import Conflict
from core.modeling import model_update, validated_save
from core.numbering import next_number
from core.signatures import content_hash
from core.signing import SignatureRole, SignedDocument
from core.signing import workflow as signing
from customers.models import Department

from .models import (
    MAX_SCORE,
    Attendance,
    AttendanceMethod,
    SessionState,
    TrainingMaterial,
    TrainingPlan,
    TrainingSession,
    TrainingTopic,
)

LECTURER_ROLES = (VendorRole.MANAGER, VendorRole.ENGINEER)
MAX_DURATION = timedelta(hours=24)
MAX_MATERIAL_BYTES = 50 * 1024 * 1024
MAX_SHEET_BYTES = 20 * 1024 * 1024
SHEET_TYPES = (".pdf", ".jpg", ".jpeg", ".png")
MATERIAL_TYPES = (
    ".pdf", ".ppt", ".pptx", ".doc", ".docx", ".xls", ".xlsx", ".txt",
    ".jpg", ".jpeg", ".png", ".mp4",
)  # fmt: skip
# What an attendee's signature vouches for, besides the attendee: these never change once
# someone has signed in.
SIGNED_SESSION_FIELDS = ("topics", "topic_text", "lecturer", "starts_at", "duration", "place")
SESSION_FIELDS = (*SIGNED_SESSION_FIELDS, "content", "audience_departments")


def name_key(name: str) -> str:
    """The name as compared for duplicates: spaces collapsed, case folded (张 三 = 张三)."""
    return "".join(name.split()).casefold()


def is_lecturer(user: User | None) -> bool:
    """R-2.2: the lecturers are the service manager and the service engineers."""
    return bool(user is not None and user.is_active and user.vendor_role in LECTURER_ROLES)


def local_day(session: TrainingSession, at: datetime):
    return at.astimezone(ZoneInfo(session.hospital.time_zone)).date()


# --- plans ------------------------------------------------------------------------------
@transaction.atomic
def training_plan_create(*, contract: Contract, title: str, notes: str = "") -> TrainingPlan:
    """A training plan for the equipment of ``contract``; its hospital is the contract's."""
    plan = TrainingPlan(
        contract=contract,
        hospital_id=contract.hospital_id,
        title=(title or "").strip(),
        notes=notes or "",
    )
    return validated_save(plan)


@transaction.atomic
def training_plan_update(*, plan: TrainingPlan, **data: Any) -> TrainingPlan:
    if "title" in data:
        data["title"] = (data["title"] or "").strip()
    return model_update(instance=plan, data=data, fields=("title", "notes"))


# --- sessions ---------------------------------------------------------------------------
def _session_errors(
    *,
    plan: TrainingPlan,
    lecturer: User | None,
    starts_at: datetime | None,
    duration: timedelta | None,
    place: str,
    topics: list[TrainingTopic],
    topic_text: str,
    audience_departments: list[Department],
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not topics and not topic_text:
        errors["topics"] = _("Choose a topic or describe one.")
    if not is_lecturer(lecturer):
        errors["lecturer"] = _(
            "The lecturer must be an active service manager or service engineer."
        )
    if starts_at is None:
        errors["starts_at"] = _("Give the start time.")
    elif timezone.is_naive(starts_at):
        errors["starts_at"] = _("Give the time with its time zone.")
    if duration is None or duration <= timedelta(0):
        errors["duration"] = _("The duration must be longer than zero.")
    elif duration > MAX_DURATION:
        errors["duration"] = _("A session lasts at most 24 hours: plan several sessions.")
    if not place:
        errors["place"] = _("Say where the session takes place.")
    foreign = [d for d in audience_departments if d.hospital_id != plan.hospital_id]
    if foreign:
        errors["audience_departments"] = _("Choose departments of %(hospital)s only.") % {
            "hospital": plan.hospital.name
        }
    return errors


@transaction.atomic
def training_session_create(
    *,
    plan: TrainingPlan,
    lecturer: User | None,
    starts_at: datetime | None,
    duration: timedelta | None,
    place: str,
    topics: Iterable[TrainingTopic] = (),
    topic_text: str = "",
    audience_departments: Iterable[Department] = (),
    content: str = "",
) -> TrainingSession:
    """Schedule a session of ``plan`` (R-2.2). No price: training is free (R-2.1)."""
    topics, audience = list(topics or []), list(audience_departments or [])
    topic_text, place = (topic_text or "").strip(), (place or "").strip()
    errors = _session_errors(
        plan=plan,
        lecturer=lecturer,
        starts_at=starts_at,
        duration=duration,
        place=place,
        topics=topics,
        topic_text=topic_text,
        audience_departments=audience,
    )
    if errors:
        raise ValidationError(errors)
    assert starts_at is not None and duration is not None and lecturer is not None
    year = starts_at.astimezone(ZoneInfo(settings.TIME_ZONE)).year
    session = TrainingSession(
        plan=plan,
        hospital_id=plan.hospital_id,
        number=next_number(key="TR", year=year, width=4),
        topic_text=topic_text,
        content=content or "",
        lecturer=lecturer,
        starts_at=starts_at,
        duration=duration,
        place=place,
    )
    validated_save(session)
    session.topics.set(topics)
    session.audience_departments.set(audience)
    return session


def _locked(session: TrainingSession) -> TrainingSession:
    # Only the session's row: the hospital, plan and lecturer are read, not locked.
    return (
        TrainingSession.objects.select_for_update(of=("self",))
        .select_related("hospital", "plan__hospital", "lecturer")
        .get(pk=session.pk)
    )


@transaction.atomic
def training_session_update(*, session: TrainingSession, **fields: Any) -> TrainingSession:
    """Change a session (PATCH semantics: only the given fields). Once someone signed in,
    what they signed for stays as it was; content and audience can still change."""
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown session fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    session = _locked(session)
    if session.state == SessionState.CANCELLED:
        raise ValidationError(_("The session is cancelled: it can no longer change."))
    current: dict[str, Any] = {
        "topics": list(session.topics.all()),
        "topic_text": session.topic_text,
        "lecturer": session.lecturer,
        "starts_at": session.starts_at,
        "duration": session.duration,
        "place": session.place,
        "content": session.content,
        "audience_departments": list(session.audience_departments.all()),
    }
    new = dict(current)
    for name, value in fields.items():
        if name in ("topics", "audience_departments"):
            value = list(value or [])
        elif name in ("topic_text", "place", "content"):
            value = (value or "").strip()
        new[name] = value
    changed = [name for name in SIGNED_SESSION_FIELDS if _differs(current[name], new[name])]
    if changed:
        signing.refuse_if_frozen(TRAINING_SESSION, session)
    errors = _session_errors(
        plan=session.plan,
        lecturer=new["lecturer"],
        starts_at=new["starts_at"],
        duration=new["duration"],
        place=new["place"],
        topics=new["topics"],
        topic_text=new["topic_text"],
        audience_departments=new["audience_departments"],
    )
    if errors:
        raise ValidationError(errors)
    for name in ("topic_text", "lecturer", "starts_at", "duration", "place", "content"):
        setattr(session, name, new[name])
    validated_save(session)
    session.topics.set(new["topics"])
    session.audience_departments.set(new["audience_departments"])
    return session


def _differs(before: Any, after: Any) -> bool:
    if isinstance(before, list):
        return sorted(o.pk for o in before) != sorted(o.pk for o in after)
    return before != after


@transaction.atomic
def training_session_set_state(
    *, session: TrainingSession, state: str, now: datetime | None = None
) -> TrainingSession:
    """Mark a planned session held (once it has started) or cancel it (while nobody has
    signed in). Anything else contradicts the session's state: ``Conflict``."""
    now = now or timezone.now()
    session = _locked(session)
    if state == session.state:
        return session
    if state == SessionState.HELD:
        if session.state != SessionState.PLANNED:
            raise Conflict("session_cancelled", _("The session is cancelled."))
        if now < session.starts_at:
            raise Conflict("session_not_started", _("The session has not started yet."))
    elif state == SessionState.CANCELLED:
        if session.state != SessionState.PLANNED or session.attendances.exists():
            raise Conflict(
                "session_held",
                _(
                    "Attendees have signed in to this session: it took place and cannot be "
                    "cancelled."
                ),
            )
    else:
        raise ValidationError({"state": _("Mark the session held or cancelled.")})
    session.state = state
    session.save(update_fields=["state", "updated_at"])
    return session


def _check_upload(file: File | None, *, field: str, types: tuple[str, ...], max_bytes: int) -> str:
    """The lower-case extension of an acceptable upload, or a ``ValidationError`` on ``field``."""
    name = getattr(file, "name", None) or ""
    if file is None or not name:
        raise ValidationError({field: _("Choose a file.")})
    ext = os.path.splitext(name)[1].lower()
    if ext not in types:
        raise ValidationError(
            {field: _("Upload one of these file types: %(types)s.") % {"types": ", ".join(types)}}
        )
    if (file.size or 0) > max_bytes:
        raise ValidationError(
            {field: _("The file is larger than %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}}
        )
    if not file.size:
        raise ValidationError({field: _("The file is empty.")})
    return ext


def _delete_on_commit(storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def training_material_add(
    *, session: TrainingSession, file: File, title: str = "", uploaded_by: User | None = None
) -> TrainingMaterial:
    _check_upload(file, field="file", types=MATERIAL_TYPES, max_bytes=MAX_MATERIAL_BYTES)
    session = _locked(session)
    filename = os.path.basename(file.name or "")
    title = (title or "").strip() or os.path.splitext(filename)[0]
    material = TrainingMaterial(session=session, title=title[:200], uploaded_by=uploaded_by)
    material.file.save(filename, file, save=False)
    try:
        validated_save(material)
    except Exception:
        material.file.storage.delete(material.file.name)
        raise
    return material


@transaction.atomic
def training_sheet_upload(
    *, session: TrainingSession, file: File, now: datetime | None = None
) -> TrainingSession:
    """The paper sign-in sheet (scan or photo): from then on attendees may be entered
    without a signature on screen. A new upload replaces the old one."""
    now = now or timezone.now()
    _check_upload(file, field="sign_in_sheet", types=SHEET_TYPES, max_bytes=MAX_SHEET_BYTES)
    session = _locked(session)
    if session.state == SessionState.CANCELLED:
        raise Conflict("session_cancelled", _("The session is cancelled."))
    old = session.sign_in_sheet.name if session.sign_in_sheet else ""
    session.sign_in_sheet.save(os.path.basename(file.name or ""), file, save=False)
    session.sheet_uploaded_at = now
    try:
        session.save(update_fields=["sign_in_sheet", "sheet_uploaded_at", "updated_at"])
    except Exception:
        session.sign_in_sheet.storage.delete(session.sign_in_sheet.name)
        raise
    if old and old != session.sign_in_sheet.name:
        _delete_on_commit(session.sign_in_sheet.storage, old)
    return session


# --- attendance -------------------------------------------------------------------------
class TrainingSessionDocument(SignedDocument[TrainingSession]):
    """A session in the signing workflow: every attendee signs (on screen, or is entered from
    the paper sheet) what the session is; the first sign-in freezes those fields. Each
    attendance stores the hash of the session's content with the attendee's own."""

    key = "training_session"
    model = TrainingSession
    roles = (SignatureRole.HOSPITAL,)
    frozen_fields = SIGNED_SESSION_FIELDS
    frozen_message = gettext_lazy(
        "Attendees have signed in to this session, so its topics, time, lecturer "
        "and place can no longer change."
    )

    def content(self, document: TrainingSession) -> dict[str, Any]:
        """What the session is, independent of the reader's language."""
        topics = [topic.name_zh for topic in document.topics.order_by("sort_order", "pk")]
        if document.topic_text:
            topics.append(document.topic_text)
        lecturer = document.lecturer
        return {
            "session": document.number,
            "topics": topics,
            "starts_at": document.starts_at,
            "duration_minutes": int(document.duration.total_seconds() // 60),
            "lecturer": lecturer.get_full_name() or lecturer.get_username(),
            "place": document.place,
        }

    def is_frozen(self, document: TrainingSession) -> bool:
        return document.attendances.exists()

    def frozen_error(self, document: TrainingSession) -> Exception:
        return ValidationError(str(self.frozen_message), code="frozen")


TRAINING_SESSION = TrainingSessionDocument()


def attendance_content(attendance: Attendance) -> dict[str, Any]:
    """What an attendee's signature vouches for: the session, and who signed in how."""
    return {
        **TRAINING_SESSION.content(attendance.session),
        "name": attendance.name,
        "department": attendance.department_name,
        "role": attendance.role,
        "method": attendance.method,
    }


def attendance_signature_matches(attendance: Attendance) -> bool:
    """Does the stored hash still match the content and the image? (An audit check.)"""
    return signing.hash_matches(
        attendance_content(attendance), attendance.signature_image, attendance.content_hash
    )


def _score_error(score: int | None) -> str | None:
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= MAX_SCORE:
        return _("The score is a whole number from 0 to 100.")
    return None


def _next_certificate_no(session: TrainingSession) -> str:
    numbers = Attendance.objects.filter(session=session).values_list("certificate_no", flat=True)
    sequence = max((int(no.rsplit("-", 1)[1]) for no in numbers), default=0) + 1
    return f"{session.number}-{sequence:03d}"


@transaction.atomic
def attendance_record(
    *,
    session: TrainingSession,
    name: str,
    department: Department | None = None,
    department_text: str = "",
    role: str = "",
    signature_data_url: str | None = None,
    score: int | None = None,
    recorded_by: User | None = None,
    now: datetime | None = None,
) -> Attendance:
    """An attendee signs in (R-2.1): on screen, or entered from the uploaded paper sheet
    (then without a signature). The first sign-in marks a planned session held.

    Refused with ``Conflict``: the same name twice on one session (a phone that submits
    twice), a cancelled session, a sign-in before the session's day.
    """
    now = now or timezone.now()
    name = " ".join((name or "").split())
    department_text = (department_text or "").strip()
    role = (role or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Write the attendee's name.")
    elif len(name) > 100:
        errors["name"] = _("The name is too long.")
    if department is not None and department.hospital_id != session.hospital_id:
        errors["department"] = _("Choose a department of this hospital.")
    elif department is None and not department_text:
        errors["department"] = _("Choose the department or write it in.")
    if len(department_text) > 100:
        errors["department_text"] = _("The department is too long.")
    if len(role) > 100:
        errors["role"] = _("The role is too long.")
    score_error = _score_error(score)
    if score_error:
        errors["score"] = score_error
    image = signing.signature_image(signature_data_url, errors, required=False)
    session = _locked(session)
    if not image and "signature" not in errors and not session.sign_in_sheet:
        errors["signature"] = _(
            "Sign in the box. Without an uploaded paper sign-in sheet, every attendee "
            "signs on screen."
        )
    if errors:
        raise ValidationError(errors)
    if session.state == SessionState.CANCELLED:
        raise Conflict("session_cancelled", _("The session is cancelled."))
    opens_on = local_day(session, session.starts_at)
    if local_day(session, now) < opens_on:
        raise Conflict(
            "sign_in_not_open",
            _("Sign-in opens on the day of the session (%(day)s).") % {"day": opens_on},
        )
    key = name_key(name)
    if Attendance.objects.filter(session=session, name_key=key).exists():
        raise Conflict(
            "duplicate_attendee",
            _("%(name)s has already signed in to this session.") % {"name": name},
        )
    attendance = Attendance(
        session=session,
        certificate_no=_next_certificate_no(session),
        name=name,
        name_key=key,
        department=department,
        department_text="" if department is not None else department_text,
        role=role,
        score=score,
        method=AttendanceMethod.SIGNED if image else AttendanceMethod.SHEET,
        signed_at=now,
        recorded_by=recorded_by,
    )
    attendance.content_hash = content_hash(attendance_content(attendance), image)
    try:
        with (
            signing.image_stored(attendance.signature_image, image, "signature"),
            transaction.atomic(),
        ):
            validated_save(attendance)
    except (IntegrityError, ValidationError) as exc:
        duplicate = Attendance.objects.filter(session=session, name_key=key).exists()
        if duplicate:  # the same name signed in concurrently
            raise Conflict(
                "duplicate_attendee",
                _("%(name)s has already signed in to this session.") % {"name": name},
            ) from exc
        raise
    if session.state == SessionState.PLANNED:
        session.state = SessionState.HELD
        session.save(update_fields=["state", "updated_at"])
    return attendance


@transaction.atomic
def attendance_set_score(*, attendance: Attendance, score: int | None) -> Attendance:
    """The short assessment's score (0-100), after the session; empty clears it."""
    error = _score_error(score)
    if error:
        raise ValidationError({"score": error})
    attendance = Attendance.objects.select_for_update().get(pk=attendance.pk)
    attendance.score = score
    attendance.save(update_fields=["score", "updated_at"])
    return attendance
