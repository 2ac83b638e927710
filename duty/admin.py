from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import GapAlert, Rotation, RotationMember, RotationSlot, Shift, ShiftSwap


class RotationSlotInline(admin.TabularInline):
    model = RotationSlot
    extra = 0


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 0


@admin.register(Rotation)
class RotationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "region", "starts_on", "period", "active")
    list_filter = ("region", "active")
    inlines = [RotationSlotInline, RotationMemberInline]


@admin.register(Shift)
class ShiftAdmin(SimpleHistoryAdmin):
    list_display = ("starts_at", "ends_at", "region", "role", "user")
    list_filter = ("region", "role")
    date_hierarchy = "starts_at"
    raw_id_fields = ("user", "slot")


@admin.register(ShiftSwap)
class ShiftSwapAdmin(admin.ModelAdmin):
    list_display = ("shift", "proposed_by", "to_user", "state", "decided_by")
    list_filter = ("state",)
    raw_id_fields = ("shift", "other_shift")


@admin.register(GapAlert)
class GapAlertAdmin(admin.ModelAdmin):
    list_display = ("key", "region", "role", "starts_at", "ends_at", "alerted_at")
    list_filter = ("region", "role")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
