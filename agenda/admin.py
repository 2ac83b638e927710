from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import CalendarFeed


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "owner", "scope", "engineer", "hospital", "created_at",
                    "last_used_at", "revoked_at")  # fmt: skip
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "owner__username", "hospital__name")
    readonly_fields = ("owner", "scope", "engineer", "hospital", "prefix", "created_at",
                       "last_used_at", "revoked_at")  # fmt: skip
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # a feed's address is shown once, on the calendar's own create page

    @admin.action(description=_("Revoke the selected feeds"))
    def revoke(self, request, queryset) -> None:
        for feed in queryset.filter(revoked_at__isnull=True):
            services.calendar_feed_revoke(feed=feed)
