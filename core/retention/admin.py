"""Kept records in the admin (``core.retention``): a kept record has no delete button and no
"delete selected"; an object whose deletion would take kept records with it (a device, a
hospital, a contract) is refused on the delete page and by "delete selected", with which
records and how many, and a delete that races past the page is answered by a message."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from . import RecordRetained, records_kept_by, refusal_text


class RetainedRecordAdminMixin:
    """For the ``ModelAdmin`` (or inline) of a kept record: never deleted here."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class KeepsRecordsAdminMixin:
    """For the ``ModelAdmin`` of an object that kept records hang on: deleting it is refused
    while it has any; one without records is deleted as before."""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(  # type: ignore[misc]
            objs, request
        )
        kept = records_kept_by(list(objs))
        if kept:
            # The reason is retention, not a missing permission: show what is kept.
            self.message_user(request, refusal_text(kept), messages.ERROR)  # type: ignore[attr-defined]
            protected = [*(f"{count} × {kind}" for kind, count in kept), *protected]
            perms_needed = set()
        return deleted, model_count, perms_needed, protected

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]
        except RecordRetained as exc:
            self.message_user(request, exc.message, messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.path)
