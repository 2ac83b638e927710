from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.retention.admin import KeepsRecordsAdminMixin

from .models import (
    Contact,
    Department,
    Hospital,
    HospitalMembership,
    ServiceOrganisation,
    ServiceRegion,
)


@admin.register(ServiceOrganisation)
class ServiceOrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "hotline", "manager_name")


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0
    fields = ("name", "responsible_contact")


@admin.register(Hospital)
class HospitalAdmin(KeepsRecordsAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "code", "region", "time_zone", "phone")
    list_filter = ("region",)
    search_fields = ("name", "code")
    inlines = [DepartmentInline]


@admin.register(ServiceRegion)
class ServiceRegionAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "time_zone")
    search_fields = ("name", "code")


@admin.register(Department)
class DepartmentAdmin(KeepsRecordsAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "hospital", "responsible_contact")
    list_filter = ("hospital",)
    search_fields = ("name",)


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ("name", "title", "hospital", "department", "phone")
    list_filter = ("hospital",)
    search_fields = ("name", "phone")


@admin.register(HospitalMembership)
class HospitalMembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "hospital", "role")
    list_filter = ("hospital", "role")
    filter_horizontal = ("departments",)
