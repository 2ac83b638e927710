"""The installed base: product models, devices, their main components, emergency
procedures (R-5.1) and the identifiers people scan (UDI, QR)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from customers.models import Contact, Department, Hospital
from customers.scoping import scope_q


class RiskClass(models.TextChoices):
    # NMPA device classes (I lowest risk, III highest).
    CLASS_I = "I", _("Class I")
    CLASS_II = "II", _("Class II")
    CLASS_III = "III", _("Class III")


class ProductCategory(models.TextChoices):
    IMAGING = "imaging", _("Medical imaging")
    LIFE_SUPPORT = "life_support", _("Life support")
    MONITORING = "monitoring", _("Patient monitoring")
    LABORATORY = "laboratory", _("Laboratory")
    THERAPY = "therapy", _("Therapy")
    SURGICAL = "surgical", _("Surgical")
    OTHER = "other", _("Other")


class ProductModelQuerySet(models.QuerySet):
    def for_user(self, user) -> ProductModelQuerySet:
        # The vendor's catalogue is not hospital data: every active signed-in user reads it.
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self


class ProductModel(TimeStampedModel):
    manufacturer = models.CharField(_("manufacturer"), max_length=120)
    name = models.CharField(_("model name"), max_length=120)
    gtin = models.CharField(
        _("UDI device identifier (GTIN)"),
        max_length=14,
        blank=True,
        help_text=_("Lets a scanned UDI find its model."),
    )
    category = models.CharField(
        _("category"), max_length=20, choices=ProductCategory.choices, default="other"
    )
    risk_class = models.CharField(
        _("risk class"), max_length=3, choices=RiskClass.choices, default=RiskClass.CLASS_II
    )
    main_components = models.JSONField(
        _("main components"),
        default=list,
        blank=True,
        help_text=_("Names of the main components tracked by serial, one per line."),
    )
    history = HistoricalRecords()

    objects = ProductModelQuerySet.as_manager()

    class Meta:
        verbose_name = _("product model")
        verbose_name_plural = _("product models")
        ordering = ["manufacturer", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["manufacturer", "name"], name="product_model_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.name}"


class DeviceStatus(models.TextChoices):
    INSTALLED = "installed", _("Installed")
    IN_SERVICE = "in_service", _("In service")
    DOWN = "down", _("Down")
    RETIRED = "retired", _("Retired")


class DeviceQuerySet(models.QuerySet):
    def for_user(self, user) -> DeviceQuerySet:
        return self.filter(scope_q(user))


class Device(TimeStampedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    product_model = models.ForeignKey(
        ProductModel, on_delete=models.PROTECT, related_name="devices", verbose_name=_("model")
    )
    serial_number = models.CharField(_("serial number"), max_length=100)
    udi = models.CharField(_("UDI"), max_length=200, blank=True, help_text=_("As scanned."))
    udi_di = models.CharField(_("UDI device identifier (GTIN)"), max_length=14, blank=True)
    udi_lot = models.CharField(_("UDI lot"), max_length=40, blank=True)
    udi_serial = models.CharField(_("UDI serial"), max_length=40, blank=True)
    udi_production_date = models.DateField(_("UDI production date"), null=True, blank=True)
    udi_expiry_date = models.DateField(_("UDI expiry date"), null=True, blank=True)
    asset_tag = models.CharField(_("asset tag"), max_length=60, blank=True)
    hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, related_name="devices", verbose_name=_("hospital")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="devices", verbose_name=_("department")
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    installed_on = models.DateField(_("installation date"), null=True, blank=True)
    acceptance_certificate_no = models.CharField(
        _("acceptance certificate number"), max_length=60, blank=True
    )
    accepted_on = models.DateField(
        _("acceptance date"),
        null=True,
        blank=True,
        help_text=_("Date on the acceptance certificate (验收证); warranty counts from it."),
    )
    live_on = models.DateField(_("go-live date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.INSTALLED
    )
    responsible_contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responsible_for_devices",
        verbose_name=_("responsible person"),
        help_text=_("Hospital-side person responsible for this device."),
    )
    notes = models.TextField(_("notes"), blank=True)
    # Out of use (停用) while a failed safety check is open: a summary of the device's open
    # ``DeviceOutOfUse`` rows, kept by ``assets.services`` so that lists filter and badge it
    # with one column. Empty: the device may be used.
    out_of_use_since = models.DateTimeField(
        _("out of use since"), null=True, blank=True, editable=False
    )
    out_of_use_reason = models.TextField(_("why out of use"), blank=True, editable=False)
    history = HistoricalRecords()

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["hospital__name", "department__name", "serial_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["product_model", "serial_number"], name="device_unique_serial_per_model"
            ),
        ]
        indexes = [
            models.Index(fields=["serial_number"], name="device_serial_idx"),
            models.Index(fields=["asset_tag"], name="device_asset_tag_idx"),
            models.Index(fields=["udi_di", "udi_serial"], name="device_udi_idx"),
            models.Index(
                fields=["out_of_use_since"],
                condition=Q(out_of_use_since__isnull=False),
                name="device_out_of_use_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_model} · {self.serial_number}"

    @property
    def is_out_of_use(self) -> bool:
        return self.out_of_use_since is not None

    @property
    def responsible_person(self) -> Contact | None:
        """The device's own responsible person, else its department's (R-2.3)."""
        return self.responsible_contact or self.department.responsible_contact


class DeviceOutOfUse(models.Model):
    """One reason a device is out of use (停用): a safety item that failed on a visit. Who
    marked it, when and why; who cleared it, when and how (a resolved service request, or a
    note of the vendor's engineer or manager). Rows are kept: they are the device's history.
    The device is out of use while any of its rows is open (``cleared_at`` empty)."""

    device = models.ForeignKey(
        Device,
        on_delete=models.CASCADE,
        related_name="out_of_use_periods",
        verbose_name=_("device"),
    )
    started_at = models.DateTimeField(_("out of use since"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    reason = models.TextField(_("reason"))
    # The visit that found it (by id: assets sits below maintenance) and its failed items.
    visit_ref = models.PositiveBigIntegerField(_("visit"), null=True, blank=True)
    item_keys = models.JSONField(_("checklist items"), default=list, blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cleared by"),
    )
    clear_note = models.TextField(_("note"), blank=True)
    cleared_by_request = models.CharField(_("resolved service request"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("out-of-use record")
        verbose_name_plural = _("out-of-use records")
        ordering = ["device", "-started_at", "-pk"]
        indexes = [
            models.Index(
                fields=["device", "started_at"],
                condition=Q(cleared_at__isnull=True),
                name="device_out_of_use_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | Q(cleared_at__gte=models.F("started_at")),
                name="device_out_of_use_cleared_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} · {self.started_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class MainComponentQuerySet(models.QuerySet):
    def for_user(self, user) -> MainComponentQuerySet:
        return self.filter(device__in=Device.objects.for_user(user))

    def installed(self) -> MainComponentQuerySet:
        return self.filter(removed_on__isnull=True)


class ComponentFate(models.TextChoices):
    """Where a removed main component went (issue 5 §2)."""

    RETURNED = "returned", _("returned to the vendor")
    SCRAPPED = "scrapped", _("scrapped")
    SENT_FOR_REPAIR = "sent_for_repair", _("sent for repair")


class MainComponent(TimeStampedModel):
    """A serial-tracked main component inside a device. A replacement is a new row that
    points at the one it replaced and carries its own warranty start (R-6.5)."""

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="components", verbose_name=_("device")
    )
    name = models.CharField(_("component"), max_length=120)
    serial_number = models.CharField(_("serial number"), max_length=100)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    removal_fate = models.CharField(
        _("after removal"), max_length=20, choices=ComponentFate.choices, blank=True
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    replaced_on = models.DateField(
        _("replaced on"),
        null=True,
        blank=True,
        help_text=_(
            "Set when this component was fitted as a replacement; its warranty runs from this date."
        ),
    )
    history = HistoricalRecords()

    objects = MainComponentQuerySet.as_manager()

    class Meta:
        verbose_name = _("main component")
        verbose_name_plural = _("main components")
        ordering = ["device", "name", "installed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "serial_number"], name="main_component_unique_serial"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.serial_number}"


class AcceptanceCertificateQuerySet(models.QuerySet):
    def for_user(self, user) -> AcceptanceCertificateQuerySet:
        return self.filter(
            scope_q(user, hospital="device__hospital_id", department="device__department_id")
        )


def acceptance_certificate_upload_to(instance: AcceptanceCertificate, filename: str) -> str:
    return f"acceptance-certificates/{uuid.uuid4().hex}/{filename}"


class AcceptanceCertificate(TimeStampedModel):
    """The acceptance certificate (验收证, R-3.1) as the document the hospital signed: a PDF
    or a photo of it, uploaded by the vendor's staff. A kept record, never deleted (the
    archive's ``RETAINED``) nor replaced: a new upload supersedes it, both stay, the
    newest is the device's current certificate."""

    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        related_name="acceptance_certificates",
        verbose_name=_("device"),
    )
    document = models.FileField(_("document"), upload_to=acceptance_certificate_upload_to)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size = models.PositiveIntegerField(_("size in bytes"), editable=False)
    uploaded_at = models.DateTimeField(_("uploaded at"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    objects = AcceptanceCertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("acceptance certificate")
        verbose_name_plural = _("acceptance certificates")
        ordering = ["-uploaded_at", "-pk"]
        indexes = [
            models.Index(fields=["device", "-uploaded_at"], name="acceptance_cert_device_idx")
        ]

    def __str__(self) -> str:
        return f"{self.device} · {self.uploaded_at:%Y-%m-%d}"

    @property
    def file_name(self) -> str:
        return self.document.name.rsplit("/", 1)[-1]


class EmergencyProcedureQuerySet(models.QuerySet):
    def for_user(self, user) -> EmergencyProcedureQuerySet:
        return self.filter(scope_q(user, hospital="department__hospital_id"))

    def received(self) -> EmergencyProcedureQuerySet:
        return self.filter(received_at__isnull=False)


def emergency_procedure_upload_to(instance: EmergencyProcedure, filename: str) -> str:
    return f"emergency-procedures/{uuid.uuid4().hex}/{filename}"


class EmergencyProcedure(TimeStampedModel):
    """An emergency-handling procedure (应急处理程序方案) handed to a department before its
    device goes live (R-5.1). It applies to one device, or to every device of a product
    model in that department."""

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="emergency_procedures",
        verbose_name=_("department"),
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emergency_procedures",
        verbose_name=_("device"),
    )
    product_model = models.ForeignKey(
        ProductModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emergency_procedures",
        verbose_name=_("product model"),
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("procedure"), blank=True)
    document = models.FileField(_("document"), upload_to=emergency_procedure_upload_to, blank=True)
    received_by = models.CharField(_("received by"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = HistoricalRecords()

    objects = EmergencyProcedureQuerySet.as_manager()

    class Meta:
        verbose_name = _("emergency procedure")
        verbose_name_plural = _("emergency procedures")
        ordering = ["department", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(device__isnull=False) | Q(product_model__isnull=False),
                name="emergency_procedure_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OperationLogQuerySet(models.QuerySet):
    def for_user(self, user) -> OperationLogQuerySet:
        return self.filter(scope_q(user))


class OperationLogKind(models.TextChoices):
    STARTUP_CHECK = "startup_check", _("Start-up check")
    USAGE = "usage", _("Usage")
    EVENT = "event", _("Event")


class StartupResult(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("device state", "Normal")
    ABNORMAL = "abnormal", _("Abnormal")


class UsageUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    COUNTS = "counts", _("counts")


class OperationEvent(models.TextChoices):
    POWER_CUT = "power_cut", _("Power cut")
    MOVED = "moved", _("Moved")
    DROPPED = "dropped", _("Dropped")
    OTHER = "other", _("Other")


def operation_log_photo_upload_to(instance: OperationLogEntry, filename: str) -> str:
    return f"operation-log/{instance.device_id}/{uuid.uuid4().hex}/{filename}"


class OperationLogEntry(models.Model):
    """One line of a device's operation log (使用记录, R-5.4 "check the operation records"),
    written by the hospital's staff on a phone: a start-up check (normal or abnormal), the
    hours or counts of use, or an event (power cut, moved, dropped). Entries are kept as
    written: they are part of the device's archive."""

    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="operation_log", verbose_name=_("device")
    )
    # Copied from the device when written: the entry stays where it was recorded, and
    # scoping is one WHERE clause.
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=OperationLogKind.choices)
    result = models.CharField(_("result"), max_length=10, choices=StartupResult.choices, blank=True)
    usage_value = models.DecimalField(
        _("usage"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    usage_unit = models.CharField(_("unit"), max_length=10, choices=UsageUnit.choices, blank=True)
    event = models.CharField(_("event"), max_length=20, choices=OperationEvent.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    photo = models.FileField(_("photo"), upload_to=operation_log_photo_upload_to, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = OperationLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("operation log entry")
        verbose_name_plural = _("operation log entries")
        ordering = ["-recorded_at", "-pk"]
        indexes = [
            models.Index(fields=["device", "-recorded_at"], name="operation_log_device_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="startup_check", result__in=["normal", "abnormal"])
                    | Q(kind="usage", usage_value__isnull=False, usage_value__gte=0,
                        usage_unit__in=["hours", "counts"])
                    | Q(kind="event", event__in=["power_cut", "moved", "dropped", "other"])
                ),
                name="operation_log_entry_complete",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.device_id} · {self.get_kind_display()} · {self.recorded_at:%Y-%m-%d}"

    @property
    def is_abnormal(self) -> bool:
        return self.kind == OperationLogKind.STARTUP_CHECK and self.result == StartupResult.ABNORMAL

    @property
    def summary(self) -> str:
        """What was recorded, in one line: the result, the hours or counts, or the event."""
        if self.kind == OperationLogKind.STARTUP_CHECK:
            return str(self.get_result_display())
        if self.kind == OperationLogKind.USAGE:
            value = f"{self.usage_value:f}".rstrip("0").rstrip(".") if self.usage_value else "0"
            return f"{value} {self.get_usage_unit_display()}"
        return str(self.get_event_display())
