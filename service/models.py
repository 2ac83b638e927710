"""Service requests, their append-only event timeline, the SLA policies that turn the
vendor's promises into milestones, and the milestone rows the escalation sweep reads."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assets.models import Device
from contracts.models import Contract
from core.models import DrawnSignature, TimeStampedModel
from customers.models import Contact, Department, Hospital
from customers.scoping import scope_q

from .timeline import EventType, Status


class Severity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline call")
    WEB = "web", _("Hospital web portal")
    VISIT = "visit", _("Found on a visit")
    API = "api", _("Integration (API)")


class FaultCause(models.TextChoices):
    UNDETERMINED = "undetermined", _("Not yet determined")
    QUALITY = "quality", _("Quality fault")
    NON_QUALITY = "non_quality", _("Non-quality fault (misuse, accident, external cause)")


class Bilingual(models.Model):
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class CalendarKind(models.TextChoices):
    AROUND_THE_CLOCK = "around_the_clock", _("24×7")
    WORKING_HOURS = "working_hours", _("Working hours")


class SlaCalendar(Bilingual):
    """Which time counts towards a deadline. 24×7 by default (R-6.2); a working-hours
    calendar follows China's holidays and make-up working days, and ``CalendarDay`` rows
    override single days."""

    key = models.SlugField(_("key"), unique=True)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=CalendarKind.choices,
        default=CalendarKind.AROUND_THE_CLOCK,
    )
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    china_holidays = models.BooleanField(_("follow China's public holidays"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SLA calendar")
        verbose_name_plural = _("SLA calendars")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="around_the_clock")
                | Q(opens__isnull=False, closes__isnull=False, opens__lt=models.F("closes")),
                name="sla_calendar_working_hours_set",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    calendar = models.ForeignKey(SlaCalendar, on_delete=models.CASCADE, related_name="days")
    day = models.DateField(_("day"))
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day override")
        verbose_name_plural = _("calendar day overrides")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "day"], name="calendar_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.calendar}: {self.day}"


class SlaPolicy(Bilingual):
    """A list of milestones, chosen per contract and severity (``ContractSlaPolicy``), or
    the default of its severity."""

    key = models.SlugField(_("key"), unique=True)
    calendar = models.ForeignKey(
        SlaCalendar, on_delete=models.PROTECT, related_name="policies", verbose_name=_("calendar")
    )
    default_for = models.CharField(
        _("default for severity"),
        max_length=20,
        choices=Severity.choices,
        blank=True,
        help_text=_("Used for requests of this severity when the contract names no policy."),
    )
    at_risk_fraction = models.FloatField(
        _("at risk below this share of the target left"),
        default=0.25,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["default_for"],
                condition=~Q(default_for=""),
                name="sla_policy_one_default_per_severity",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MilestoneStart(models.TextChoices):
    REPORTED = "reported", _("the fault report")
    ARRIVED = "arrived", _("the first arrival on site")


class MilestoneDefinition(Bilingual):
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("policy")
    )
    key = models.SlugField(_("key"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    starts_at = models.CharField(
        _("clock starts at"), max_length=20, choices=MilestoneStart.choices, default="reported"
    )
    met_by = models.JSONField(_("met by events"), default=list)
    target = models.DurationField(_("target"))
    skipped_by_remote = models.BooleanField(
        _("not applicable after a remote fix before arrival"), default=False
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone definition")
        verbose_name_plural = _("milestone definitions")
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "key"], name="milestone_definition_unique"),
            models.CheckConstraint(
                condition=Q(target__gt=timedelta(0)), name="milestone_target_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.key}/{self.key}"


class ContractSlaPolicy(models.Model):
    """The policy a contract uses for one severity (else the severity's default)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="sla_policies")
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("contract SLA policy")
        verbose_name_plural = _("contract SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "severity"], name="contract_sla_policy_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract} · {self.severity}: {self.policy}"


class ServiceRequestQuerySet(models.QuerySet):
    def for_user(self, user) -> ServiceRequestQuerySet:
        return self.filter(scope_q(user))

    def open(self) -> ServiceRequestQuerySet:
        return self.filter(is_open=True)


class ServiceRequest(TimeStampedModel):
    number = models.CharField(_("request number"), max_length=20, unique=True, editable=False)
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="service_requests", verbose_name=_("device")
    )
    # Copied from the device when the request opens: the request stays where it was
    # reported even if the device moves later, and scoping is one WHERE clause.
    hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, related_name="service_requests"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="service_requests"
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="service_requests"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="requests")
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=[(s.value, s.value) for s in Status], default="new"
    )
    is_open = models.BooleanField(default=True)
    reported_at = models.DateTimeField(
        _("reported at"), help_text=_("When the vendor was notified of the fault.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    reporter_name = models.CharField(_("reported by"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=60, blank=True)
    description = models.TextField(_("symptom"))
    fault_cause = models.CharField(
        _("fault cause"), max_length=20, choices=FaultCause.choices, default="undetermined"
    )
    engineers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="assigned_requests",
        verbose_name=_("engineers"),
    )
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["next_due_at", "status", "is_open"])

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-reported_at"]
        indexes = [
            # The dispatch board: open requests by their nearest deadline, one index scan.
            models.Index(
                fields=["next_due_at"], condition=Q(is_open=True), name="request_open_due_idx"
            ),
            models.Index(fields=["hospital", "-reported_at"], name="request_hospital_idx"),
            models.Index(fields=["device", "-reported_at"], name="request_device_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class ServiceEvent(models.Model):
    """One step of a request. Append-only: nothing updates or deletes a row."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(
        _("event"), max_length=30, choices=[(t.value, t.value) for t in EventType]
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    data = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    # Dated well before it was recorded: it needs a reason, and it meets no promise until a
    # manager confirms it (``LateStepConfirmation``).
    recorded_late = models.BooleanField(_("recorded late"), default=False)
    late_reason = models.TextField(_("why recorded late"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("service event")
        verbose_name_plural = _("service events")
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="service_event_idempotency",
            ),
        ]
        indexes = [models.Index(fields=["request", "occurred_at"], name="event_request_time_idx")]

    def __str__(self) -> str:
        return f"{self.request} {self.type} @ {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def awaits_confirmation(self) -> bool:
        return self.recorded_late and not hasattr(self, "confirmation")


class LateStepConfirmation(models.Model):
    """A manager's word that a step recorded late happened when it says. Its own row, so
    the timeline stays append-only; until it exists the step meets no promise."""

    event = models.OneToOneField(
        ServiceEvent, on_delete=models.CASCADE, related_name="confirmation"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("confirmation of a step recorded late")
        verbose_name_plural = _("confirmations of steps recorded late")

    def __str__(self) -> str:
        return f"{self.event} ✓ {self.confirmed_by}"


class Milestone(Bilingual):
    """A promise of one request: recomputed from the timeline after every event. The
    sweep claims rows through ``at_risk_notified_at`` / ``breach_notified_at``."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="milestones")
    key = models.SlugField()
    position = models.PositiveSmallIntegerField(default=0)
    target_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=20, default="pending")
    at_risk = models.BooleanField(default=False)
    paused = models.BooleanField(default=False)
    at_risk_notified_at = models.DateTimeField(null=True, blank=True)
    breach_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "key"], name="milestone_unique_key"),
        ]
        indexes = [
            # The sweep's two questions, each answered from the open rows only.
            models.Index(
                fields=["warn_at"],
                condition=Q(met_at__isnull=True, at_risk_notified_at__isnull=True),
                name="milestone_open_warn_idx",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(met_at__isnull=True, breach_notified_at__isnull=True),
                name="milestone_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} {self.key}: {self.state}"


class RootCauseReport(TimeStampedModel):
    """故障成因分析 (R-5.5): an emergency request cannot be closed without one."""

    request = models.OneToOneField(
        ServiceRequest, on_delete=models.CASCADE, related_name="root_cause_report"
    )
    cause = models.TextField(_("root cause"))
    measures = models.TextField(_("measures taken"))
    explained_to = models.CharField(_("explained to"), max_length=200)
    explained_at = models.DateTimeField(_("explained at"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("root-cause report")
        verbose_name_plural = _("root-cause reports")

    def __str__(self) -> str:
        return f"{self.request}: {self.cause[:40]}"


def _repair_record_upload(instance: models.Model, filename: str) -> str:
    # Under the request's number: an archivist finds a record's files together.
    record = instance if isinstance(instance, RepairRecord) else instance.record  # type: ignore[attr-defined]
    return f"repair-records/{record.request.number}/{filename}"


class RepairRecord(TimeStampedModel):
    """客户维修记录表 / 维修记录单 (R-3.5, R-3.6, R-5.4): one per request. Editable until the
    customer signs; then frozen (``frozen_at``), and a correction is an amendment."""

    request = models.OneToOneField(
        ServiceRequest,
        on_delete=models.PROTECT,
        related_name="repair_record",
        verbose_name=_("service request"),
    )
    state_before_fault = models.TextField(_("working state before the fault"), blank=True)
    fault_at = models.DateTimeField(_("time of the fault"), null=True, blank=True)
    symptoms = models.TextField(_("symptoms and current state"), blank=True)
    checks_done = models.TextField(_("checks done (incl. operation records)"), blank=True)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    solution = models.TextField(_("solution and work done"), blank=True)
    parts_replaced = models.JSONField(
        _("parts replaced"),
        default=list,
        blank=True,
        help_text=_("A list of {name, serial_removed, serial_fitted}."),
    )
    labor_hours = models.DecimalField(
        _("labor hours"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    fault_cause = models.CharField(
        _("fault cause"), max_length=20, choices=FaultCause.choices, default="undetermined"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True, editable=False)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True, editable=False)
    pdf = models.FileField(_("PDF"), upload_to=_repair_record_upload, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("repair record")
        verbose_name_plural = _("repair records")
        constraints = [
            models.CheckConstraint(
                condition=Q(labor_hours__gte=0), name="repair_record_labor_hours_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request}: {_('repair record')}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class RepairRecordAmendment(models.Model):
    """A correction of a frozen record: the record itself never changes (GUIDE 7)."""

    record = models.ForeignKey(
        RepairRecord,
        on_delete=models.PROTECT,
        related_name="amendments",
        verbose_name=_("repair record"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reason = models.TextField(_("reason for the correction"))
    changes = models.JSONField(_("changed fields"), default=dict)
    content_hash = models.CharField(_("content hash"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("repair record amendment")
        verbose_name_plural = _("repair record amendments")
        ordering = ["record", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.record.request}: {_('amendment')} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def document(self) -> RepairRecord:
        return self.record


class Signature(DrawnSignature):
    """A signature drawn on screen on a repair record. ``content_hash`` is the SHA-256 of the
    signed content (the record's, or the amendment's when ``amendment`` is set) and of the
    image, so a later change to either is visible."""

    record = models.ForeignKey(
        RepairRecord,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("repair record"),
    )
    amendment = models.ForeignKey(
        RepairRecordAmendment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
        verbose_name=_("amendment"),
    )

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["record", "signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "role"],
                condition=Q(amendment__isnull=True),
                name="signature_one_per_role_on_record",
            ),
            models.UniqueConstraint(
                fields=["amendment", "role"],
                condition=Q(amendment__isnull=False),
                name="signature_one_per_role_on_amendment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record.request}: {self.get_role_display()} {self.signer_name}"

    @property
    def document(self) -> RepairRecord:
        return self.record

    def upload_path(self, filename: str) -> str:
        return _repair_record_upload(self, filename)


# --- the hotline desk (issue 13 §3): the call log -----------------------------------------
class CallKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    FAULT = "fault", _("Fault")
    COMPLAINT = "complaint", _("Complaint")
    FOLLOW_UP = "follow_up", _("Follow-up")


class CallOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    REQUEST_OPENED = "request_opened", _("Request opened")
    ADDED_TO_REQUEST = "added_to_request", _("Added to an open request")
    SOLVED_BY_PHONE = "solved_by_phone", _("Solved by phone")
    CLOSED = "closed", _("Closed")


class CallQuerySet(models.QuerySet):
    def for_user(self, user) -> CallQuerySet:
        """Vendor staff see every call; a hospital's users the calls of their hospital (or
        departments), read-only; a call from an unknown hospital is the vendor's only."""
        return self.filter(scope_q(user))


class Call(TimeStampedModel):
    """One call to the hotline (R-6.6): who called, about what, what the agent advised,
    and how it ended. A call may become a service request, join an open one, or be closed
    as solved by phone. Writes go through ``service.hotline.services``."""

    started_at = models.DateTimeField(_("call started"))
    ended_at = models.DateTimeField(_("call ended"), null=True, blank=True)
    kind = models.CharField(_("kind of call"), max_length=20, choices=CallKind.choices)
    caller_name = models.CharField(_("caller"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    # The phone as digits (``core.phones.normalise``): what a lookup compares.
    phone_normalised = models.CharField(max_length=60, blank=True, editable=False)
    hospital = models.ForeignKey(
        Hospital,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("hospital"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("department"),
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("device"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("contact"),
    )
    said = models.TextField(_("what was said"), max_length=5000)
    guidance = models.TextField(_("remote guidance given"), blank=True, max_length=5000)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=CallOutcome.choices, default=CallOutcome.OPEN
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agent"),
    )
    request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("service request"),
    )
    history = HistoricalRecords()

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("hotline call")
        verbose_name_plural = _("hotline calls")
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["-started_at"], name="call_started_idx"),
            models.Index(fields=["hospital", "kind"], name="call_hospital_kind_idx"),
            models.Index(fields=["phone_normalised"], name="call_phone_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="call_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.caller_name or self.phone}".strip()

    @property
    def is_open(self) -> bool:
        return self.outcome == CallOutcome.OPEN
