"""Regime documents in the admin: titles may be corrected there; versions and receipts are
append-only records written through the services, so they are read-only here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import RegimeDocument, RegimeReceipt, RegimeVersion


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RegimeVersionInline(admin.TabularInline):
    model = RegimeVersion
    extra = 0
    # Files are served only by the scoped view, never from MEDIA_URL: the name, not a link.
    fields = ("number", "effective_from", "file_name", "summary", "created_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegimeDocument)
class RegimeDocumentAdmin(SimpleHistoryAdmin):
    list_display = ("title", "kind", "hospital", "department")
    list_filter = ("kind", "hospital")
    search_fields = ("title",)
    fields = ("hospital", "kind", "title", "department", "created_by")
    readonly_fields = ("hospital", "department", "created_by")
    inlines = [RegimeVersionInline]

    def has_add_permission(self, request):
        return False  # through the regime page (the service checks the department)


@admin.register(RegimeVersion)
class RegimeVersionAdmin(_ReadOnly):
    list_display = ("document", "number", "effective_from", "created_by", "created_at")
    list_filter = ("document__hospital",)
    search_fields = ("document__title",)
    fields = (
        "document",
        "number",
        "effective_from",
        "file_name",
        "file_sha256",
        "text",
        "summary",
        "created_by",
        "created_at",
    )
    readonly_fields = fields


@admin.register(RegimeReceipt)
class RegimeReceiptAdmin(_ReadOnly):
    list_display = ("recipient_name", "version", "department", "received_at", "recorded_by")
    list_filter = ("version__document__hospital",)
    search_fields = ("recipient_name", "version__document__title")
    fields = (
        "version",
        "recipient_name",
        "recipient_contact",
        "recipient_user",
        "department",
        "received_at",
        "recorded_by",
        "recorded_at",
        "signature_hash",
    )
    readonly_fields = fields
