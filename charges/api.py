"""API: the charge statement of a service request, accept it, dispute it (issue 5 §5)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from core.api import READ_ERRORS, WRITE_ERRORS, ErrorOut, Id, Input, PageIn, page, page_of
from core.filtering import api_filter, filter_query
from core.permissions import require_perm
from service.selectors import request_in_scope_or_404

from . import services
from .filters import StatementFilterSet
from .models import ChargeStatement, CreditNote
from .reasons import line_reason_text
from .selectors import current_total, statements_for

router = Router(tags=["charges"])
STATE_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}


class ChargeLineOut(Schema):
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    pricing: str = Field(description="free | cost | list")
    amount: Decimal
    reason_code: str
    reason_params: dict[str, Any]
    reason: str = Field(description="Why the line is priced so, in the caller's language")


class CreditNoteOut(Schema):
    number: str
    reason: str
    cause: str
    total_before: Decimal
    total_after: Decimal
    total: Decimal = Field(description="The difference: negative is money back")
    created_at: datetime
    lines: list[ChargeLineOut]


class StatementOut(Schema):
    id: int
    number: str
    request_id: int
    state: str = Field(description="draft | accepted | disputed")
    cause: str
    priced_as: str
    basis: str
    cover: str
    coverage: str
    currency: str
    parts_total: Decimal
    labor_total: Decimal
    travel_total: Decimal
    total: Decimal
    current_total: Decimal = Field(description="The total after the credit notes")
    priced_at: datetime
    accepted_by: str | None
    accepted_at: datetime | None
    disputed_at: datetime | None
    dispute_comment: str
    content_hash: str
    lines: list[ChargeLineOut]
    credit_notes: list[CreditNoteOut]


class StatementSummaryOut(Schema):
    """A line of the statement list; the statement itself is at its request's
    ``/charges``."""

    id: int
    number: str
    request_id: int
    request_number: str
    hospital_id: int
    state: str = Field(description="draft | accepted | disputed")
    currency: str
    total: Decimal = Field(description="As priced, before any credit note")
    priced_at: datetime


@filter_query(StatementFilterSet)
class StatementQuery(Input):
    """The filters of GET /charge-statements."""


class DisputeIn(Input):
    comment: str = Field(max_length=4000)


def _line(line, time_zone: str) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "pricing": line.pricing,
        "amount": line.amount,
        "reason_code": line.reason_code,
        "reason_params": line.reason_params,
        "reason": line_reason_text(line.reason_code, line.reason_params, time_zone),
    }


def statement_body(statement: ChargeStatement) -> dict[str, Any]:
    time_zone = statement.request.hospital.time_zone
    return {
        "id": statement.pk,
        "number": statement.number,
        "request_id": statement.request_id,
        "state": statement.state,
        "cause": statement.cause,
        "priced_as": statement.priced_as,
        "basis": statement.basis,
        "cover": statement.cover,
        "coverage": statement.coverage_text,
        "currency": statement.currency,
        "parts_total": statement.parts_total,
        "labor_total": statement.labor_total,
        "travel_total": statement.travel_total,
        "total": statement.total,
        "current_total": current_total(statement),
        "priced_at": statement.drafted_at,
        "accepted_by": statement.accepted_by.username if statement.accepted_by else None,
        "accepted_at": statement.accepted_at,
        "disputed_at": statement.disputed_at,
        "dispute_comment": statement.dispute_comment,
        "content_hash": statement.content_hash,
        "lines": [_line(line, time_zone) for line in statement.lines.all()],
        "credit_notes": [
            credit_note_body(note, time_zone) for note in statement.credit_notes.all()
        ],
    }


def credit_note_body(note: CreditNote, time_zone: str) -> dict[str, Any]:
    return {
        "number": note.number,
        "reason": note.reason,
        "cause": note.cause,
        "total_before": note.total_before,
        "total_after": note.total_after,
        "total": note.total,
        "created_at": note.created_at,
        "lines": [_line(line, time_zone) for line in note.lines.all()],
    }


def _statement(request, request_id: Id) -> ChargeStatement:
    service_request = request_in_scope_or_404(request.user, request_id)
    statement = services.charge_statement_for_read(request=service_request)
    if statement is None:
        raise Http404(_("No charge statement: the request is not resolved yet."))
    return statement


def _fresh(statement: ChargeStatement) -> dict[str, Any]:
    statement = ChargeStatement.objects.select_related("request__hospital", "accepted_by").get(
        pk=statement.pk
    )
    return statement_body(statement)


@router.get("/charge-statements", response={200: page_of(StatementSummaryOut), **READ_ERRORS})
def statement_list(request, filters: Query[StatementQuery], paging: Query[PageIn]):
    """The statements the caller may see, newest first (the statements page's list)."""
    statements = api_filter(filters, statements_for(request.user), request=request)
    result = page(statements, paging)
    result["items"] = [
        {
            "id": s.pk,
            "number": s.number,
            "request_id": s.request_id,
            "request_number": s.request.number,
            "hospital_id": s.request.hospital_id,
            "state": s.state,
            "currency": s.currency,
            "total": s.total,
            "priced_at": s.drafted_at,
        }
        for s in result["items"]
    ]
    return result


@router.get("/service-requests/{request_id}/charges", response={200: StatementOut, **READ_ERRORS})
def charges_read(request, request_id: Id):
    """The request's charge statement with every line's reason. Drafted on the first read
    of a resolved request and re-priced while not accepted; 404 while unresolved."""
    return _fresh(_statement(request, request_id))


@router.post(
    "/service-requests/{request_id}/charges/accept", response={200: StatementOut, **STATE_ERRORS}
)
def charges_accept(request, request_id: Id):
    """The hospital accepts the statement: frozen, hashed, PDF stored. 409 when it is
    already accepted, disputed, or changed since it was priced."""
    statement = _statement(request, request_id)
    require_perm(request, "charges.accept_chargestatement", statement)
    services.charge_statement_accept(statement=statement, user=request.user)
    return _fresh(statement)


@router.post(
    "/service-requests/{request_id}/charges/dispute", response={200: StatementOut, **STATE_ERRORS}
)
def charges_dispute(request, request_id: Id, payload: DisputeIn):
    """The hospital disputes the statement with a comment (422 when empty); 409 when it
    is accepted or already disputed."""
    statement = _statement(request, request_id)
    require_perm(request, "charges.dispute_chargestatement", statement)
    services.charge_statement_dispute(
        statement=statement, user=request.user, comment=payload.comment
    )
    return _fresh(statement)


# Credit notes live in their own module to keep this one short; same router, same paths.
from . import credit_api  # noqa: E402

router.add_router("", credit_api.router)
