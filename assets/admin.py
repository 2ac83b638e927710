from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.retention.admin import KeepsRecordsAdminMixin, RetainedRecordAdminMixin

from .models import (
    AcceptanceCertificate,
    Device,
    DeviceOutOfUse,
    EmergencyProcedure,
    MainComponent,
    ProductModel,
)


@admin.register(ProductModel)
class ProductModelAdmin(SimpleHistoryAdmin):
    list_display = ("manufacturer", "name", "category", "risk_class", "gtin")
    list_filter = ("category", "risk_class")
    search_fields = ("manufacturer", "name", "gtin")


class MainComponentInline(RetainedRecordAdminMixin, admin.TabularInline):
    model = MainComponent
    fk_name = "device"
    extra = 0
    fields = ("name", "serial_number", "installed_on", "removed_on", "replaced_on")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # through the services (replacement keeps its own warranty)


class DeviceOutOfUseInline(admin.TabularInline):
    """Out of use after a failed safety check: shown, never edited here (the services set
    and clear it, with who, when and why)."""

    model = DeviceOutOfUse
    extra = 0
    can_delete = False
    fields = (
        "started_at",
        "started_by",
        "reason",
        "visit_ref",
        "cleared_at",
        "cleared_by",
        "clear_note",
        "cleared_by_request",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AcceptanceCertificateInline(RetainedRecordAdminMixin, admin.TabularInline):
    """The uploaded certificates, newest first: kept, shown, uploaded through the device
    page (``core.uploads`` checks the file there)."""

    model = AcceptanceCertificate
    extra = 0
    fields = ("document", "sha256", "size", "uploaded_at", "uploaded_by")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AcceptanceCertificate)
class AcceptanceCertificateAdmin(RetainedRecordAdminMixin, admin.ModelAdmin):
    list_display = ("device", "uploaded_at", "uploaded_by", "size")
    list_filter = ("device__hospital",)
    search_fields = ("device__serial_number", "sha256")
    readonly_fields = ("device", "document", "sha256", "size", "uploaded_at", "uploaded_by")

    def has_add_permission(self, request):
        return False  # through the device page: the upload checker runs there


@admin.register(Device)
class DeviceAdmin(KeepsRecordsAdminMixin, SimpleHistoryAdmin):
    """A device with records is never deleted (a retired one keeps its archive)."""

    list_display = ("serial_number", "product_model", "hospital", "department", "status")
    list_filter = ("status", "hospital", "product_model__category")
    search_fields = ("serial_number", "asset_tag", "udi_di", "udi_serial")
    readonly_fields = (
        "public_id",
        "udi_di",
        "udi_lot",
        "udi_serial",
        "out_of_use_since",
        "out_of_use_reason",
    )
    inlines = [MainComponentInline, DeviceOutOfUseInline, AcceptanceCertificateInline]


@admin.register(EmergencyProcedure)
class EmergencyProcedureAdmin(RetainedRecordAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "department", "device", "product_model", "received_at")
    list_filter = ("department__hospital",)
