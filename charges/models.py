"""Charge statements (R-3.4, R-6.3, R-7.7, R-7.8): what a resolved service request costs the
hospital, line by line with the reason why. The vendor drafts, reviews and sends it; the
hospital sees it only once sent, and accepts it (then frozen) or disputes it; the vendor
answers a dispute by a message, a corrected version or a credit note (issue 12 §4). Every
step is a ``StatementEvent``. Only service requests have statements: training (R-2.1) and
maintenance/warranty visits are never charged."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from contracts.coverage import Line, Pricing
from core.models import TimeStampedModel
from customers.scoping import scope_for, scope_q
from service.models import ServiceRequest


def money(verbose_name) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=14, decimal_places=2, default=Decimal("0.00")
    )


class ChargeSettings(models.Model):
    """The rates the statements use (one row, pk=1): defaults loaded by a migration,
    edited in the admin (GUIDE 9)."""

    labor_hour_cost = models.DecimalField(
        _("labor per hour at cost"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    labor_hour_list = models.DecimalField(
        _("labor per hour at list price"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    travel_trip_cost = models.DecimalField(
        _("travel per trip at cost"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    travel_trip_list = models.DecimalField(
        _("travel per trip at list price"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("charge settings")
        verbose_name_plural = _("charge settings")

    def __str__(self) -> str:
        return str(_("Charge settings"))


class StatementState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEWED = "reviewed", _("Reviewed")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DISPUTED = "disputed", _("Disputed")


# What a hospital's users may see: the vendor's drafts stay with the vendor.
HOSPITAL_VISIBLE_STATES = frozenset(
    {StatementState.SENT, StatementState.ACCEPTED, StatementState.DISPUTED}
)

# The labels of a line's kind and its unit, in the reader's language (``人工``, not
# ``人工 labor``; ``件``, not ``pcs``).
LINE_KIND_LABELS = {
    Line.PARTS.value: _("Parts"),
    Line.LABOR.value: _("Labor"),
    Line.TRAVEL.value: _("Travel to the site"),
}
LINE_UNITS = {Line.PARTS.value: "pcs", Line.LABOR.value: "h", Line.TRAVEL.value: "trip"}
UNIT_LABELS = {
    "pcs": _("pcs"),
    "h": pgettext_lazy("unit of labor", "h"),
    "trip": pgettext_lazy("unit of travel", "trip"),
}


class ChargeStatementQuerySet(models.QuerySet):
    def for_user(self, user) -> ChargeStatementQuerySet:
        """The statements of the requests the user sees; a hospital's users see only those
        sent to them (issue 12 §4: a draft or reviewed statement is the vendor's)."""
        rows = self.filter(
            scope_q(user, hospital="request__hospital_id", department="request__department_id")
        )
        if not scope_for(user).all_hospitals:
            rows = rows.filter(state__in=HOSPITAL_VISIBLE_STATES)
        return rows


def _statement_upload(instance: models.Model, filename: str) -> str:
    return f"charge-statements/{instance.request.number}/{filename}"  # type: ignore[attr-defined]


class ChargeStatement(TimeStampedModel):
    request = models.OneToOneField(
        ServiceRequest,
        on_delete=models.PROTECT,
        related_name="charge_statement",
        verbose_name=_("service request"),
    )
    number = models.CharField(_("statement number"), max_length=20, unique=True, editable=False)
    state = models.CharField(
        _("state"), max_length=20, choices=StatementState.choices, default=StatementState.DRAFT
    )
    cause = models.CharField(_("fault cause"), max_length=20)
    priced_as = models.CharField(_("priced as"), max_length=20)
    basis = models.CharField(_("basis of cover"), max_length=20)
    cover = models.CharField(_("cover"), max_length=20)
    coverage = models.JSONField(_("coverage snapshot"), default=dict)
    coverage_text = models.TextField(_("coverage"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    parts_total = money(_("parts"))
    labor_total = money(_("labor"))
    travel_total = money(_("travel"))
    total = money(_("total"))
    drafted_at = models.DateTimeField(_("priced at"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    # Lines edited by the vendor: the draft no longer follows the record on each read.
    edited_by_hand = models.BooleanField(_("edited by hand"), default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    disputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disputed by"),
    )
    disputed_at = models.DateTimeField(_("disputed at"), null=True, blank=True)
    dispute_comment = models.TextField(_("dispute comment"), blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True, editable=False)
    pdf = models.FileField(_("PDF"), upload_to=_statement_upload, blank=True, editable=False)
    history = HistoricalRecords()

    objects = ChargeStatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("charge statement")
        verbose_name_plural = _("charge statements")
        ordering = ["-drafted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="accepted") | Q(accepted_at__isnull=False),
                name="charge_statement_accepted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        """The number of the current version: ``CS-2026-000001``, then ``…-v2``."""
        return version_number(self.number, self.version)

    @property
    def is_frozen(self) -> bool:
        return self.state == StatementState.ACCEPTED

    @property
    def is_visible_to_hospital(self) -> bool:
        return self.state in HOSPITAL_VISIBLE_STATES


def version_number(number: str, version: int) -> str:
    return number if version <= 1 else f"{number}-v{version}"


def line_label(kind: str, description: str) -> str:
    """Labor and travel are words, not data: in the reader's language. A part is its
    catalogue number and (bilingual) name."""
    if kind == Line.PARTS.value:
        return description
    return str(LINE_KIND_LABELS.get(kind, description))


def unit_label(kind: str) -> str:
    unit = LINE_UNITS.get(kind, "")
    return str(UNIT_LABELS.get(unit, unit))


class LineLabels:
    """The reader's words for a line (statement, credit note, earlier version)."""

    kind: str
    description: str

    @property
    def label(self) -> str:
        return line_label(self.kind, self.description)

    @property
    def kind_label(self) -> str:
        return str(LINE_KIND_LABELS.get(self.kind, self.kind))

    @property
    def unit(self) -> str:
        return LINE_UNITS.get(self.kind, "")

    @property
    def unit_label(self) -> str:
        return unit_label(self.kind)


class ChargeLine(LineLabels, models.Model):
    statement = models.ForeignKey(
        ChargeStatement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("statement")
    )
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=list(LINE_KIND_LABELS.items()))
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    pricing = models.CharField(_("pricing"), max_length=10, choices=Pricing.choices())
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reason_code = models.CharField(_("reason"), max_length=40)
    reason_params = models.JSONField(default=dict, blank=True)
    reason_text = models.TextField(_("why"), blank=True)

    class Meta:
        verbose_name = _("charge line")
        verbose_name_plural = _("charge lines")
        ordering = ["statement", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.statement}: {self.description}"


class CreditNote(models.Model):
    """An adjustment of an accepted statement (its content never changes): the lines as
    accepted negated, the lines as re-priced added; ``total`` is the difference."""

    statement = models.ForeignKey(
        ChargeStatement,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        verbose_name=_("statement"),
    )
    number = models.CharField(_("credit note number"), max_length=20, unique=True, editable=False)
    reason = models.TextField(_("reason"))
    cause = models.CharField(_("fault cause"), max_length=20)
    total_before = money(_("total before"))
    total_after = money(_("total after"))
    total = money(_("difference"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("issued at"))
    content_hash = models.CharField(_("content hash"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["statement", "created_at", "pk"]

    def __str__(self) -> str:
        return self.number


class CreditNoteLine(LineLabels, models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=list(LINE_KIND_LABELS.items()))
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4)
    pricing = models.CharField(_("pricing"), max_length=10, choices=Pricing.choices())
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reason_code = models.CharField(_("reason"), max_length=40)
    reason_params = models.JSONField(default=dict, blank=True)
    reason_text = models.TextField(_("why"), blank=True)

    class Meta:
        verbose_name = _("credit note line")
        verbose_name_plural = _("credit note lines")
        ordering = ["credit_note", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.credit_note}: {self.description}"


class StatementEventKind(models.TextChoices):
    DRAFTED = "drafted", _("Drafted")
    EDITED = "edited", _("Lines edited")
    REVIEWED = "reviewed", _("Reviewed")
    SENT = "sent", _("Sent to the hospital")
    DISPUTED = "disputed", _("Disputed")
    ANSWERED = "answered", _("Answered")
    CORRECTED = "corrected", _("Corrected")
    CREDITED = "credited", _("Credit note issued")
    ACCEPTED = "accepted", _("Accepted")


class StatementEvent(models.Model):
    """One step of a statement's history, append-only: who did what when, with the
    hospital's reason or the vendor's answer (issue 12 §4)."""

    statement = models.ForeignKey(
        ChargeStatement,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("statement"),
    )
    kind = models.CharField(_("step"), max_length=20, choices=StatementEventKind.choices)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    occurred_at = models.DateTimeField(_("at"))
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("statement step")
        verbose_name_plural = _("statement steps")
        ordering = ["statement", "occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.statement}: {self.kind}"


class StatementVersion(models.Model):
    """An earlier version of a statement, kept as it was sent when the vendor corrected it
    (its content, its lines with their reasons, its totals)."""

    statement = models.ForeignKey(
        ChargeStatement,
        on_delete=models.CASCADE,
        related_name="versions",
        verbose_name=_("statement"),
    )
    version = models.PositiveSmallIntegerField(_("version"))
    number = models.CharField(_("statement number"), max_length=24)
    state = models.CharField(_("state"), max_length=20, choices=StatementState.choices)
    content = models.JSONField(_("content"))
    total = money(_("total"))
    created_at = models.DateTimeField(_("replaced at"))

    class Meta:
        verbose_name = _("earlier version of a statement")
        verbose_name_plural = _("earlier versions of statements")
        ordering = ["statement", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "version"], name="charge_statement_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.number
