"""The in-app inbox: one row per person per alert. E-mail is a copy sent after commit; the
row is the record that the person was told."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InboxMessageQuerySet(models.QuerySet):
    def for_user(self, user) -> InboxMessageQuerySet:
        # A message is its addressee's alone, whatever their role.
        return self.filter(user=user)

    def unread(self) -> InboxMessageQuerySet:
        return self.filter(read_at__isnull=True)


class InboxMessage(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="inbox_messages",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # "<what happened>:<user>": the same alert cannot reach the same person twice.
    dedupe_key = models.CharField(max_length=200, unique=True)

    objects = InboxMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="inbox_user_time_idx"),
            # The navbar badge on every page: a count over the unread rows only.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="inbox_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.subject}"
