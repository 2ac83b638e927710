"""Plan templates and per-contract numbers are configuration (GUIDE convention 9)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ContractPlanOverride, MaintenancePlanTemplate, Visit, VisitObligation


@admin.register(MaintenancePlanTemplate)
class MaintenancePlanTemplateAdmin(SimpleHistoryAdmin):
    list_display = ("kind", "product_model", "category", "interval_months", "tolerance_days")
    list_filter = ("kind", "active")


@admin.register(ContractPlanOverride)
class ContractPlanOverrideAdmin(SimpleHistoryAdmin):
    list_display = ("contract", "kind", "interval_months", "tolerance_days")
    raw_id_fields = ("contract",)


class VisitObligationInline(admin.TabularInline):
    model = VisitObligation
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "due_on", "fulfilled_at")

    def has_add_permission(self, request, obj=None):
        return False  # generated with the visit


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("key", "main_kind", "due_on", "window_end", "state", "hospital")
    list_filter = ("main_kind", "state", "hospital")
    search_fields = ("key", "device__serial_number")
    raw_id_fields = ("device", "contract")
    readonly_fields = ("key", "overdue_notified_at")
    inlines = [VisitObligationInline]

    def has_add_permission(self, request):
        return False  # the daily generation creates visits (idempotently, by key)
