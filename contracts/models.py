"""Contracts (projects) that sold the devices, their warranty terms, long-term maintenance
agreements after warranty (R-7.8), and the configurable charge rules that coverage uses."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assets.models import Device
from core.models import TimeStampedModel
from customers.models import Hospital
from customers.scoping import scope_for

from .coverage import Basis, Cause, Line, Pricing


class ContractQuerySet(models.QuerySet):
    def for_user(self, user) -> ContractQuerySet:
        # Commercial documents: vendor staff and the hospital's equipment administrator.
        scope = scope_for(user)
        if scope.all_hospitals:
            return self
        return self.filter(hospital_id__in=scope.hospital_ids)


class Contract(TimeStampedModel):
    hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("hospital")
    )
    number = models.CharField(_("contract number"), max_length=60, unique=True)
    title = models.CharField(_("project"), max_length=200, blank=True)
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty (months)"),
        default=12,
        validators=[MinValueValidator(1)],
        help_text=_("Counted per device from its acceptance certificate date."),
    )
    extended_warranty_months = models.PositiveSmallIntegerField(
        _("extended warranty (months)"),
        default=0,
        help_text=_("Follows the warranty and behaves like it."),
    )
    service_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_contracts",
        verbose_name=_("service manager"),
    )
    dedicated_engineers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="dedicated_contracts",
        verbose_name=_("dedicated engineers"),
        help_text=_("Two named engineers dedicated to this customer's system."),
    )
    notify_hospital_on_breach = models.BooleanField(
        _("tell the hospital when a promise is broken"),
        default=False,
        help_text=_(
            "E-mail the department's responsible person when a service deadline is missed."
        ),
    )
    devices: models.ManyToManyField[Device, ContractDevice] = models.ManyToManyField(
        Device,
        through="ContractDevice",
        blank=True,
        related_name="contracts",
        verbose_name=_("devices"),
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords(m2m_fields=[dedicated_engineers])

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-signed_on", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(warranty_months__gte=1), name="contract_warranty_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ContractDevice(models.Model):
    """A device is sold under exactly one contract."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    device = models.OneToOneField(Device, on_delete=models.PROTECT, related_name="contract_line")

    class Meta:
        verbose_name = _("contract device")
        verbose_name_plural = _("contract devices")

    def __str__(self) -> str:
        return f"{self.contract} · {self.device}"


class MaintenanceAgreementQuerySet(models.QuerySet):
    def for_user(self, user) -> MaintenanceAgreementQuerySet:
        scope = scope_for(user)
        if scope.all_hospitals:
            return self
        return self.filter(hospital_id__in=scope.hospital_ids)


class MaintenanceAgreement(TimeStampedModel):
    """A long-term maintenance agreement (长期维护协议) signed after warranty (R-7.8)."""

    hospital = models.ForeignKey(
        Hospital,
        on_delete=models.PROTECT,
        related_name="maintenance_agreements",
        verbose_name=_("hospital"),
    )
    number = models.CharField(
        _("agreement number"),
        max_length=60,
        unique=True,
        help_text=_("Left empty, the next number (MA-2026-0001, …) is given."),
    )
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), help_text=_("Last day covered."))
    devices = models.ManyToManyField(
        Device, blank=True, related_name="maintenance_agreements", verbose_name=_("devices")
    )
    covers_parts = models.BooleanField(_("covers parts"), default=False)
    covers_labor = models.BooleanField(_("covers labor"), default=True)
    covers_travel = models.BooleanField(_("covers travel"), default=True)
    fee = models.DecimalField(_("fee"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords(m2m_fields=[devices])

    objects = MaintenanceAgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("maintenance agreement")
        verbose_name_plural = _("maintenance agreements")
        ordering = ["-starts_on", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="agreement_period_order"
            ),
            models.CheckConstraint(condition=Q(fee__gte=0), name="agreement_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class CoverageSettings(models.Model):
    """The knobs of the coverage rule that are not per-line prices. One row (pk=1)."""

    default_warranty_months = models.PositiveSmallIntegerField(
        _("default warranty (months)"),
        default=12,
        validators=[MinValueValidator(1)],
        help_text=_("Used for a device that is not on any contract."),
    )
    component_warranty_months = models.PositiveSmallIntegerField(
        _("replaced component warranty (months)"),
        default=12,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A replaced main component keeps warranty this long from its "
            "replacement, never less than the device's remaining warranty."
        ),
    )
    undetermined_as = models.CharField(
        _("undetermined cause priced as"),
        max_length=20,
        choices=[(Cause.QUALITY, _("Quality fault")), (Cause.NON_QUALITY, _("Non-quality fault"))],
        default=Cause.QUALITY,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coverage settings")
        verbose_name_plural = _("coverage settings")

    def __str__(self) -> str:
        return str(_("Coverage settings"))


class ChargeRule(models.Model):
    """How one line kind is priced for one basis of cover and one fault cause.

    The defaults (R-3.4, R-6.3, R-7.7, R-7.8) are loaded by a data migration and can be
    edited in the admin.
    """

    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices())
    cause = models.CharField(
        _("fault cause"),
        max_length=20,
        choices=[(Cause.QUALITY, _("Quality fault")), (Cause.NON_QUALITY, _("Non-quality fault"))],
    )
    line = models.CharField(_("line"), max_length=10, choices=Line.choices())
    pricing = models.CharField(_("pricing"), max_length=10, choices=Pricing.choices())
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("charge rule")
        verbose_name_plural = _("charge rules")
        ordering = ["basis", "cause", "line"]
        constraints = [
            models.UniqueConstraint(fields=["basis", "cause", "line"], name="charge_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.basis}/{self.cause}/{self.line}: {self.pricing}"
