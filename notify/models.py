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


# --- channels (issue 13 §2) ------------------------------------------------------------
class Channel(models.TextChoices):
    """Where a person can be told. The inbox is always written (it is the record that the
    person was told); the others are chosen per kind of notification."""

    INBOX = "inbox", _("Inbox")
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group")
    DINGTALK = "dingtalk", _("DingTalk group")
    SMS = "sms", _("SMS")


DEFAULT_CHANNELS = (Channel.INBOX, Channel.EMAIL)


class NotificationPreference(models.Model):
    """The channels one person wants for one kind of notification; no row: the defaults."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    channels = models.JSONField(_("channels"), default=list)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notify_pref_user_kind_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"


class RobotKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class GroupRobot(models.Model):
    """A group chat's robot (企业微信 / 钉钉 群机器人) that hears the notifications about
    one hospital's requests. Attached to a hospital; the check constraint names the one
    target so that a service region can become the other target later (a nullable
    ``region_id`` and "hospital XOR region")."""

    kind = models.CharField(_("kind"), max_length=10, choices=RobotKind.choices)
    name = models.CharField(_("name"), max_length=100)
    hospital = models.ForeignKey(
        "customers.Hospital",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="group_robots",
        verbose_name=_("hospital"),
    )
    webhook_url = models.URLField(_("webhook address"), max_length=500)
    # DingTalk's "加签" secret (SEC…); WeCom robots have none.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        constraints = [
            models.CheckConstraint(
                condition=Q(hospital_id__isnull=False), name="notify_robot_has_target"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .outbound import target_url_check

        target_url_check(self.webhook_url, field="webhook_url")


class SmsGateway(models.Model):
    """The SMS gateway as an HTTP request template: the placeholders {phone}, {text} (and
    {id}, the delivery's idempotency key) are filled in, JSON-escaped in a JSON body. One
    row (pk 1) is the gateway in use."""

    method = models.CharField(
        _("method"), max_length=6, choices=[("POST", "POST"), ("GET", "GET")], default="POST"
    )
    url = models.CharField(_("address"), max_length=500)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.TextField(_("body"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SMS gateway")
        verbose_name_plural = _("SMS gateway")

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        from .channels import sms_template_check

        sms_template_check(method=self.method, url=self.url, headers=self.headers, body=self.body)


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("waiting")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    """One message on one channel to one person (or group robot): the record of "told:
    张伟 by WeCom 09:02 ✓". Written with the notice; the worker sends it through the outbox
    (``notify.deliveries``) and marks it sent in the transaction that claimed it."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("recipient"),
    )
    robot = models.ForeignKey(
        GroupRobot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("group robot"),
    )
    recipient = models.CharField(_("told"), max_length=255)
    address = models.CharField(_("address"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # What the message is about ("service.servicerequest", 12): the request page's list.
    about_type = models.CharField(max_length=100, blank=True)
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["about_type", "about_id"], name="notify_delivery_about")]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.get_channel_display()}"


# --- outbound webhooks -------------------------------------------------------------------
class WebhookSubscription(models.Model):
    """An integrator's endpoint, told of the event kinds it names (``notify.webhooks``)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("target address"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200)
    event_kinds = models.JSONField(_("event kinds"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .outbound import target_url_check
        from .webhooks import event_kinds_check

        target_url_check(self.url, field="url")
        event_kinds_check(self.event_kinds)


class WebhookDelivery(models.Model):
    """One event for one subscription; its ``delivery_id`` goes out as
    ``X-Medservice-Delivery`` on every attempt, so the receiver can drop a repeat."""

    delivery_id = models.UUIDField(_("delivery id"), unique=True)
    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    # The domain event's outbox id: one delivery per subscription and event.
    source_key = models.CharField(max_length=100)
    event_kind = models.CharField(_("event kind"), max_length=60)
    body = models.TextField(_("body"))
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "source_key"], name="notify_webhook_once_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_kind} → {self.subscription}"


# --- routing (issue 13 §2) ----------------------------------------------------------------
class NotificationRoute(models.Model):
    """Whether one audience hears one kind of event (``notify.routing``): the vendor's
    administrator switches audiences on and off in the admin. The kinds and audiences are
    registered by the apps that own the records; a row per pair is seeded after migrating."""

    kind = models.CharField(_("kind"), max_length=60)
    audience = models.CharField(_("who is told"), max_length=60)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("notification route")
        verbose_name_plural = _("notification routes")
        ordering = ["kind", "audience"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "audience"], name="notify_route_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.audience}"
