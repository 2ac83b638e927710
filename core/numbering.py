"""Human numbers such as SR-2026-000123 or MA-2026-0007: gap-free per year.

The counter row is locked for the rest of the caller's transaction, so two concurrent
requests never get the same number, and a rolled-back transaction gives its number back.
"""

from django.db import IntegrityError, transaction

from .models import NumberSequence


def next_number(*, key: str, year: int, width: int = 6) -> str:
    """Take the next number of ``key`` in ``year``; call inside the creating transaction."""
    with transaction.atomic():
        sequence = NumberSequence.objects.select_for_update().filter(key=key, year=year).first()
        if sequence is None:
            try:
                with transaction.atomic():
                    sequence = NumberSequence.objects.create(key=key, year=year, last=0)
            except IntegrityError:  # another transaction created it first
                sequence = NumberSequence.objects.select_for_update().get(key=key, year=year)
        sequence.last += 1
        sequence.save(update_fields=["last"])
    return f"{key}-{year}-{sequence.last:0{width}d}"
