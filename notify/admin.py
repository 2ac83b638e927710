from django.contrib import admin

from .models import InboxMessage


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "user", "kind", "created_at", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject", "user__username", "dedupe_key"]
    raw_id_fields = ["user"]
    readonly_fields = ["dedupe_key", "created_at"]
    date_hierarchy = "created_at"
