"""Rows by a phone number in any written form (``core.phones`` on the database side): the
hotline desk's caller lookup and the search box's contacts use the same match."""

from __future__ import annotations

from django.db.models import CharField, F, Func, QuerySet, Value
from django.db.models.functions import Replace

from . import phones


def _stripped(column: str) -> Func:
    """``column`` without the separators people type (spaces, dashes, brackets, dots)."""
    expression: Func | F = F(column)
    for separator in phones.SEPARATORS:
        expression = Replace(expression, Value(separator), Value(""), output_field=CharField())
    return expression  # type: ignore[return-value]


def phone_match(queryset: QuerySet, column: str, text: str) -> QuerySet:
    """Rows of ``queryset`` whose ``column`` is the number ``text`` in any written form;
    failing that, with at least four digits typed, the rows whose number contains them."""
    candidates = phones.variants(text)
    if not candidates:
        return queryset.none()
    annotated = queryset.annotate(_phone=_stripped(column))
    exact = annotated.filter(_phone__in=candidates)
    if exact.exists():
        return exact
    digits = phones.normalise(text)
    if len(digits) < phones.MIN_PARTIAL_DIGITS:
        return queryset.none()
    return annotated.filter(_phone__contains=digits.removeprefix("0"))
