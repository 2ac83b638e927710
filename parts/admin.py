"""Admin: the catalogue and locations are editable; the ledger and levels are read-only
(every change of stock goes through parts.services)."""

from django.contrib import admin

from .models import (
    Loan,
    LoanerUnit,
    ReorderPoint,
    SerialUnit,
    SparePart,
    StockLevel,
    StockLocation,
    StockMovement,
)


@admin.register(SparePart)
class SparePartAdmin(admin.ModelAdmin):
    list_display = (
        "part_number",
        "name_zh",
        "name_en",
        "is_main_component",
        "cost_price",
        "list_price",
        "active",
    )
    search_fields = ("part_number", "name_zh", "name_en", "symptom_keywords")
    list_filter = ("is_main_component", "active")
    filter_horizontal = ("product_models",)


@admin.register(StockLocation)
class StockLocationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "engineer", "active")
    list_filter = ("kind", "active")


@admin.register(ReorderPoint)
class ReorderPointAdmin(admin.ModelAdmin):
    list_display = ("part", "location", "minimum")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "recorded_at",
        "kind",
        "part",
        "quantity",
        "from_location",
        "to_location",
        "request",
    )
    list_filter = ("kind",)


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ("part", "location", "on_hand", "reserved")


@admin.register(SerialUnit)
class SerialUnitAdmin(ReadOnlyAdmin):
    list_display = ("part", "serial_number", "state", "location", "device")
    search_fields = ("serial_number",)


@admin.register(LoanerUnit)
class LoanerUnitAdmin(admin.ModelAdmin):
    """State and location change only through parts.loaners.services (install / return)."""

    list_display = ("serial_number", "product_model", "asset_tag", "state", "location")
    list_filter = ("state",)
    search_fields = ("serial_number", "asset_tag")
    readonly_fields = ("state", "location")

    def has_add_permission(self, request):
        return False


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ("loaner", "request", "hospital", "installed_at", "returned_at")
    list_filter = ("returned_at",)
