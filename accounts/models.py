"""Users, vendor roles and API tokens.

Hospital users are ordinary users with a ``customers.HospitalMembership``; the hospital side
of "who may see what" lives with the hospitals (``customers.scoping``) so that imports point
one way: customers → accounts, never back.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class VendorRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Service manager")
    ENGINEER = "engineer", _("Service engineer")
    DISPATCHER = "dispatcher", _("Hotline agent")


# Saved on every login (Django's ``update_last_login``) or with a new hash: neither is a
# change of who may do what, and the hash must never be copied anywhere.
USER_FIELDS_NOT_IN_HISTORY = ("password", "last_login")


class UserHistory(HistoricalRecords):
    """History of a user's roles and access, without a row for every login."""

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields and set(update_fields) <= set(USER_FIELDS_NOT_IN_HISTORY):
            return
        super().post_save(instance, created, using=using, **kwargs)


class User(AbstractUser):
    vendor_role = models.CharField(
        _("vendor role"),
        max_length=20,
        choices=VendorRole.choices,
        blank=True,
        help_text=_("Empty for hospital users."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Who made someone an administrator, or took a role away, and when.
    history = UserHistory(excluded_fields=list(USER_FIELDS_NOT_IN_HISTORY))

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username

    def get_full_name(self) -> str:
        # Chinese names are written family name first, without a space: 张伟, not 伟 张.
        if any("\u4e00" <= ch <= "\u9fff" for ch in self.last_name + self.first_name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()

    @property
    def effective_vendor_role(self) -> str:
        """A Django superuser acts as a vendor admin."""
        if self.is_superuser:
            return VendorRole.ADMIN
        return self.vendor_role

    @property
    def is_vendor_staff(self) -> bool:
        return bool(self.effective_vendor_role)

    def display_time_zone(self) -> str:
        membership = getattr(self, "hospital_membership", None)
        if membership is not None:
            return membership.hospital.time_zone
        return settings.TIME_ZONE


class ApiToken(models.Model):
    """A bearer token for integrations. Only the SHA-256 of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
