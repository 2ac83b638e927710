"""The steps of a charge statement between drafting and acceptance (issue 12 §4):

    draft ──review──► reviewed ──send──► sent ──accept──► accepted (frozen, hashed, PDF)
      ▲ edit lines                        │  ▲
      │                                dispute│ answer (a message back)
      └──── correct (a new version) ◄──── disputed ── credit note (``services``) ─► sent

The vendor's office (admin, service manager) edits, reviews, sends, answers and corrects;
the hospital (its equipment administrator, a user of the request's department) accepts or
disputes a sent statement only. Each step locks the statement, refuses a state that does not
allow it with ``StatementConflict`` (409: a repeated click changes nothing) and writes its
``StatementEvent``; the outbox tells the people concerned once it commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contracts.coverage import Line
from core.signatures import content_hash

from . import events
from .history import statement_event_record
from .models import (
    ChargeLine,
    ChargeStatement,
    StatementEventKind,
    StatementState,
    StatementVersion,
)
from .pricing import to_fen
from .services import (
    StatementConflict,
    follows_the_record,
    lock_statement,
    statement_content,
    statement_reprice,
)

MAX_QUANTITY = Decimal("10000")
MAX_UNIT_PRICE = Decimal("1000000")  # a line stays below 10^10, a statement below 10^12


def _require(user: User, perm: str, statement: ChargeStatement) -> None:
    if not user.has_perm(perm, statement):
        raise PermissionDenied(_("You may not take this step on a charge statement."))


def _text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value[:4000]


# --- the vendor -----------------------------------------------------------------------------
@transaction.atomic
def charge_statement_lines_edit(
    *,
    statement: ChargeStatement,
    user: User,
    changes: Sequence[Mapping[str, Any]],
    now: datetime | None = None,
) -> ChargeStatement:
    """The vendor's office re-prices lines of a draft by hand: each change names a line's
    ``position`` and its new ``quantity`` and/or ``unit_price`` (decimal, 0 or more). The
    amounts and totals follow; the draft then stops following the record on each read."""
    now = now or timezone.now()
    _require(user, "charges.change_chargestatement", statement)
    statement = lock_statement(statement)
    if statement.state != StatementState.DRAFT:
        raise StatementConflict(
            "not_draft", _("Only a draft is edited: correct a sent statement by a new version.")
        )
    lines = {line.position: line for line in statement.lines.all()}
    errors: dict[str, str] = {}
    parsed: list[tuple[ChargeLine, Decimal, Decimal]] = []
    for index, change in enumerate(changes):
        line = lines.get(change.get("position"))  # type: ignore[arg-type]
        if line is None:
            errors[f"lines.{index}.position"] = _("No such line on this statement.")
            continue
        values = {}
        for field, limit in (("quantity", MAX_QUANTITY), ("unit_price", MAX_UNIT_PRICE)):
            raw = change.get(field)
            if raw is None or raw == "":
                values[field] = Decimal(getattr(line, field))
                continue
            try:
                value = Decimal(str(raw))
            except (InvalidOperation, ValueError):
                value = Decimal("NaN")
            if not value.is_finite() or value < 0 or value > limit:
                errors[f"lines.{index}.{field}"] = _("Enter a number from 0 to %(limit)s.") % {
                    "limit": limit
                }
                continue
            values[field] = value
        if len(values) == 2:
            parsed.append((line, values["quantity"], values["unit_price"]))
    if errors:
        raise ValidationError(errors)
    changed: list[dict[str, Any]] = []
    for line, quantity, unit_price in parsed:
        quantity = quantity.quantize(Decimal("0.01"))
        unit_price = unit_price.quantize(Decimal("0.0001"))
        if (quantity, unit_price) == (Decimal(line.quantity), Decimal(line.unit_price)):
            continue
        changed.append(
            {
                "position": line.position,
                "item": line.description,
                "quantity": [f"{Decimal(line.quantity):.2f}", f"{quantity:.2f}"],
                "unit_price": [f"{Decimal(line.unit_price):.2f}", f"{unit_price:.2f}"],
            }
        )
        line.quantity, line.unit_price = quantity, unit_price
        line.amount = to_fen(quantity * unit_price)
        line.save(update_fields=["quantity", "unit_price", "amount"])
    if not changed:
        return statement
    totals = {kind: Decimal("0.00") for kind in Line}
    for line in statement.lines.all():
        totals[Line(line.kind)] += Decimal(line.amount)
    statement.parts_total = totals[Line.PARTS]
    statement.labor_total = totals[Line.LABOR]
    statement.travel_total = totals[Line.TRAVEL]
    statement.total = sum(totals.values(), Decimal("0.00"))
    statement.edited_by_hand = True
    statement.save()
    summary = "; ".join(
        f"{c['item']}: {c['quantity'][0]} × {c['unit_price'][0]} → "
        f"{c['quantity'][1]} × {c['unit_price'][1]}"
        for c in changed
    )
    statement_event_record(
        statement=statement,
        kind=StatementEventKind.EDITED,
        actor=user,
        now=now,
        message=summary,
        data={"lines": changed, "total": f"{statement.total:.2f}"},
    )
    return statement


@transaction.atomic
def charge_statement_reprice_from_record(
    *, statement: ChargeStatement, user: User, now: datetime | None = None
) -> ChargeStatement:
    """Undo the hand edits of a draft: price it from the record again, and follow it."""
    now = now or timezone.now()
    _require(user, "charges.change_chargestatement", statement)
    statement = lock_statement(statement)
    if statement.state != StatementState.DRAFT:
        raise StatementConflict(
            "not_draft", _("Only a draft is edited: correct a sent statement by a new version.")
        )
    if statement.edited_by_hand:
        statement.edited_by_hand = False
        statement.save(update_fields=["edited_by_hand", "updated_at"])
        statement = statement_reprice(statement=statement, now=now)
        statement.lines.all()  # fresh rows for the caller
    return statement


@transaction.atomic
def charge_statement_review(
    *, statement: ChargeStatement, user: User, now: datetime | None = None
) -> ChargeStatement:
    """The vendor's office has checked the draft: it is priced from the record one last
    time (unless edited by hand) and stays as it is until sent."""
    now = now or timezone.now()
    _require(user, "charges.review_chargestatement", statement)
    statement = lock_statement(statement)
    if statement.state == StatementState.REVIEWED:
        raise StatementConflict("already_reviewed", _("The statement is already reviewed."))
    if statement.state != StatementState.DRAFT:
        raise StatementConflict(
            "not_draft", _("The statement was sent already: correct it by a new version.")
        )
    if follows_the_record(statement):
        statement = statement_reprice(statement=statement, now=now)
    statement.state = StatementState.REVIEWED
    statement.reviewed_by = user
    statement.reviewed_at = now
    statement.save(update_fields=["state", "reviewed_by", "reviewed_at", "updated_at"])
    statement_event_record(
        statement=statement,
        kind=StatementEventKind.REVIEWED,
        actor=user,
        now=now,
        data={"total": f"{statement.total:.2f}"},
    )
    return statement


@transaction.atomic
def charge_statement_send(
    *, statement: ChargeStatement, user: User, now: datetime | None = None
) -> ChargeStatement:
    """Send the reviewed statement to the hospital: from now on its users see it."""
    now = now or timezone.now()
    _require(user, "charges.send_chargestatement", statement)
    statement = lock_statement(statement)
    if statement.state in (StatementState.SENT, StatementState.DISPUTED, StatementState.ACCEPTED):
        raise StatementConflict("already_sent", _("The statement was sent already."))
    if statement.state != StatementState.REVIEWED:
        raise StatementConflict(
            "not_reviewed", _("Review the statement before sending it to the hospital.")
        )
    statement.state = StatementState.SENT
    statement.sent_by = user
    statement.sent_at = now
    statement.save(update_fields=["state", "sent_by", "sent_at", "updated_at"])
    statement_event_record(
        statement=statement,
        kind=StatementEventKind.SENT,
        actor=user,
        now=now,
        data={"total": f"{statement.total:.2f}"},
    )
    events.publish(events.STATEMENT_SENT, statement=statement, user_id=user.pk)
    return statement


@transaction.atomic
def charge_statement_answer(
    *, statement: ChargeStatement, user: User, message: str, now: datetime | None = None
) -> ChargeStatement:
    """Answer a dispute by explaining: the message goes back to the hospital and the
    statement, unchanged, is sent again for it to accept (or dispute again)."""
    now = now or timezone.now()
    _require(user, "charges.answer_chargestatement", statement)
    message = _text(message, "message", _("Write the answer to the hospital."))
    statement = lock_statement(statement)
    if statement.state != StatementState.DISPUTED:
        raise StatementConflict("not_disputed", _("The statement is not disputed."))
    statement.state = StatementState.SENT
    statement.save(update_fields=["state", "updated_at"])
    statement_event_record(
        statement=statement, kind=StatementEventKind.ANSWERED, actor=user, now=now, message=message
    )
    events.publish(events.STATEMENT_ANSWERED, statement=statement, user_id=user.pk)
    return statement


def _snapshot(statement: ChargeStatement, now: datetime) -> StatementVersion:
    content = statement_content(statement) | {
        "coverage": statement.coverage_text,
        "parts_total": f"{statement.parts_total:.2f}",
        "labor_total": f"{statement.labor_total:.2f}",
        "travel_total": f"{statement.travel_total:.2f}",
        "reasons": [line.reason_text for line in statement.lines.all()],
    }
    return StatementVersion.objects.create(
        statement=statement,
        version=statement.version,
        number=statement.display_number,
        state=statement.state,
        content=content,
        total=statement.total,
        created_at=now,
    )


@transaction.atomic
def charge_statement_correct(
    *, statement: ChargeStatement, user: User, message: str, now: datetime | None = None
) -> ChargeStatement:
    """Answer a dispute (or fix a sent statement) by a new version: the version as sent is
    kept (``StatementVersion``, readable), the statement is priced again from the record as
    version N+1 (``CS-…-vN``), a draft the office may edit, then reviews and sends again."""
    now = now or timezone.now()
    _require(user, "charges.change_chargestatement", statement)
    message = _text(message, "message", _("Say what the new version corrects."))
    statement = lock_statement(statement)
    if statement.state not in (StatementState.SENT, StatementState.DISPUTED):
        raise StatementConflict(
            "not_sent", _("Only a sent or disputed statement is corrected by a new version.")
        )
    _snapshot(statement, now)
    statement.version += 1
    statement.state = StatementState.DRAFT
    statement.edited_by_hand = False
    statement.reviewed_by = statement.reviewed_at = None
    statement.sent_by = statement.sent_at = None
    statement.save()
    statement_event_record(
        statement=statement,
        kind=StatementEventKind.CORRECTED,
        actor=user,
        now=now,
        message=message,
        data={"from_version": statement.version - 1},
    )
    return statement_reprice(statement=statement, now=now)


# --- the hospital ---------------------------------------------------------------------------
@transaction.atomic
def charge_statement_accept(
    *,
    statement: ChargeStatement,
    user: User,
    version: int | None = None,
    now: datetime | None = None,
) -> ChargeStatement:
    """The hospital accepts the sent statement as it was sent: it is frozen (content hash),
    and its PDF is rendered by the worker after commit (the outbox). ``version`` is the one
    the hospital saw: another one is a 409 ``changed``. A statement not sent (yet), disputed
    or accepted answers ``StatementConflict``."""
    now = now or timezone.now()
    _require(user, "charges.accept_chargestatement", statement)
    statement = lock_statement(statement)
    if statement.state == StatementState.ACCEPTED:
        raise StatementConflict("already_accepted", _("The statement is already accepted."))
    if statement.state == StatementState.DISPUTED:
        raise StatementConflict(
            "disputed",
            _("The statement is disputed: the vendor answers before it can be accepted."),
        )
    if statement.state != StatementState.SENT:
        raise StatementConflict("not_sent", _("The statement has not been sent to you."))
    if version is not None and version != statement.version:
        raise StatementConflict(
            "changed",
            _("The vendor sent a new version since: review it again before accepting."),
        )
    statement.state = StatementState.ACCEPTED
    statement.accepted_by = user
    statement.accepted_at = now
    statement.content_hash = content_hash(statement_content(statement))
    statement.save(
        update_fields=["state", "accepted_by", "accepted_at", "content_hash", "updated_at"]
    )
    statement_event_record(
        statement=statement,
        kind=StatementEventKind.ACCEPTED,
        actor=user,
        now=now,
        data={"content_hash": statement.content_hash},
    )
    # The worker renders the PDF once this commits (``charges.events``).
    events.publish(events.STATEMENT_ACCEPTED, statement=statement, user_id=user.pk)
    return statement


@transaction.atomic
def charge_statement_dispute(
    *, statement: ChargeStatement, user: User, comment: str, now: datetime | None = None
) -> ChargeStatement:
    """The hospital disputes the sent statement with its reason; the service managers are
    told (inbox and e-mail, through the outbox) and answer."""
    now = now or timezone.now()
    _require(user, "charges.dispute_chargestatement", statement)
    comment = _text(comment, "comment", _("Say what is wrong with the statement."))
    statement = lock_statement(statement)
    if statement.state == StatementState.ACCEPTED:
        raise StatementConflict(
            "already_accepted", _("The statement is accepted: it can no longer be disputed.")
        )
    if statement.state == StatementState.DISPUTED:
        raise StatementConflict("already_disputed", _("The statement is already disputed."))
    if statement.state != StatementState.SENT:
        raise StatementConflict("not_sent", _("The statement has not been sent to you."))
    statement.state = StatementState.DISPUTED
    statement.disputed_by = user
    statement.disputed_at = now
    statement.dispute_comment = comment
    statement.save(
        update_fields=["state", "disputed_by", "disputed_at", "dispute_comment", "updated_at"]
    )
    statement_event_record(
        statement=statement, kind=StatementEventKind.DISPUTED, actor=user, now=now, message=comment
    )
    events.publish(events.STATEMENT_DISPUTED, statement=statement, user_id=user.pk)
    return statement
