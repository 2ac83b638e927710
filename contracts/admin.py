from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.retention.admin import KeepsRecordsAdminMixin

from .models import ChargeRule, Contract, ContractDevice, CoverageSettings, MaintenanceAgreement


class ContractDeviceInline(admin.TabularInline):
    model = ContractDevice
    extra = 0
    raw_id_fields = ("device",)


@admin.register(Contract)
class ContractAdmin(KeepsRecordsAdminMixin, SimpleHistoryAdmin):
    list_display = ("number", "hospital", "signed_on", "warranty_months", "service_manager")
    list_filter = ("hospital",)
    search_fields = ("number", "title")
    filter_horizontal = ("dedicated_engineers",)
    inlines = [ContractDeviceInline]


@admin.register(MaintenanceAgreement)
class MaintenanceAgreementAdmin(SimpleHistoryAdmin):
    list_display = ("number", "hospital", "starts_on", "ends_on", "fee")
    list_filter = ("hospital",)
    raw_id_fields = ("devices",)


@admin.register(ChargeRule)
class ChargeRuleAdmin(SimpleHistoryAdmin):
    list_display = ("basis", "cause", "line", "pricing")
    list_editable = ("pricing",)
    list_filter = ("basis", "cause")


@admin.register(CoverageSettings)
class CoverageSettingsAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "default_warranty_months", "component_warranty_months")

    def has_add_permission(self, request):
        return not CoverageSettings.objects.exists()
