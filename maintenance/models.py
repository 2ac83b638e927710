"""Planned maintenance (issue 4 §1): the plan templates with their checklists, the
per-contract edits of their numbers, and the visits generated from them with the
obligations each visit fulfils. The schedule itself is ``maintenance.schedule`` (pure)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assets.models import Device, ProductCategory, ProductModel
from contracts.models import Contract
from core.models import TimeStampedModel
from customers.models import Department, Hospital
from customers.scoping import scope_q

from .schedule import VisitKind


def _visit_upload(instance: models.Model, filename: str) -> str:
    # Under the device: an archivist finds a device's visit records together.
    return f"visits/{instance.device_id}/{filename}"  # type: ignore[attr-defined]


def _visit_photo_upload(instance: models.Model, filename: str) -> str:
    return f"visits/{instance.visit.device_id}/photos/{filename}"  # type: ignore[attr-defined]


class Kind(models.TextChoices):
    """The kinds of ``maintenance.schedule.VisitKind``, with labels people read, and the
    special inspection (R-4.1: when something abnormal shows), which no plan schedules."""

    PATROL = VisitKind.PATROL.value, _("Monthly patrol")
    INSPECTION = VisitKind.INSPECTION.value, _("Quarterly comprehensive inspection")
    OVERHAUL = VisitKind.OVERHAUL.value, _("Annual maintenance overhaul")
    SPECIAL = "special", _("Special inspection")


# What a plan (a template, a contract's numbers, an obligation) can be: never special.
PLAN_KIND_CHOICES = [
    (kind.value, kind.label) for kind in (Kind.PATROL, Kind.INSPECTION, Kind.OVERHAUL)
]


class ChecklistItemType(models.TextChoices):
    PASS_FAIL = "pass_fail", _("Pass / fail")
    NUMBER = "number", _("Number")
    TEXT = "text", _("Text")
    PHOTO = "photo", _("Photo")


class MaintenancePlanTemplate(TimeStampedModel):
    """One kind of planned visit with its checklist and default numbers, for a product
    model, a category, or (both empty) every device. The most specific active template of
    each kind applies to a device."""

    kind = models.CharField(_("kind"), max_length=20, choices=PLAN_KIND_CHOICES)
    product_model = models.ForeignKey(
        ProductModel,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="maintenance_templates",
        verbose_name=_("product model"),
    )
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=ProductCategory.choices,
        blank=True,
        help_text=_("Leave both the product model and the category empty for every device."),
    )
    interval_months = models.PositiveSmallIntegerField(
        _("every (months)"), validators=[MinValueValidator(1)]
    )
    tolerance_days = models.PositiveSmallIntegerField(_("tolerance (± days)"))
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("maintenance plan template")
        verbose_name_plural = _("maintenance plan templates")
        ordering = ["kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product_model__isnull=True) | Q(category=""),
                name="plan_template_model_or_category",
            ),
            models.CheckConstraint(
                condition=Q(interval_months__gte=1), name="plan_template_interval_positive"
            ),
            models.UniqueConstraint(
                fields=["kind", "product_model"],
                condition=Q(active=True, product_model__isnull=False),
                name="plan_template_one_active_per_model",
            ),
            models.UniqueConstraint(
                fields=["kind", "category"],
                condition=Q(active=True, product_model__isnull=True) & ~Q(category=""),
                name="plan_template_one_active_per_category",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(active=True, product_model__isnull=True, category=""),
                name="plan_template_one_active_for_all",
            ),
        ]

    def __str__(self) -> str:
        target = self.product_model or self.get_category_display() or _("every device")
        return f"{self.get_kind_display()} · {target}"


class ContractPlanOverride(TimeStampedModel):
    """A contract's own numbers for one kind: the template's are only defaults."""

    contract = models.ForeignKey(
        Contract,
        on_delete=models.CASCADE,
        related_name="plan_overrides",
        verbose_name=_("contract"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PLAN_KIND_CHOICES)
    interval_months = models.PositiveSmallIntegerField(
        _("every (months)"), validators=[MinValueValidator(1)]
    )
    tolerance_days = models.PositiveSmallIntegerField(_("tolerance (± days)"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contract plan override")
        verbose_name_plural = _("contract plan overrides")
        constraints = [
            models.UniqueConstraint(fields=["contract", "kind"], name="plan_override_unique"),
            models.CheckConstraint(
                condition=Q(interval_months__gte=1), name="plan_override_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} · {self.get_kind_display()}"


class VisitState(models.TextChoices):
    # Overdue is not a state: it follows from the window and the hospital's today.
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class VisitQuerySet(models.QuerySet):
    def for_user(self, user) -> VisitQuerySet:
        return self.filter(scope_q(user))


class Visit(TimeStampedModel):
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="visits", verbose_name=_("device")
    )
    # Copied from the device when the visit is generated, like a service request: scoping
    # is one WHERE clause and the overdue sweep reads the hospital's zone in one join.
    hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, related_name="visits", verbose_name=_("hospital")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="visits", verbose_name=_("department")
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("contract"),
    )
    key = models.CharField(_("key"), max_length=60, unique=True, editable=False)
    main_kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    kinds = models.JSONField(_("kinds covered"), default=list)
    due_on = models.DateField(_("due on"))
    window_start = models.DateField(_("window starts"))
    window_end = models.DateField(_("window ends"))
    state = models.CharField(
        _("state"), max_length=20, choices=VisitState.choices, default=VisitState.PLANNED
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    engineers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="maintenance_visits",
        verbose_name=_("engineers"),
    )
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    # Ad-hoc (special) visits: why and by whom; empty for generated ones.
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Completion (issue 4 §1): per checklist item {"value", "ok", "note"}, and the
    # hospital's confirmation signature over them, given at once or later: a done
    # visit without a content hash awaits the hospital's signature.
    results = models.JSONField(_("results"), default=dict, blank=True)
    signer_name = models.CharField(_("signed by (hospital)"), max_length=100, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signature_image = models.FileField(
        _("signature image"), upload_to=_visit_upload, blank=True, editable=False
    )
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True, editable=False)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["due_on"], name="visit_due_idx"),
            models.Index(fields=["device", "due_on"], name="visit_device_due_idx"),
            # The overdue sweep: planned visits not yet reported, by the end of their window.
            models.Index(
                fields=["window_end"],
                condition=Q(state="planned", overdue_notified_at__isnull=True),
                name="visit_overdue_sweep_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("due_on"))
                & Q(due_on__lte=models.F("window_end")),
                name="visit_window_around_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_main_kind_display()} · {self.device_id} · {self.due_on}"

    @property
    def is_signed(self) -> bool:
        """Signed by the hospital, hence frozen (GUIDE 7)."""
        return bool(self.content_hash)


class VisitObligation(models.Model):
    """One occurrence of a plan that the visit fulfils (the coincidence rule)."""

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="obligations", verbose_name=_("visit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PLAN_KIND_CHOICES)
    due_on = models.DateField(_("due on"))
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("visit obligation")
        verbose_name_plural = _("visit obligations")
        ordering = ["visit", "due_on", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "kind", "due_on"], name="visit_obligation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.due_on}"


class VisitFinding(models.Model):
    """A failed item or an out-of-limit reading of a completed visit that raised a service
    request on the spot ("found on a visit")."""

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="findings", verbose_name=_("visit")
    )
    item_key = models.CharField(_("checklist item"), max_length=100)
    request = models.OneToOneField(
        "service.ServiceRequest",
        on_delete=models.PROTECT,
        related_name="visit_finding",
        verbose_name=_("service request"),
    )

    class Meta:
        verbose_name = _("visit finding")
        verbose_name_plural = _("visit findings")
        ordering = ["visit", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "item_key"], name="visit_finding_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} · {self.item_key}"


class VisitPhoto(models.Model):
    """A photo taken for a checklist item of type photo while the visit is under way; its
    SHA-256 is part of what the hospital's signature vouches for."""

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="photos", verbose_name=_("visit")
    )
    item_key = models.CharField(_("checklist item"), max_length=100)
    image = models.FileField(_("image"), upload_to=_visit_photo_upload)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["visit", "item_key", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.visit_id} · {self.item_key} · {self.sha256[:12]}"
