"""The numbers of the monthly return visit are configuration (GUIDE convention 9); the visits
themselves are planned by the daily job and written through the services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from core.retention.admin import RetainedRecordAdminMixin

from .models import (
    ReturnVisit,
    ReturnVisitDeviceCheck,
    ReturnVisitFinding,
    ReturnVisitParticipant,
    ReturnVisitSettings,
    ReturnVisitSignature,
)
from .services import return_visit_cancel


@admin.register(ReturnVisitSettings)
class ReturnVisitSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "due_day", "horizon_days")

    def has_add_permission(self, request):
        return not ReturnVisitSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1  # one row
        super().save_model(request, obj, form, change)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class ParticipantInline(_ReadOnlyInline):
    model = ReturnVisitParticipant
    fields = ("name", "role")


class DeviceCheckInline(_ReadOnlyInline):
    model = ReturnVisitDeviceCheck
    fields = ("device", "state", "note")


class FindingInline(_ReadOnlyInline):
    model = ReturnVisitFinding
    fields = ("device", "kind", "description", "request")


class SignatureInline(_ReadOnlyInline):
    model = ReturnVisitSignature
    fields = ("role", "signer_name", "signed_at", "content_hash")


@admin.register(ReturnVisit)
class ReturnVisitAdmin(RetainedRecordAdminMixin, admin.ModelAdmin):
    list_display = ("department", "hospital", "month", "due_on", "state", "satisfaction")
    list_filter = ("state", "scheduled", "hospital")
    search_fields = ("department__name", "hospital__name")
    date_hierarchy = "month"
    actions = ["cancel"]
    inlines = [ParticipantInline, DeviceCheckInline, FindingInline, SignatureInline]

    def has_add_permission(self, request):
        return False  # the daily job plans them; the pages and the API add one by hand

    def has_change_permission(self, request, obj=None):
        return False  # the sheet is written (and signed) through the services

    @admin.action(description=_("Cancel the selected return visits"))
    def cancel(self, request, queryset):
        for visit in queryset:
            try:
                return_visit_cancel(
                    visit=visit, user=request.user, reason=str(_("Cancelled in the admin."))
                )
            except Conflict as exc:
                self.message_user(request, f"{visit}: {exc.message}", messages.WARNING)
