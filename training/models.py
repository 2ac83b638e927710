"""Customer training (R-2.1, R-2.2): topics, a training plan per contract, its sessions,
their materials and the attendance of the hospital's staff.

Training is free (R-2.1): nothing here has a price, a fee or a charge, and nothing here
ever produces one. The charge statements of the spare-parts issue must leave training out.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.models import Contract
from core.models import TimeStampedModel
from customers.models import Department, Hospital
from customers.scoping import scope_for

MAX_SCORE = 100


def _visible(user, hospital_field: str) -> Q:
    """Vendor staff see every hospital's training; a hospital's users (its equipment
    administrator and its department users alike) see their own hospital's."""
    scope = scope_for(user)
    if scope.all_hospitals:
        return Q()
    return Q(**{f"{hospital_field}__in": scope.visible_hospital_ids})


class TrainingTopic(TimeStampedModel):
    """What a session teaches. The seed's three standard topics (R-2.1 a-c) are loaded by a
    data migration with a ``key`` and stay editable; free topics are added as needed."""

    key = models.SlugField(
        _("key"), blank=True, help_text=_("Set on the standard topics; empty for free ones.")
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    standard = models.BooleanField(_("standard topic"), default=False)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("training topic")
        verbose_name_plural = _("training topics")
        ordering = ["sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="training_topic_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        english = (get_language() or "").startswith("en")
        return (self.name_en or self.name_zh) if english else self.name_zh


class TrainingPlanQuerySet(models.QuerySet):
    def for_user(self, user) -> TrainingPlanQuerySet:
        return self.filter(_visible(user, "hospital_id"))


class TrainingPlan(TimeStampedModel):
    """The training plan (培训方案) of a contract's equipment, R-2.1, R-2.2. The hospital
    is the contract's, copied so that scoping is one WHERE clause. Free of charge: no price
    fields, by promise (R-2.1)."""

    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        related_name="training_plans",
        verbose_name=_("contract"),
    )
    hospital = models.ForeignKey(
        Hospital,
        on_delete=models.PROTECT,
        related_name="training_plans",
        verbose_name=_("hospital"),
        editable=False,
    )
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    objects = TrainingPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        ordering = ["hospital__name", "contract__number", "pk"]

    def __str__(self) -> str:
        return self.title


class SessionState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class TrainingSessionQuerySet(models.QuerySet):
    def for_user(self, user) -> TrainingSessionQuerySet:
        return self.filter(_visible(user, "hospital_id"))


def _session_upload(instance: models.Model, filename: str) -> str:
    # Under the session's number: an archivist finds a session's files together.
    session = instance if isinstance(instance, TrainingSession) else instance.session  # type: ignore[attr-defined]
    stem, ext = os.path.splitext(os.path.basename(filename))
    return f"training/{session.number}/{uuid.uuid4().hex[:12]}-{stem[:80]}{ext.lower()}"


class TrainingSession(TimeStampedModel):
    """One session of a plan (R-2.2): what is taught, by whom (the service manager or a
    service engineer), when, where and for which departments. Free (R-2.1): there is no
    price here and a session never produces a charge.

    Once an attendee has signed in, what they signed for (topics, time, lecturer, place)
    no longer changes."""

    plan = models.ForeignKey(
        TrainingPlan, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("plan")
    )
    hospital = models.ForeignKey(
        Hospital,
        on_delete=models.PROTECT,
        related_name="training_sessions",
        verbose_name=_("hospital"),
        editable=False,
    )
    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    topics = models.ManyToManyField(
        TrainingTopic, blank=True, related_name="sessions", verbose_name=_("topics")
    )
    topic_text = models.CharField(
        _("other topic"),
        max_length=300,
        blank=True,
        help_text=_("A topic of this session only, in your own words."),
    )
    content = models.TextField(_("content"), blank=True)
    lecturer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="training_sessions_given",
        verbose_name=_("lecturer"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    duration = models.DurationField(_("duration"))
    place = models.CharField(_("place"), max_length=200)
    audience_departments = models.ManyToManyField(
        Department, blank=True, related_name="training_sessions", verbose_name=_("audience")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=SessionState.choices, default=SessionState.PLANNED
    )
    sign_in_sheet = models.FileField(
        _("paper sign-in sheet"), upload_to=_session_upload, blank=True, editable=False
    )
    sheet_uploaded_at = models.DateTimeField(_("sheet uploaded at"), null=True, blank=True)
    history = HistoricalRecords()

    objects = TrainingSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["hospital", "starts_at"], name="training_session_hosp_idx"),
            models.Index(fields=["lecturer", "starts_at"], name="training_session_lect_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration__gt=timedelta(0)), name="training_session_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def ends_at(self):
        return self.starts_at + self.duration

    def topic_names(self) -> list[str]:
        names = [topic.name for topic in self.topics.all()]
        if self.topic_text:
            names.append(self.topic_text)
        return names


class TrainingMaterial(TimeStampedModel):
    """A file handed out with a session (slides, manual, video). Served only by a view that
    checks the viewer's scope."""

    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.CASCADE,
        related_name="materials",
        verbose_name=_("training session"),
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=_session_upload)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        verbose_name = _("training material")
        verbose_name_plural = _("training materials")
        ordering = ["session", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def filename(self) -> str:
        return os.path.basename(self.file.name)


class AttendanceQuerySet(models.QuerySet):
    def for_user(self, user) -> AttendanceQuerySet:
        return self.filter(_visible(user, "session__hospital_id"))


class AttendanceMethod(models.TextChoices):
    SIGNED = "signed", _("Signed on screen")
    SHEET = "sheet", _("On the paper sign-in sheet")


class Attendance(TimeStampedModel):
    """One attendee of a session (R-2.1): signed in on a tablet or phone, or entered from
    the uploaded paper sign-in sheet. ``content_hash`` binds the signature to what it vouches
    for (the session and the attendee); the optional assessment score is not part of it, it
    comes later."""

    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.PROTECT,
        related_name="attendances",
        verbose_name=_("training session"),
    )
    certificate_no = models.CharField(
        _("certificate number"), max_length=40, unique=True, editable=False
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    # The name as compared for duplicates: one sign-in per person and session.
    name_key = models.CharField(max_length=100, editable=False)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_attendances",
        verbose_name=_("department"),
    )
    department_text = models.CharField(
        _("other department"),
        max_length=100,
        blank=True,
        help_text=_("When the attendee's department is not in the list."),
    )
    role = models.CharField(_("role or title"), max_length=100, blank=True)
    score = models.PositiveSmallIntegerField(
        _("assessment score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_SCORE)],
    )
    method = models.CharField(_("signed"), max_length=10, choices=AttendanceMethod.choices)
    signed_at = models.DateTimeField(_("signed in at"))
    signature_image = models.FileField(
        _("signature"), upload_to=_session_upload, blank=True, editable=False
    )
    content_hash = models.CharField(_("content hash"), max_length=64, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = HistoricalRecords()

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["session", "signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "name_key"], name="attendance_one_per_name_and_session"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=MAX_SCORE),
                name="attendance_score_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.session_id}"

    @property
    def department_name(self) -> str:
        return self.department.name if self.department is not None else self.department_text
