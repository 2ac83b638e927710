"""The duty roster (值班, R-6.2): who is on duty in a service region from when to when,
the rotation templates that generate shifts ahead, swaps between engineers approved by a
manager, and the roster gaps already alerted.

Times are aware UTC; pages show them in the region's zone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel


class ShiftRole(models.TextChoices):
    ENGINEER = "engineer", _("Engineer on duty")
    MANAGER = "manager", _("Manager on duty")


class RotationPeriod(models.IntegerChoices):
    DAILY = 1, _("Next person every day")
    WEEKLY = 7, _("Next person every week")


class RotationQuerySet(models.QuerySet):
    def for_user(self, user) -> RotationQuerySet:
        """The roster's templates are the vendor's business, like its shifts: a hospital's
        users see none."""
        if user is not None and getattr(user, "is_vendor_staff", False):
            return self
        return self.none()


class Rotation(TimeStampedModel):
    """A template that generates a region's shifts ahead: slots (a weekday or every day, a
    local start time, a duration) filled by the rotation's people in turn."""

    region = models.ForeignKey(
        "customers.ServiceRegion",
        on_delete=models.CASCADE,
        related_name="rotations",
        verbose_name=_("service region"),
    )
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(
        _("first day"), help_text=_("The rotation counts its turns from this local day.")
    )
    period = models.PositiveSmallIntegerField(
        _("turn"), choices=RotationPeriod.choices, default=RotationPeriod.WEEKLY
    )
    active = models.BooleanField(_("generates shifts"), default=True)
    history = HistoricalRecords()

    objects = RotationQuerySet.as_manager()

    class Meta:
        verbose_name = _("rotation")
        verbose_name_plural = _("rotations")
        ordering = ["region__name", "name"]

    def __str__(self) -> str:
        return self.name


class RotationSlot(models.Model):
    rotation = models.ForeignKey(
        Rotation, on_delete=models.CASCADE, related_name="slots", verbose_name=_("rotation")
    )
    role = models.CharField(_("role on duty"), max_length=20, choices=ShiftRole.choices)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        null=True,
        blank=True,
        help_text=_("0 = Monday … 6 = Sunday; empty: every day."),
    )
    start_time = models.TimeField(_("local start time"))
    duration = models.DurationField(_("duration"))
    offset = models.PositiveSmallIntegerField(
        _("offset in the order"),
        default=0,
        help_text=_("Shifts the order so that two slots of one turn get different people."),
    )

    class Meta:
        verbose_name = _("rotation slot")
        verbose_name_plural = _("rotation slots")
        ordering = ["rotation", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__isnull=True) | Q(weekday__lte=6), name="slot_weekday_0_6"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.start_time:%H:%M} +{self.duration}"


class RotationMember(models.Model):
    rotation = models.ForeignKey(
        Rotation, on_delete=models.CASCADE, related_name="members", verbose_name=_("rotation")
    )
    role = models.CharField(_("role on duty"), max_length=20, choices=ShiftRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("rotation member")
        verbose_name_plural = _("rotation members")
        ordering = ["rotation", "role", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "role", "position"], name="rotation_member_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.user}"


class ShiftQuerySet(models.QuerySet):
    def for_user(self, user) -> ShiftQuerySet:
        """The roster is the vendor's business: its staff see every shift, a hospital's
        users none (they ask "who is on duty now" for their hospital only)."""
        if user is not None and getattr(user, "is_vendor_staff", False):
            return self
        return self.none()

    def overlapping(self, starts_at, ends_at) -> ShiftQuerySet:
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


class Shift(TimeStampedModel):
    region = models.ForeignKey(
        "customers.ServiceRegion",
        on_delete=models.PROTECT,
        related_name="shifts",
        verbose_name=_("service region"),
    )
    role = models.CharField(_("role on duty"), max_length=20, choices=ShiftRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="duty_shifts",
        verbose_name=_("person on duty"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # Set on a generated shift: (slot, starts_at) is unique, so generating twice creates
    # nothing new, and a shift edited or swapped since is not generated again.
    slot = models.ForeignKey(
        RotationSlot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shifts",
        verbose_name=_("generated from"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Every change of person or time (an edit, an approved swap) is kept.
    history = HistoricalRecords()

    objects = ShiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at", "role", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["slot", "starts_at"],
                condition=Q(slot__isnull=False),
                name="shift_generated_once",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "starts_at"], name="shift_region_start"),
            models.Index(fields=["user", "starts_at"], name="shift_user_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class SwapState(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for the colleague")
    ACCEPTED = "accepted", _("Waiting for the manager")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined by the colleague")
    REJECTED = "rejected", _("Refused by the manager")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_SWAP_STATES = (SwapState.PROPOSED, SwapState.ACCEPTED)


class SwapQuerySet(models.QuerySet):
    def for_user(self, user) -> SwapQuerySet:
        if user is not None and getattr(user, "is_vendor_staff", False):
            return self
        return self.none()


class ShiftSwap(TimeStampedModel):
    """Engineer A offers a shift to engineer B (a hand-over) or swaps it for one of B's
    shifts; B accepts, a manager approves, and only then do the shifts change hands."""

    shift = models.ForeignKey(
        Shift, on_delete=models.CASCADE, related_name="swaps", verbose_name=_("shift")
    )
    other_shift = models.ForeignKey(
        Shift,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="swaps_back",
        verbose_name=_("shift taken in exchange"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("colleague"),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=SwapState.choices, default=SwapState.PROPOSED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = SwapQuerySet.as_manager()

    class Meta:
        verbose_name = _("shift swap")
        verbose_name_plural = _("shift swaps")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.shift} → {self.to_user}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_SWAP_STATES


class GapAlert(models.Model):
    """A roster gap the managers were told of. The gap's identity is its key (region, role,
    start, end): a gap that changes is a new gap, and the same gap is never told twice."""

    key = models.CharField(max_length=120, unique=True)
    region = models.ForeignKey(
        "customers.ServiceRegion", on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(max_length=20, choices=ShiftRole.choices)
    starts_at = models.DateTimeField(null=True)  # None: uncovered as far back as looked
    ends_at = models.DateTimeField(null=True)  # None: uncovered up to the horizon
    alerted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("roster gap alert")
        verbose_name_plural = _("roster gap alerts")
        ordering = ["-alerted_at"]

    def __str__(self) -> str:
        return self.key
