from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.retention.admin import RetainedRecordAdminMixin

from .models import (
    ChargeLine,
    ChargeSettings,
    ChargeStatement,
    CreditNote,
    CreditNoteLine,
    StatementEvent,
    StatementVersion,
)


@admin.register(ChargeSettings)
class ChargeSettingsAdmin(SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "labor_hour_cost",
        "labor_hour_list",
        "travel_trip_cost",
        "travel_trip_list",
        "currency",
    ]


class ChargeLineInline(admin.TabularInline):
    model = ChargeLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in ChargeLine._meta.fields]


class StatementEventInline(admin.TabularInline):
    """The statement's history: written by the workflow only."""

    model = StatementEvent
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in StatementEvent._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


class StatementVersionInline(admin.TabularInline):
    model = StatementVersion
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in StatementVersion._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ChargeStatement)
class ChargeStatementAdmin(RetainedRecordAdminMixin, SimpleHistoryAdmin):
    list_display = ["number", "version", "request", "state", "total", "drafted_at", "accepted_at"]
    list_filter = ["state"]
    search_fields = ["number", "request__number"]
    inlines = [ChargeLineInline, StatementEventInline, StatementVersionInline]
    readonly_fields = [f.name for f in ChargeStatement._meta.fields]

    def has_add_permission(self, request):
        return False  # statements come from the service (charge_statement_draft)


class CreditNoteLineInline(admin.TabularInline):
    model = CreditNoteLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in CreditNoteLine._meta.fields]


@admin.register(CreditNote)
class CreditNoteAdmin(RetainedRecordAdminMixin, admin.ModelAdmin):
    list_display = ["number", "statement", "total", "created_at"]
    inlines = [CreditNoteLineInline]
    readonly_fields = [f.name for f in CreditNote._meta.fields]

    def has_add_permission(self, request):
        return False
