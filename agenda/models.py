"""Calendar feeds (issue 4 §5): a secret-token ICS address per engineer or per hospital
that a phone's calendar app subscribes to, and that its owner can revoke.

Only the SHA-256 of the token is stored, like ``accounts.ApiToken``: the address is shown
once, when the feed is created."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Hospital


class FeedScope(models.TextChoices):
    ENGINEER = "engineer", _("Engineer")
    HOSPITAL = "hospital", _("Hospital")


class CalendarFeedQuerySet(models.QuerySet):
    def active(self) -> CalendarFeedQuerySet:
        return self.filter(revoked_at__isnull=True)


class CalendarFeed(models.Model):
    """What the feed shows is decided when it is read: the entries its owner may see
    *now*, of its engineer or hospital. An owner who lost access gets an empty feed."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        verbose_name=_("owner"),
    )
    scope = models.CharField(_("calendar of"), max_length=20, choices=FeedScope.choices)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("engineer"),
    )
    hospital = models.ForeignKey(
        Hospital,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_feeds",
        verbose_name=_("hospital"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The create form's one-time key: a double tap or a resent form creates one feed.
    submission_key = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="engineer", engineer__isnull=False, hospital__isnull=True)
                    | Q(scope="hospital", hospital__isnull=False, engineer__isnull=True)
                ),
                name="calendar_feed_one_target",
            ),
            models.UniqueConstraint(
                fields=["owner", "submission_key"],
                condition=~Q(submission_key=""),
                name="calendar_feed_submission_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def target(self):
        return self.engineer if self.scope == FeedScope.ENGINEER else self.hospital

    @property
    def target_id(self) -> int | None:
        return self.engineer_id if self.scope == FeedScope.ENGINEER else self.hospital_id
