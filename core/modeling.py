"""Helpers the services of every app use to write models the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def validated_save(instance: M, *, exclude: Iterable[str] = ()) -> M:
    """Run the model's field, uniqueness and constraint validation, then save.

    Raises ``django.core.exceptions.ValidationError`` with per-field messages, which forms
    show next to the field and the API answers as 422 with the field path.
    """
    for f in instance._meta.concrete_fields:
        # ``null`` for an optional text field (an API PATCH) means empty: full_clean would
        # let None through to a NOT NULL column.
        optional_text = f.empty_strings_allowed and f.blank and not f.null
        if optional_text and getattr(instance, f.attname) is None:
            setattr(instance, f.attname, "")
    instance.full_clean(exclude=list(exclude) or None)
    instance.save()
    return instance


def model_update(*, instance: M, data: Mapping[str, Any], fields: Iterable[str]) -> M:
    """Copy the given ``fields`` that appear in ``data`` onto ``instance`` and save it
    validated. Fields absent from ``data`` are left alone (PATCH semantics)."""
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])
    return validated_save(instance)
