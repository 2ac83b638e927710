from django.contrib import admin

from core.retention.admin import RetainedRecordAdminMixin

from .models import MonthlyReport


@admin.register(MonthlyReport)
class MonthlyReportAdmin(RetainedRecordAdminMixin, admin.ModelAdmin):
    list_display = ("hospital", "month", "version", "generated_at", "generated_by")
    list_filter = ("month",)
    search_fields = ("hospital__name",)
    readonly_fields = ("pdf", "content_hash", "figures", "generated_at", "generated_by")
