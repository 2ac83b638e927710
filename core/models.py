"""Shared, domain-free building blocks."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.signing.kinds import SignatureRole


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class HandedOverSignature(models.Model):
    """What a signature for the hospital given on the vendor's device (the engineer's phone
    handed over) records besides the name: the signer's position, and that it was not given
    on the hospital's own account (``core.signatures.handed_over_errors``)."""

    signer_role = models.CharField(_("position of the signer"), max_length=100, blank=True)
    on_vendor_device = models.BooleanField(_("signed on the engineer's device"), default=False)

    class Meta:
        abstract = True


def signature_upload_to(instance: DrawnSignature, filename: str) -> str:
    return instance.upload_path(filename)


class DrawnSignature(HandedOverSignature):
    """One signature drawn on screen on a document signed by several people
    (``core.signing``): who signed in which role, when, the image, and the SHA-256 of the
    content it vouches for and of the image, so a later change to either is visible. A
    concrete model adds the document it belongs to (``document``) and where its image is
    stored (``upload_path``)."""

    role = models.CharField(_("signed as"), max_length=20, choices=SignatureRole.choices)
    signer_name = models.CharField(_("name of the signer"), max_length=100)
    signed_at = models.DateTimeField(_("signed at"))
    image = models.FileField(_("signature image"), upload_to=signature_upload_to, editable=False)
    content_hash = models.CharField(_("content hash"), max_length=64, editable=False)
    # Empty when the hospital signs on the vendor's device: the signer has no account here.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )

    class Meta:
        abstract = True

    @property
    def document(self) -> models.Model:
        raise NotImplementedError

    def upload_path(self, filename: str) -> str:
        raise NotImplementedError


class WorkerHeartbeat(models.Model):
    """One row per worker name; the periodic heartbeat task keeps ``beat_at`` fresh."""

    name = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class NumberSequence(models.Model):
    """The last number handed out per (key, year): gap-free, safe under concurrency."""

    key = models.CharField(max_length=30)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "year"], name="number_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key}-{self.year}: {self.last}"


class IdempotentRequest(models.Model):
    """A write sent with a key (an API ``Idempotency-Key``, a form's one-time submission
    token), and the answer it got: the same key again gets the same answer, and nothing is
    done twice. Keys belong to the user who sent them. Kept for a day (``core.tasks``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    # What was asked (method, path, body): the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key} → {self.status_code}"


class OutboxEvent(models.Model):
    """Something that happened, written in the same transaction as the change that caused
    it ("service.request_dispatched", "charges.statement_accepted"): it exists exactly when
    the change exists. ``payload`` holds the ids a handler needs (``core.outbox``)."""

    name = models.CharField(_("event name"), max_length=100, db_index=True)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("outbox delivery", "pending")
    DELIVERED = "delivered", pgettext_lazy("outbox delivery", "delivered")
    FAILED = "failed", pgettext_lazy("outbox delivery", "failed")


class OutboxDelivery(models.Model):
    """One handler's duty towards one event. The worker claims a pending row whose time has
    come, runs the handler and marks the row delivered in one transaction; an error is kept
    here and the row waits ``next_attempt_at`` before the next try, until it is ``failed``."""

    event = models.ForeignKey(
        OutboxEvent,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("outbox event"),
    )
    handler = models.CharField(_("handler"), max_length=100)
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox delivery")
        verbose_name_plural = _("outbox deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="outbox_delivery_once"),
            models.CheckConstraint(
                condition=models.Q(state__in=DeliveryState.values),
                name="outbox_delivery_state_valid",
            ),
            # Delivered means when; the claim query relies on it.
            models.CheckConstraint(
                condition=models.Q(state="delivered", delivered_at__isnull=False)
                | (~models.Q(state="delivered") & models.Q(delivered_at__isnull=True)),
                name="outbox_delivery_delivered_at",
            ),
        ]
        indexes = [
            # The worker's claim: the pending rows whose time has come, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state="pending"),
                name="outbox_delivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handler} ← {self.event_id}"
