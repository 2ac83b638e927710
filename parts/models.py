"""Spare parts, where they are, and the ledger of every change (issue 5 §1, R-5.3, R-6.7).

The ledger (``StockMovement``) is append-only; ``StockLevel`` is its running sum per part
and location, written in the same transaction as each movement and guarded by CHECK
constraints, so stock can never go negative even if a bug slipped past the services.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assets.models import Device, ProductModel
from core.models import TimeStampedModel
from service.models import ServiceRequest


def _vendor_only(queryset, user):
    """Parts, prices and stock are the vendor's business: hospital users see nothing."""
    if user is not None and user.is_authenticated and user.is_vendor_staff:
        return queryset
    return queryset.none()


class SparePartQuerySet(models.QuerySet):
    def for_user(self, user) -> SparePartQuerySet:
        return _vendor_only(self, user)


class SparePart(TimeStampedModel):
    part_number = models.CharField(_("part number"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    product_models = models.ManyToManyField(
        ProductModel, blank=True, related_name="spare_parts", verbose_name=_("fits models")
    )
    symptom_keywords = models.CharField(
        _("symptom keywords"),
        max_length=300,
        blank=True,
        help_text=_(
            "Words of a fault report that call for this part, separated by commas, e.g. "
            "“no display, 黑屏”. Dispatch reserves a matching part for the engineer."
        ),
    )
    is_main_component = models.BooleanField(_("main component (tracked by serial)"), default=False)
    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    cost_price = models.DecimalField(
        _("cost price"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    list_price = models.DecimalField(
        _("list price"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    active = models.BooleanField(_("active"), default=True)
    # Who changed a price (or a name) when: the form, the API and the bulk import alike
    # (parts.catalogue_import.write writes the historical rows of its bulk statements itself).
    history = HistoricalRecords()

    objects = SparePartQuerySet.as_manager()

    class Meta:
        ordering = ["part_number"]
        verbose_name = _("spare part")
        verbose_name_plural = _("spare parts")
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_price__gte=0) & Q(list_price__gte=0),
                name="part_prices_not_negative",
            )
        ]

    @property
    def name(self) -> str:
        if (get_language() or "zh-hans").startswith("zh"):
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh

    def __str__(self) -> str:
        return f"{self.part_number} {self.name}"


class LocationKind(models.TextChoices):
    CENTRAL = "central", _("central warehouse")
    REGIONAL = "regional", _("regional store")
    ENGINEER_BAG = "engineer_bag", _("engineer's bag")


class StockLocationQuerySet(models.QuerySet):
    def for_user(self, user) -> StockLocationQuerySet:
        return _vendor_only(self, user)


class StockLocation(TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=20, choices=LocationKind.choices)
    name = models.CharField(_("name"), max_length=120, unique=True)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_bags",
        verbose_name=_("engineer"),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = StockLocationQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")
        # The all-locations stock page sorts by location first: without this index it joins
        # and sorts every level (166 ms on 138,000 levels, 38 ms with it; docs/benchmarks.md).
        indexes = [models.Index(fields=["kind", "name"], name="location_kind_name_idx")]
        constraints = [
            # A bag belongs to an engineer; a store to nobody.
            models.CheckConstraint(
                condition=(Q(kind="engineer_bag") & Q(engineer__isnull=False))
                | (~Q(kind="engineer_bag") & Q(engineer__isnull=True)),
                name="location_bag_has_engineer",
            ),
            models.UniqueConstraint(
                fields=["engineer"], condition=Q(kind="engineer_bag"), name="one_bag_per_engineer"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UnitState(models.TextChoices):
    IN_STOCK = "in_stock", _("in stock")
    RESERVED = "reserved", _("reserved")
    INSTALLED = "installed", _("installed")
    RETURNED = "returned", _("returned")
    SCRAPPED = "scrapped", _("scrapped")
    SENT_FOR_REPAIR = "sent_for_repair", _("sent for repair")


class SerialUnit(TimeStampedModel):
    """One unit of a main component: it is in one place at a time, or in none."""

    part = models.ForeignKey(
        SparePart, on_delete=models.PROTECT, related_name="units", verbose_name=_("part")
    )
    serial_number = models.CharField(_("serial number"), max_length=100)
    location = models.ForeignKey(
        StockLocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        verbose_name=pgettext_lazy("stock", "location"),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=UnitState.choices, default=UnitState.IN_STOCK
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spare_units",
        verbose_name=_("device"),
    )

    class Meta:
        ordering = ["part", "serial_number"]
        verbose_name = _("serial unit")
        verbose_name_plural = _("serial units")
        constraints = [
            models.UniqueConstraint(fields=["part", "serial_number"], name="unit_serial_unique"),
            # On a shelf means at a location; anywhere else means at none.
            models.CheckConstraint(
                condition=(Q(state__in=["in_stock", "reserved"]) & Q(location__isnull=False))
                | (~Q(state__in=["in_stock", "reserved"]) & Q(location__isnull=True)),
                name="unit_location_matches_state",
            ),
            models.CheckConstraint(
                condition=Q(state="installed", device__isnull=False) | ~Q(state="installed"),
                name="unit_installed_has_device",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part.part_number} #{self.serial_number}"


# The most units one movement may move (a delivery, a transfer, an issue, a count's
# difference): far above what a service organisation moves of one part at once, far below
# what would make the books absurd (issue 10 §8). Forms, the API and the services use it.
MAX_MOVEMENT_QUANTITY = 10_000


class MovementKind(models.TextChoices):
    RECEIVE = "receive", _("receive")
    TRANSFER = "transfer", _("transfer")
    RESERVE = "reserve", _("reserve")
    UNRESERVE = "unreserve", _("release reservation")
    ISSUE = "issue", _("issue to a request")
    RETURN = "return", _("return to stock")
    WRITE_OFF = "write_off", _("write-off")
    COUNT_CORRECTION = "count_correction", _("count correction")


class StockMovement(models.Model):
    """One line of the ledger; never changed or deleted once written.

    Effects on the level: receive, return and an upward count correction add to
    ``to_location``; issue, write-off and a downward correction take from
    ``from_location``; a transfer does both; reserve and unreserve change the reserved
    quantity at ``from_location`` (the stock does not move).
    """

    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    part = models.ForeignKey(
        SparePart, on_delete=models.PROTECT, related_name="movements", verbose_name=_("part")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    from_location = models.ForeignKey(
        StockLocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements_out",
        verbose_name=_("from"),
    )
    to_location = models.ForeignKey(
        StockLocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements_in",
        verbose_name=_("to"),
    )
    request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="part_movements",
        verbose_name=_("service request"),
    )
    serial_unit = models.ForeignKey(
        SerialUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
        verbose_name=_("serial unit"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    # A resent form or API call carries the same key: unique per user who recorded it, so
    # one user's key never finds (or blocks) another user's movement (issue 10 §5).
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [
            models.Index(fields=["request", "part"], name="movement_request_part_idx"),
            models.Index(fields=["part", "from_location"], name="movement_part_from_idx"),
            models.Index(fields=["part", "to_location"], name="movement_part_to_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="movement_quantity_positive"),
            models.CheckConstraint(
                condition=Q(from_location__isnull=False) | Q(to_location__isnull=False),
                name="movement_has_a_location",
            ),
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="movement_key_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} × {self.part.part_number}"


class StockLevel(models.Model):
    """The running sum of the ledger per part and location (never edited by hand)."""

    part = models.ForeignKey(
        SparePart, on_delete=models.PROTECT, related_name="levels", verbose_name=_("part")
    )
    location = models.ForeignKey(
        StockLocation,
        on_delete=models.PROTECT,
        related_name="levels",
        verbose_name=pgettext_lazy("stock", "location"),
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)

    class Meta:
        ordering = ["part", "location"]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["part", "location"], name="level_part_location"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="level_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="level_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="level_reserved_within_on_hand"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.location_id}: {self.on_hand} ({self.reserved} reserved)"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class ReorderPoint(models.Model):
    part = models.ForeignKey(
        SparePart, on_delete=models.CASCADE, related_name="reorder_points", verbose_name=_("part")
    )
    location = models.ForeignKey(
        StockLocation,
        on_delete=models.CASCADE,
        related_name="reorder_points",
        verbose_name=pgettext_lazy("stock", "location"),
    )
    minimum = models.PositiveIntegerField(_("minimum"))
    # The daily job's claim: one notice per part × location per day, however many workers.
    notified_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("reorder point")
        verbose_name_plural = _("reorder points")
        constraints = [
            models.UniqueConstraint(fields=["part", "location"], name="reorder_part_location")
        ]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.location_id} ≥ {self.minimum}"


PART_STATES_ON_SHELF = [UnitState.IN_STOCK, UnitState.RESERVED]


# --- loaner units (issue 5 §3, 备件先行, R-7.3) ---------------------------------------------
class LoanerState(models.TextChoices):
    AVAILABLE = "available", _("available")
    ON_LOAN = "on_loan", _("on loan")
    IN_REPAIR = "in_repair", _("in repair")
    RETIRED = "retired", _("retired")


class LoanerUnitQuerySet(models.QuerySet):
    def for_user(self, user) -> LoanerUnitQuerySet:
        return _vendor_only(self, user)


class LoanerUnit(TimeStampedModel):
    """A whole unit the vendor owns and lends to a hospital while its own device is being
    repaired. Not an ``assets.Device``: a device belongs to a hospital department, a loaner
    belongs to the vendor and visits hospitals (docs/decisions.md)."""

    product_model = models.ForeignKey(
        ProductModel,
        on_delete=models.PROTECT,
        related_name="loaner_units",
        verbose_name=_("model"),
    )
    serial_number = models.CharField(_("serial number"), max_length=100, unique=True)
    asset_tag = models.CharField(_("asset tag"), max_length=60, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=LoanerState.choices, default=LoanerState.AVAILABLE
    )
    location = models.ForeignKey(
        StockLocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loaner_units",
        verbose_name=pgettext_lazy("stock", "location"),
        help_text=_("Where the unit waits while it is available."),
    )
    notes = models.TextField(_("notes"), blank=True)
    # Who sent it to repair, brought it back or retired it, and when.
    history = HistoricalRecords()

    objects = LoanerUnitQuerySet.as_manager()

    class Meta:
        ordering = ["product_model", "serial_number"]
        verbose_name = _("loaner unit")
        verbose_name_plural = _("loaner units")
        constraints = [
            # Available means on a shelf somewhere; on loan means at a hospital, not a shelf.
            models.CheckConstraint(
                condition=(Q(state="available") & Q(location__isnull=False))
                | (Q(state="on_loan") & Q(location__isnull=True))
                | Q(state__in=["in_repair", "retired"]),
                name="loaner_location_matches_state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_model} #{self.serial_number}"


class LoanQuerySet(models.QuerySet):
    def for_user(self, user) -> LoanQuerySet:
        return _vendor_only(self, user)

    def open(self) -> LoanQuerySet:
        return self.filter(returned_at__isnull=True)


class Loan(TimeStampedModel):
    """One stay of a loaner at a hospital for a request: open until it comes back."""

    loaner = models.ForeignKey(
        LoanerUnit, on_delete=models.PROTECT, related_name="loans", verbose_name=_("loaner unit")
    )
    request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.PROTECT,
        related_name="loans",
        verbose_name=_("service request"),
    )
    # Copied from the request: where the unit is, even if the request is edited later.
    hospital = models.ForeignKey(
        "customers.Hospital", on_delete=models.PROTECT, related_name="+", verbose_name=_("hospital")
    )
    department = models.ForeignKey(
        "customers.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    taken_from = models.ForeignKey(
        StockLocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken from"),
    )
    installed_at = models.DateTimeField(_("installed at"))
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("installed by"),
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("returned by"),
    )
    returned_to = models.ForeignKey(
        StockLocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("returned to"),
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = LoanQuerySet.as_manager()

    class Meta:
        ordering = ["-installed_at", "-pk"]
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        constraints = [
            # A loaner cannot be in two places.
            models.UniqueConstraint(
                fields=["loaner"],
                condition=Q(returned_at__isnull=True),
                name="one_open_loan_per_loaner",
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(returned_at__gte=F("installed_at")),
                name="loan_returned_after_installed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loaner} → {self.request_id}"

    @property
    def is_open(self) -> bool:
        return self.returned_at is None
