from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Device, EmergencyProcedure, MainComponent, ProductModel


@admin.register(ProductModel)
class ProductModelAdmin(SimpleHistoryAdmin):
    list_display = ("manufacturer", "name", "category", "risk_class", "gtin")
    list_filter = ("category", "risk_class")
    search_fields = ("manufacturer", "name", "gtin")


class MainComponentInline(admin.TabularInline):
    model = MainComponent
    fk_name = "device"
    extra = 0
    fields = ("name", "serial_number", "installed_on", "removed_on", "replaced_on")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # through the services (replacement keeps its own warranty)


@admin.register(Device)
class DeviceAdmin(SimpleHistoryAdmin):
    list_display = ("serial_number", "product_model", "hospital", "department", "status")
    list_filter = ("status", "hospital", "product_model__category")
    search_fields = ("serial_number", "asset_tag", "udi_di", "udi_serial")
    readonly_fields = ("public_id", "udi_di", "udi_lot", "udi_serial")
    inlines = [MainComponentInline]


@admin.register(EmergencyProcedure)
class EmergencyProcedureAdmin(SimpleHistoryAdmin):
    list_display = ("title", "department", "device", "product_model", "received_at")
    list_filter = ("department__hospital",)
