"""Topics are configuration (the seed's standard ones are editable rows); plans, sessions
and attendance are kept for inspection and written through the pages and the API."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.retention.admin import RetainedRecordAdminMixin
from core.signing.admin import SignedDocumentAdminMixin

from .models import Attendance, TrainingMaterial, TrainingPlan, TrainingSession, TrainingTopic
from .services import TRAINING_SESSION


@admin.register(TrainingTopic)
class TrainingTopicAdmin(SimpleHistoryAdmin):
    list_display = ("name_zh", "name_en", "key", "standard", "active", "sort_order")
    list_editable = ("active", "sort_order")
    list_filter = ("standard", "active")
    search_fields = ("name_zh", "name_en", "key")


@admin.register(TrainingPlan)
class TrainingPlanAdmin(SimpleHistoryAdmin):
    list_display = ("title", "contract", "hospital")
    list_filter = ("hospital",)
    search_fields = ("title", "contract__number")
    raw_id_fields = ("contract",)
    readonly_fields = ("hospital",)

    def has_add_permission(self, request):
        return False  # the hospital follows the contract: created by the service


class TrainingMaterialInline(admin.TabularInline):
    model = TrainingMaterial
    extra = 0
    readonly_fields = ("title", "file", "uploaded_by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TrainingSession)
class TrainingSessionAdmin(RetainedRecordAdminMixin, SignedDocumentAdminMixin, SimpleHistoryAdmin):
    list_display = ("number", "starts_at", "hospital", "lecturer", "place", "state")
    list_filter = ("state", "hospital")
    search_fields = ("number", "place", "topic_text")
    readonly_fields = ("number", "plan", "hospital", "sign_in_sheet", "sheet_uploaded_at")
    raw_id_fields = ("lecturer",)
    filter_horizontal = ("topics", "audience_departments")
    inlines = [TrainingMaterialInline]
    # Signed means frozen: what the attendees signed for stays as it was.
    signed_document = TRAINING_SESSION

    def has_add_permission(self, request):
        return False  # numbered and validated by the service


@admin.register(Attendance)
class AttendanceAdmin(RetainedRecordAdminMixin, SimpleHistoryAdmin):
    list_display = ("certificate_no", "name", "session", "method", "signed_at", "score")
    search_fields = ("certificate_no", "name", "session__number")
    readonly_fields = (
        "session",
        "certificate_no",
        "name",
        "department",
        "department_text",
        "role",
        "method",
        "signed_at",
        "signature_image",
        "content_hash",
        "recorded_by",
    )

    def has_add_permission(self, request):
        return False  # signed in through the sign-in page or the API
