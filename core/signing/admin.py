"""Signed means frozen in the admin too: a frozen document's signed fields are read-only, it
cannot be deleted, and a change that reaches ``save_model`` anyway (a form opened before the
freeze) is refused by the same check the services make."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from core.errors import Conflict
from core.signing.kinds import SignedDocument
from core.signing.workflow import refuse_if_frozen


class SignedDocumentAdminMixin:
    """For a ``ModelAdmin`` of a signed document: set ``signed_document`` to its kind."""

    signed_document: SignedDocument[Any]

    def _frozen_fields(self, obj: Any) -> list[str]:
        kind = self.signed_document
        if obj is None or not kind.is_frozen(obj):
            return []
        if kind.frozen_fields is not None:
            return list(kind.frozen_fields)
        model = obj._meta
        return [f.name for f in (*model.fields, *model.many_to_many)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        return fields + [name for name in self._frozen_fields(obj) if name not in fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)  # type: ignore[misc]
        return bool(allowed) and not (obj is not None and self.signed_document.is_frozen(obj))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        if stored is not None and set(form.changed_data) & set(self._frozen_fields(stored)):
            try:
                refuse_if_frozen(self.signed_document, stored)
            except (Conflict, ValidationError) as exc:
                message = exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)
                self.message_user(request, message, messages.ERROR)  # type: ignore[attr-defined]
                raise PermissionDenied(message) from exc
        super().save_model(request, obj, form, change)  # type: ignore[misc]
