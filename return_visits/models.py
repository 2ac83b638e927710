"""Monthly return visits (回访, R-7.1) and their sheet (设备回访单): one visit per hospital
department and month, with the department's people who took part, the state observed of
every device, the training given, the faults and hidden risks found (each may raise a
service request), the department's satisfaction, and the signatures of both sides.

Signed by both sides means frozen (GUIDE 7): the sheet's content hash is stored and its PDF
is archived with the visit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from assets.models import Device
from core.models import DrawnSignature, TimeStampedModel
from customers.models import Department, Hospital
from customers.scoping import scope_q


def _upload(instance: models.Model, filename: str) -> str:
    # Under the hospital and the visit: an archivist finds a visit's files together.
    visit: Any = getattr(instance, "visit", instance)
    return f"return-visits/{visit.hospital_id}/{visit.pk}/{filename}"


class ReturnVisitSettings(models.Model):
    """The numbers of the monthly return visit (GUIDE 9: defaults, not constants). One row
    (pk=1); without it the defaults apply."""

    due_day = models.PositiveSmallIntegerField(
        _("due on day of the month"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("The last day of the month when the month is shorter."),
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("plan ahead (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(400)],
    )

    class Meta:
        verbose_name = _("return visit settings")
        verbose_name_plural = _("return visit settings")

    def __str__(self) -> str:
        return str(_("Return visit settings"))


class ReturnVisitState(models.TextChoices):
    # Overdue is not a state: it follows from the month and the hospital's today.
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ReturnVisitQuerySet(models.QuerySet):
    def for_user(self, user) -> ReturnVisitQuerySet:
        return self.filter(scope_q(user))


class ReturnVisit(TimeStampedModel):
    hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, related_name="return_visits", verbose_name=_("hospital")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="return_visits",
        verbose_name=_("department"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    due_on = models.DateField(_("due on"))
    window_start = models.DateField(_("window starts"))
    window_end = models.DateField(_("window ends"))
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=ReturnVisitState.choices,
        default=ReturnVisitState.PLANNED,
    )
    scheduled = models.BooleanField(
        _("scheduled"), default=True, help_text=_("Planned by the daily job, not added by hand.")
    )
    engineers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="return_visits",
        verbose_name=_("engineers"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_reason = models.TextField(_("why cancelled"), blank=True)
    # The sheet (设备回访单).
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    training_given = models.TextField(_("training given"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1 to 5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comments = models.TextField(_("the department's comments"), blank=True)
    recorded_at = models.DateTimeField(_("sheet recorded at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sheet recorded by"),
    )
    frozen_at = models.DateTimeField(_("signed by both sides at"), null=True, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True, editable=False)
    pdf = models.FileField(_("PDF"), upload_to=_upload, blank=True, editable=False)

    objects = ReturnVisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["month", "hospital__name", "department__name", "pk"]
        indexes = [
            models.Index(fields=["hospital", "month"], name="return_visit_hospital_month"),
            models.Index(fields=["due_on"], name="return_visit_due_idx"),
            # The overdue sweep: planned visits not yet reported, by the end of their month.
            models.Index(
                fields=["window_end"],
                condition=Q(state="planned", overdue_notified_at__isnull=True),
                name="return_visit_overdue_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "month"],
                condition=~Q(state="cancelled"),
                name="return_visit_one_per_department_month",
            ),
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("due_on"))
                & Q(due_on__lte=models.F("window_end")),
                name="return_visit_window_around_due",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="return_visit_satisfaction_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.month:%Y-%m}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def is_recorded(self) -> bool:
        return self.recorded_at is not None


class ReturnVisitParticipant(models.Model):
    """One of the department's people who took part (a manager, a head nurse, …)."""

    visit = models.ForeignKey(
        ReturnVisit,
        on_delete=models.CASCADE,
        related_name="participants",
        verbose_name=_("return visit"),
    )
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    role = models.CharField(_("role"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["visit", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


class DeviceState(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("device state", "Normal")
    ATTENTION = "attention", _("Needs attention")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")


class ReturnVisitDeviceCheck(models.Model):
    """The working state observed of one device of the department."""

    visit = models.ForeignKey(
        ReturnVisit,
        on_delete=models.CASCADE,
        related_name="device_checks",
        verbose_name=_("return visit"),
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        related_name="return_visit_checks",
        verbose_name=_("device"),
    )
    state = models.CharField(_("state"), max_length=20, choices=DeviceState.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("device check")
        verbose_name_plural = _("device checks")
        ordering = ["visit", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "device"], name="return_visit_check_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}: {self.state}"


class FindingKind(models.TextChoices):
    FAULT = "fault", _("Fault")
    HIDDEN_RISK = "hidden_risk", _("Hidden risk")


class ReturnVisitFinding(models.Model):
    """A fault or hidden risk found on the visit; it may have raised a service request
    ("found on a visit"), which then stays linked and can no longer be withdrawn."""

    visit = models.ForeignKey(
        ReturnVisit,
        on_delete=models.CASCADE,
        related_name="findings",
        verbose_name=_("return visit"),
    )
    position = models.PositiveSmallIntegerField(default=0)
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        related_name="return_visit_findings",
        verbose_name=_("device"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FindingKind.choices)
    description = models.TextField(_("description"))
    request = models.OneToOneField(
        "service.ServiceRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="return_visit_finding",
        verbose_name=_("service request"),
    )

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["visit", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.device_id}"


class ReturnVisitSignature(DrawnSignature):
    visit = models.ForeignKey(
        ReturnVisit,
        on_delete=models.CASCADE,
        related_name="signatures",
        verbose_name=_("return visit"),
    )

    class Meta:
        verbose_name = _("return visit signature")
        verbose_name_plural = _("return visit signatures")
        ordering = ["visit", "signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "role"], name="return_visit_signature_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.signer_name}"

    @property
    def document(self) -> ReturnVisit:
        return self.visit

    def upload_path(self, filename: str) -> str:
        return _upload(self, filename)
