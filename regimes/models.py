"""A hospital's management regime (R-2.3, R-7.5): the regime documents the vendor helps it
establish (maintenance-responsibility rules 维修保养责任制度, inspection regime 巡检制度,
emergency procedures 应急处理制度, …), their versions and who received which version when.

Versions and receipts are append-only: a correction is a new version, numbered 1, 2, … with
no gap per document. The named responsible person per department and device (R-2.3) is not
modelled here: it lives on ``customers.Department`` and ``assets.Device``, and the regime
page shows it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from customers.models import Contact, Department, Hospital
from customers.scoping import scope_for


class RegimeKind(models.TextChoices):
    MAINTENANCE_RESPONSIBILITY = "maintenance_responsibility", _("Maintenance-responsibility rules")
    INSPECTION = "inspection", _("Inspection regime")
    EMERGENCY = "emergency", _("Emergency procedures")
    OTHER = "other", _("Other")


# The three documents every hospital's regime should have.
STANDARD_KINDS = (
    RegimeKind.MAINTENANCE_RESPONSIBILITY,
    RegimeKind.INSPECTION,
    RegimeKind.EMERGENCY,
)


class RegimeDocumentQuerySet(models.QuerySet):
    def for_user(self, user) -> RegimeDocumentQuerySet:
        """A hospital's regime is for all its people: its equipment administrator and its
        department users read every document of their hospital."""
        scope = scope_for(user)
        if scope.all_hospitals:
            return self
        return self.filter(hospital_id__in=scope.visible_hospital_ids)


class RegimeDocument(TimeStampedModel):
    hospital = models.ForeignKey(
        Hospital,
        on_delete=models.PROTECT,
        related_name="regime_documents",
        verbose_name=_("hospital"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=RegimeKind.choices)
    title = models.CharField(_("title"), max_length=200)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="regime_documents",
        verbose_name=_("department"),
        help_text=_("Leave empty for a regime of the whole hospital."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    history = HistoricalRecords()

    objects = RegimeDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("regime document")
        verbose_name_plural = _("regime documents")
        ordering = ["hospital__name", "kind", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "title"], name="regime_document_unique_title"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RegimeVersionQuerySet(models.QuerySet):
    def for_user(self, user) -> RegimeVersionQuerySet:
        return self.filter(document__in=RegimeDocument.objects.for_user(user))


def regime_version_upload_to(instance: RegimeVersion, filename: str) -> str:
    return f"regimes/{uuid.uuid4().hex}/{filename}"


class RegimeVersion(models.Model):
    """One version of a regime document, never edited. The current version is the latest
    one in effect (``selectors.current_version``)."""

    document = models.ForeignKey(
        RegimeDocument,
        on_delete=models.PROTECT,
        related_name="versions",
        verbose_name=_("document"),
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(
        _("file"), upload_to=regime_version_upload_to, max_length=300, blank=True
    )
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    text = models.TextField(_("text"), blank=True)
    effective_from = models.DateField(_("effective from"))
    summary = models.TextField(_("summary of changes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RegimeVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("regime version")
        verbose_name_plural = _("regime versions")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="regime_version_unique_number"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="regime_version_number_gte_1"),
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(text=""), name="regime_version_has_content"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"

    @property
    def file_name(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""


class RegimeReceiptQuerySet(models.QuerySet):
    def for_user(self, user) -> RegimeReceiptQuerySet:
        return self.filter(version__document__in=RegimeDocument.objects.for_user(user))


def regime_signature_upload_to(instance: RegimeReceipt, filename: str) -> str:
    return f"regimes/receipts/{uuid.uuid4().hex}/{filename}"


class RegimeReceipt(models.Model):
    """Who received which version when. Kept when a newer version comes: the page then says
    the recipient needs the current one."""

    version = models.ForeignKey(
        RegimeVersion,
        on_delete=models.PROTECT,
        related_name="receipts",
        verbose_name=_("version"),
    )
    recipient_name = models.CharField(_("received by"), max_length=100)
    recipient_contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="regime_receipts",
        verbose_name=_("contact"),
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="regime_receipts",
        verbose_name=_("user"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="regime_receipts",
        verbose_name=_("department"),
    )
    received_at = models.DateTimeField(_("received at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    signature = models.FileField(
        _("signature"), upload_to=regime_signature_upload_to, max_length=300, blank=True
    )
    # SHA-256 of the signed content (the version and the receipt) and of the image.
    signature_hash = models.CharField(_("content hash"), max_length=64, blank=True)

    objects = RegimeReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = _("regime receipt")
        verbose_name_plural = _("regime receipts")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["department", "version"], name="regime_receipt_dept_idx")]

    def __str__(self) -> str:
        return f"{self.recipient_name} · {self.version}"
