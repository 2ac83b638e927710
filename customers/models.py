"""The vendor's own service organisation (R-1.1) and its customers: hospitals, their
clinical departments (科室), contacts, and which users belong to which hospital."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from .scoping import scope_for


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            _("“%(value)s” is not an IANA time zone such as Asia/Shanghai."),
            code="invalid_time_zone",
            params={"value": value},
        )


class ServiceOrganisation(TimeStampedModel):
    """The vendor's after-sales service organisation (R-1.1). One row (pk=1)."""

    name = models.CharField(_("company name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    hotline = models.CharField(_("service hotline"), max_length=60, blank=True)
    manager_name = models.CharField(_("after-sales manager"), max_length=100, blank=True)
    manager_phone = models.CharField(_("manager phone"), max_length=60, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service organisation")
        verbose_name_plural = _("service organisation")

    def __str__(self) -> str:
        return self.name


DEFAULT_REGION_CODE = "default"


class ServiceRegion(TimeStampedModel):
    """A service region groups hospitals; the duty roster covers each region around the
    clock (R-6.2). Every hospital has one."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=settings.DEFAULT_HOSPITAL_TIME_ZONE,
        validators=[validate_time_zone],
        help_text=_("IANA name; the duty roster of the region is shown in this zone."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service region")
        verbose_name_plural = _("service regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def default_region_id() -> int:
    """The region a hospital gets when none is named (created by the data migration)."""
    region, _created = ServiceRegion.objects.get_or_create(
        code=DEFAULT_REGION_CODE, defaults={"name": "默认服务区域"}
    )
    return region.pk


class HospitalQuerySet(models.QuerySet):
    def for_user(self, user) -> HospitalQuerySet:
        scope = scope_for(user)
        if scope.all_hospitals:
            return self
        return self.filter(pk__in=scope.visible_hospital_ids)


class Hospital(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.CharField(_("code"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=settings.DEFAULT_HOSPITAL_TIME_ZONE,
        validators=[validate_time_zone],
        help_text=_("IANA name; deadlines and printed records use this zone."),
    )
    region = models.ForeignKey(
        ServiceRegion,
        on_delete=models.PROTECT,
        related_name="hospitals",
        verbose_name=_("service region"),
        default=default_region_id,
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    objects = HospitalQuerySet.as_manager()

    class Meta:
        verbose_name = _("hospital")
        verbose_name_plural = _("hospitals")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DepartmentQuerySet(models.QuerySet):
    def for_user(self, user) -> DepartmentQuerySet:
        scope = scope_for(user)
        if scope.all_hospitals:
            return self
        return self.filter(
            models.Q(hospital_id__in=scope.hospital_ids) | models.Q(pk__in=scope.department_ids)
        )


class Department(TimeStampedModel):
    hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, related_name="departments", verbose_name=_("hospital")
    )
    name = models.CharField(_("name"), max_length=120)
    responsible_contact = models.ForeignKey(
        "Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responsible_for_departments",
        verbose_name=_("responsible person"),
        help_text=_("The hospital-side person responsible for this department's devices."),
    )
    history = HistoricalRecords()

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["hospital__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "name"], name="department_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactQuerySet(models.QuerySet):
    def for_user(self, user) -> ContactQuerySet:
        scope = scope_for(user)
        if scope.all_hospitals:
            return self
        return self.filter(hospital_id__in=scope.visible_hospital_ids)


class Contact(TimeStampedModel):
    hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("hospital")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("department"),
    )
    name = models.CharField(_("full name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    history = HistoricalRecords()

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["hospital__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name


class HospitalRole(models.TextChoices):
    EQUIPMENT_ADMIN = "equipment_admin", _("Equipment administrator")
    DEPARTMENT_USER = "department_user", _("Department user")


class HospitalMembership(TimeStampedModel):
    """Makes a user a hospital user: the equipment administrator sees the whole hospital,
    a department user only the devices of the listed departments."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="hospital_membership",
        verbose_name=_("user"),
    )
    hospital = models.ForeignKey(
        Hospital, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("hospital")
    )
    role = models.CharField(_("role"), max_length=20, choices=HospitalRole.choices)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="memberships", verbose_name=_("departments")
    )
    # Who gave a hospital user which hospital, role and departments, and when.
    history = HistoricalRecords(m2m_fields=[departments])

    class Meta:
        verbose_name = _("hospital membership")
        verbose_name_plural = _("hospital memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.hospital} ({self.get_role_display()})"
