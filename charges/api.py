"""API: the charge statement of a service request with its history; the vendor's steps
(edit lines, review, send, answer, correct) and the hospital's (accept, dispute) (issue 5 §5,
issue 12 §4). A statement not sent yet is a 404 for the hospital's users; a step the state
refuses is a 409 (a repeated click changes nothing); a step the caller may not take a 403."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    Id,
    Input,
    LocatedValidationError,
    PageIn,
    page,
    page_of,
)
from core.exports import EXPORT_OPENAPI, ExportQuery
from core.filtering import api_filter, filter_query
from core.permissions import require_perm
from service.selectors import request_in_scope_or_404

from . import services, workflow
from .exports import STATEMENTS
from .filters import StatementFilterSet
from .history import history_of
from .models import ChargeStatement, CreditNote
from .reasons import line_reason_text
from .selectors import current_total, statement_visible_to, statements_for

router = Router(tags=["charges"])
STATE_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}


class ChargeLineOut(Schema):
    position: int
    kind: str
    kind_label: str = Field(description="The kind in the caller's language")
    label: str = Field(description="What is charged, in the caller's language")
    description: str
    quantity: Decimal
    unit: str = Field(description="pcs | h | trip")
    unit_label: str = Field(description="The unit in the caller's language")
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


class HistoryStepOut(Schema):
    kind: str = Field(
        description="drafted | edited | reviewed | sent | disputed | answered | corrected | "
        "credited | accepted"
    )
    label: str
    version: int
    number: str = Field(description="The statement's number at that version")
    by: str
    at: datetime
    local_at: str = Field(description="In the hospital's zone")
    message: str = Field(description="The hospital's reason, the vendor's answer or correction")
    data: dict[str, Any]


class StatementVersionOut(Schema):
    version: int
    number: str
    state: str
    total: Decimal
    replaced_at: datetime
    content: dict[str, Any]


STATES = "draft | reviewed | sent | accepted | disputed"


class StatementOut(Schema):
    id: int
    number: str = Field(description="With the version from the second one on: CS-2026-000001-v2")
    version: int
    request_id: int
    state: str = Field(description=STATES)
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
    edited_by_hand: bool
    reviewed_at: datetime | None
    sent_at: datetime | None
    accepted_by: str | None
    accepted_at: datetime | None
    disputed_at: datetime | None
    dispute_comment: str
    content_hash: str
    lines: list[ChargeLineOut]
    credit_notes: list[CreditNoteOut]
    history: list[HistoryStepOut]
    versions: list[StatementVersionOut] = Field(description="The earlier versions, as sent")


class StatementSummaryOut(Schema):
    """A line of the statement list; the statement itself is at its request's
    ``/charges``."""

    id: int
    number: str
    request_id: int
    request_number: str
    hospital_id: int
    state: str = Field(description=STATES)
    currency: str
    total: Decimal = Field(description="As priced, before any credit note")
    priced_at: datetime


@filter_query(StatementFilterSet)
class StatementQuery(Input):
    """The filters of GET /charge-statements."""


class DisputeIn(Input):
    comment: str = Field(max_length=4000)


class AcceptQuery(Input):
    version: int | None = Field(
        None, ge=1, le=1000, description="The version the hospital saw: another one is a 409"
    )


class MessageIn(Input):
    message: str = Field(max_length=4000)


class LineChangeIn(Input):
    position: int = Field(ge=0, le=1000)
    quantity: Decimal | None = Field(None, ge=0, le=10000, decimal_places=2)
    unit_price: Decimal | None = Field(None, ge=0, le=1000000, decimal_places=4)


class LinesIn(Input):
    lines: list[LineChangeIn] = Field(max_length=200)


def _line(line, time_zone: str) -> dict[str, Any]:
    return {
        "position": line.position,
        "kind": line.kind,
        "kind_label": line.kind_label,
        "label": line.label,
        "description": line.description,
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_label": line.unit_label,
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
        "number": statement.display_number,
        "version": statement.version,
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
        "edited_by_hand": statement.edited_by_hand,
        "reviewed_at": statement.reviewed_at,
        "sent_at": statement.sent_at,
        "accepted_by": statement.accepted_by.username if statement.accepted_by else None,
        "accepted_at": statement.accepted_at,
        "disputed_at": statement.disputed_at,
        "dispute_comment": statement.dispute_comment,
        "content_hash": statement.content_hash,
        "lines": [_line(line, time_zone) for line in statement.lines.all()],
        "credit_notes": [
            credit_note_body(note, time_zone) for note in statement.credit_notes.all()
        ],
        "history": [
            {
                "kind": step.kind,
                "label": step.kind_label,
                "version": step.version,
                "number": step.number,
                "by": step.who,
                "at": step.at,
                "local_at": step.local_at,
                "message": step.message,
                "data": step.data,
            }
            for step in history_of(statement)
        ],
        "versions": [
            {
                "version": old.version,
                "number": old.number,
                "state": old.state,
                "total": old.total,
                "replaced_at": old.created_at,
                "content": old.content,
            }
            for old in statement.versions.order_by("version")
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
    if not statement_visible_to(request.user, statement):
        raise Http404(_("No charge statement has been sent for this request yet."))
    return statement


def _fresh(statement: ChargeStatement) -> dict[str, Any]:
    statement = ChargeStatement.objects.select_related("request__hospital", "accepted_by").get(
        pk=statement.pk
    )
    return statement_body(statement)


@router.get(
    "/charge-statements",
    response={200: page_of(StatementSummaryOut), **READ_ERRORS},
    openapi_extra=EXPORT_OPENAPI,
)
def statement_list(
    request, filters: Query[StatementQuery], paging: Query[PageIn], output: Query[ExportQuery]
):
    """The statements the caller may see, newest first (the statements page's list)."""
    statements = api_filter(filters, statements_for(request.user), request=request)
    if output.format:
        return STATEMENTS.response(statements, fmt=output.format)
    result = page(statements, paging)
    result["items"] = [
        {
            "id": s.pk,
            "number": s.display_number,
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


def _post(path: str, summary_status: dict[int, Any] = STATE_ERRORS):
    return router.post(
        f"/service-requests/{{request_id}}/charges/{path}",
        response={200: StatementOut, **summary_status},
    )


@_post("accept")
def charges_accept(request, request_id: Id, query: Query[AcceptQuery]):
    """The hospital accepts the sent statement as sent: frozen, hashed, PDF stored. 409
    ``already_accepted``, ``disputed``, ``not_sent``, or ``changed`` when ``version`` is not
    the current one; 404 while it is not sent; 403 for the vendor."""
    statement = _statement(request, request_id)
    require_perm(request, "charges.accept_chargestatement", statement)
    workflow.charge_statement_accept(
        statement=statement,
        user=request.user,
        version=query.version,
    )
    return _fresh(statement)


@_post("dispute")
def charges_dispute(request, request_id: Id, payload: DisputeIn):
    """The hospital disputes the sent statement with its reason (422 when empty); 409 when
    it is accepted or already disputed. The service managers are told."""
    statement = _statement(request, request_id)
    require_perm(request, "charges.dispute_chargestatement", statement)
    workflow.charge_statement_dispute(
        statement=statement, user=request.user, comment=payload.comment
    )
    return _fresh(statement)


@_post("lines")
def charges_lines_edit(request, request_id: Id, payload: LinesIn):
    """The vendor's office re-prices lines of a draft by hand (quantity, unit price); 409
    ``not_draft`` once reviewed; 422 on a line that does not exist."""
    statement = _statement(request, request_id)
    require_perm(request, "charges.change_chargestatement", statement)
    try:
        workflow.charge_statement_lines_edit(
            statement=statement,
            user=request.user,
            changes=[change.dict() for change in payload.lines],
        )
    except ValidationError as exc:  # "lines.0.position" is ["body", "lines", 0, "position"]
        raise LocatedValidationError(exc) from exc
    return _fresh(statement)


@_post("review")
def charges_review(request, request_id: Id):
    """The vendor's office marks the draft reviewed; 409 ``already_reviewed`` or
    ``not_draft``."""
    statement = _statement(request, request_id)
    require_perm(request, "charges.review_chargestatement", statement)
    workflow.charge_statement_review(statement=statement, user=request.user)
    return _fresh(statement)


@_post("send")
def charges_send(request, request_id: Id):
    """The vendor's office sends the reviewed statement to the hospital; 409
    ``not_reviewed`` or ``already_sent`` (a second send changes nothing)."""
    statement = _statement(request, request_id)
    require_perm(request, "charges.send_chargestatement", statement)
    workflow.charge_statement_send(statement=statement, user=request.user)
    return _fresh(statement)


@_post("answer")
def charges_answer(request, request_id: Id, payload: MessageIn):
    """The vendor's office answers a dispute with a message: the statement is sent back
    as it is. 422 on an empty ``message``; 409 ``not_disputed``."""
    statement = _statement(request, request_id)
    require_perm(request, "charges.answer_chargestatement", statement)
    workflow.charge_statement_answer(
        statement=statement, user=request.user, message=payload.message
    )
    return _fresh(statement)


@_post("correct")
def charges_correct(request, request_id: Id, payload: MessageIn):
    """The vendor's office corrects a sent or disputed statement by a new version (a
    draft, priced from the record, to review and send); the earlier one is kept. 422 on an
    empty ``message``; 409 ``not_sent``."""
    statement = _statement(request, request_id)
    require_perm(request, "charges.change_chargestatement", statement)
    workflow.charge_statement_correct(
        statement=statement, user=request.user, message=payload.message
    )
    return _fresh(statement)


# Credit notes live in their own module to keep this one short; same router, same paths.
from . import credit_api  # noqa: E402

router.add_router("", credit_api.router)
