"""Plan templates and per-contract numbers are configuration (GUIDE convention 9). Visits
and their photos are shown, not edited: a signed visit is frozen (GUIDE 7), and the services
write everything a visit records."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.retention.admin import RetainedRecordAdminMixin
from core.signing.admin import SignedDocumentAdminMixin

from .models import (
    ContractPlanOverride,
    MaintenancePlanTemplate,
    Visit,
    VisitObligation,
    VisitPhoto,
)
from .services import checklist_clean, checklist_problems
from .visit_records import VISIT_RECORD


class PlanTemplateAdminForm(forms.ModelForm):
    """The checklist as JSON, checked like the API's: each item's key, label and type, the
    limits of a number, and ``"safety": true`` on a pass/fail or number item that puts the
    device out of use when it fails."""

    class Meta:
        model = MaintenancePlanTemplate
        fields = (
            "kind",
            "product_model",
            "category",
            "interval_months",
            "tolerance_days",
            "checklist",
            "active",
        )
        help_texts = {
            "checklist": _(
                'A list of items: {"key", "label", "type": pass_fail, number, text or photo; '
                'for a number "unit", "min", "max"; "safety": true for a safety item '
                "(electrical safety, alarms, self-test) whose failure puts the device out of "
                "use}."
            )
        }

    def clean_checklist(self) -> Any:
        items = self.cleaned_data.get("checklist") or []
        if not isinstance(items, list):
            raise ValidationError(_("The checklist is a list of items."))
        problems = checklist_problems(items)
        if problems:
            raise ValidationError([problem.message for problem in problems])
        return checklist_clean(items)


@admin.register(MaintenancePlanTemplate)
class MaintenancePlanTemplateAdmin(SimpleHistoryAdmin):
    form = PlanTemplateAdminForm
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


class VisitPhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    can_delete = False
    fields = readonly_fields = ("item_key", "image", "sha256", "uploaded_by", "uploaded_at")

    def has_add_permission(self, request, obj=None):
        return False  # uploaded through the visit's checklist (visit_photo_add)


@admin.register(Visit)
class VisitAdmin(RetainedRecordAdminMixin, SignedDocumentAdminMixin, admin.ModelAdmin):
    list_display = ("key", "main_kind", "due_on", "window_end", "state", "hospital")
    list_filter = ("main_kind", "state", "hospital")
    search_fields = ("key", "device__serial_number")
    raw_id_fields = ("device", "contract", "created_by")
    readonly_fields = ("key", "overdue_notified_at")
    inlines = [VisitObligationInline, VisitPhotoInline]
    signed_document = VISIT_RECORD  # signed means frozen: read-only

    def has_add_permission(self, request):
        return False  # the daily generation creates visits (idempotently, by key)


@admin.register(VisitPhoto)
class VisitPhotoAdmin(admin.ModelAdmin):
    list_display = ("visit", "item_key", "uploaded_by", "uploaded_at", "sha256")
    search_fields = ("visit__key", "sha256")
    readonly_fields = ("visit", "item_key", "image", "sha256", "uploaded_by", "uploaded_at")

    def has_add_permission(self, request):
        return False  # uploaded through the visit's checklist (visit_photo_add)

    def has_change_permission(self, request, obj=None):
        return False  # part of what the hospital signs

    def has_delete_permission(self, request, obj=None):
        return False  # taken back through the visit (visit_photo_remove) while planned
