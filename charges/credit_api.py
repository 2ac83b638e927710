"""API: the credit notes of a request's accepted statement, and issuing one (issue 5 §5).

Mounted on the charges router. Reading answers whoever may read the statement (the
statement body already carries its credit notes); issuing needs ``charges.add_creditnote``
like the credit-note page (the vendor's office). Only an accepted statement, or a disputed one
(the credit note answers the dispute and sends the statement back, issue 12 §4), takes a
credit note: another is a 409 ``not_accepted``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Router, Status

from core.api import READ_ERRORS, ErrorOut, Id, Input
from core.permissions import require_perm
from service.selectors import request_in_scope_or_404

from . import services
from .api import STATE_ERRORS, CreditNoteOut, credit_note_body
from .models import ChargeStatement, CreditNote

# Annotated: charges.api imports this module at its end, before mypy could infer it.
router: Router = Router(tags=["charges"])
LIST_ERRORS: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}


class CreditNoteIn(Input):
    reason: str = Field(max_length=4000, description="Why the accepted statement is adjusted")


def _notes(statement: ChargeStatement | None) -> list[CreditNote]:
    if statement is None:
        return []
    return list(statement.credit_notes.prefetch_related("lines").order_by("created_at", "pk"))


@router.get(
    "/service-requests/{request_id}/credit-notes",
    response={200: list[CreditNoteOut], **LIST_ERRORS},
)
def credit_notes_list(request, request_id: Id):
    """The credit notes of the request's statement, the oldest first (empty while there is
    no statement or none was issued); amounts are decimal strings."""
    service_request = request_in_scope_or_404(request.user, request_id)
    statement = ChargeStatement.objects.filter(request=service_request).first()
    time_zone = service_request.hospital.time_zone
    return [credit_note_body(note, time_zone) for note in _notes(statement)]


@router.post(
    "/service-requests/{request_id}/credit-notes",
    response={201: CreditNoteOut, **STATE_ERRORS},
)
def credit_note_issue(request, request_id: Id, payload: CreditNoteIn):
    """Re-price the accepted statement: the credit note negates the lines it stood at and
    adds the re-priced ones. 422 on ``reason`` when empty, 422 ``no_change`` when the prices
    are the same; 409 ``not_accepted`` while the statement is neither accepted nor disputed."""
    service_request = request_in_scope_or_404(request.user, request_id)
    require_perm(request, "charges.add_creditnote")
    statement = ChargeStatement.objects.filter(request=service_request).first()
    if statement is None:
        raise services.StatementConflict(
            "not_accepted", _("The statement is not accepted yet: it is re-priced directly.")
        )
    note = services.credit_note_issue(statement=statement, user=request.user, reason=payload.reason)
    return Status(201, credit_note_body(note, service_request.hospital.time_zone))
