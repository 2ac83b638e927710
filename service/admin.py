"""Configuration in the admin: SLA policies and calendars are data (GUIDE convention 9)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.retention.admin import RetainedRecordAdminMixin
from core.signing.admin import SignedDocumentAdminMixin

from .models import (
    CalendarDay,
    Call,
    ContractSlaPolicy,
    Milestone,
    MilestoneDefinition,
    RepairRecord,
    RepairRecordAmendment,
    RootCauseReport,
    ServiceEvent,
    ServiceRequest,
    Signature,
    SlaCalendar,
    SlaPolicy,
)
from .repair_records.services import REPAIR_RECORD


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 1


@admin.register(SlaCalendar)
class SlaCalendarAdmin(SimpleHistoryAdmin):
    list_display = ("key", "name_zh", "name_en", "kind", "opens", "closes", "china_holidays")
    inlines = [CalendarDayInline]


class MilestoneDefinitionInline(admin.TabularInline):
    model = MilestoneDefinition
    extra = 0
    fields = (
        "position", "key", "name_zh", "name_en", "starts_at", "met_by", "target",
        "skipped_by_remote",
    )  # fmt: skip


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SimpleHistoryAdmin):
    list_display = ("key", "name_zh", "name_en", "default_for", "calendar", "at_risk_fraction")
    inlines = [MilestoneDefinitionInline]


@admin.register(ContractSlaPolicy)
class ContractSlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("contract", "severity", "policy")
    list_filter = ("severity", "policy")
    raw_id_fields = ("contract",)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # written by the services only: the timeline is append-only

    def has_change_permission(self, request, obj=None):
        return False


class ServiceEventInline(ReadOnlyInline):
    model = ServiceEvent
    fields = ("type", "occurred_at", "recorded_at", "actor", "data")
    readonly_fields = fields


class MilestoneInline(ReadOnlyInline):
    model = Milestone
    fields = ("key", "state", "started_at", "due_at", "met_at", "paused_seconds")
    readonly_fields = fields


@admin.register(ServiceRequest)
class ServiceRequestAdmin(RetainedRecordAdminMixin, SimpleHistoryAdmin):
    list_display = ("number", "severity", "status", "hospital", "device", "reported_at")
    list_filter = ("severity", "status", "channel", "hospital")
    search_fields = ("number", "device__serial_number", "reporter_name")
    readonly_fields = ("number", "status", "is_open", "next_due_at")
    raw_id_fields = ("device", "contract", "recorded_by")
    inlines = [MilestoneInline, ServiceEventInline]

    def has_add_permission(self, request):
        return False  # through intake or the API: numbering, policy and clocks are services'


@admin.register(RootCauseReport)
class RootCauseReportAdmin(RetainedRecordAdminMixin, SimpleHistoryAdmin):
    list_display = ("request", "explained_to", "explained_at")
    raw_id_fields = ("request",)


class SignatureInline(ReadOnlyInline):
    model = Signature
    fields = ("role", "signer_name", "signer_role", "on_vendor_device", "signed_at", "content_hash")
    readonly_fields = fields


class AmendmentInline(ReadOnlyInline):
    model = RepairRecordAmendment
    fields = ("created_at", "author", "reason", "changes", "content_hash")
    readonly_fields = fields


@admin.register(RepairRecord)
class RepairRecordAdmin(RetainedRecordAdminMixin, SignedDocumentAdminMixin, SimpleHistoryAdmin):
    """Shown for support, never written here: the record's pages and services write it (a
    change withdraws the engineer's signature, the customer's is a step of the timeline);
    signed, it is frozen (``core.signing``); it is never deleted (``core.retention``)."""

    signed_document = REPAIR_RECORD
    list_display = ("request", "fault_cause", "author", "frozen_at")
    search_fields = ("request__number",)
    inlines = [SignatureInline, AmendmentInline]

    def has_add_permission(self, request):
        return False  # written on the request's record page

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Call)
class CallAdmin(SimpleHistoryAdmin):
    """The hotline's call log, read-only: calls are logged and acted on at the desk
    (``service.hotline.services``), never edited here."""

    list_display = ("started_at", "kind", "caller_name", "phone", "hospital", "outcome", "request")
    list_filter = ("kind", "outcome")
    search_fields = ("caller_name", "phone", "said")
    date_hierarchy = "started_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
