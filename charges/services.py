"""Writes about charges: draft (and re-price) a resolved request's statement, render the
accepted one's PDF, and adjust an accepted or disputed one by a credit note. The steps
between (review, send, dispute, answer, correct, accept) are in ``charges.workflow``.

Drafting is lazy, not a hook in ``service``: service must not import charges (the arrow
points the other way). A statement is drafted on the first read of a resolved request
(page or API) and by the periodic ``charges.tasks.draft_statements`` job, always as a
draft, never sent; every read of a draft re-prices it when its inputs changed (the fault
cause, the labor hours, the trips, the parts, the rates, the coverage), unless the vendor
edited its lines by hand. Once reviewed, a statement changes only by a new version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from assets.models import MainComponent
from contracts.coverage import CoverageAnswer, Line
from contracts.selectors import device_coverage
from core.errors import Conflict
from core.numbering import next_number
from core.signatures import content_hash
from parts.selectors import parts_issued_to
from service.models import RepairRecord, ServiceRequest
from service.repair_records.services import effective_content
from service.selectors import timeline_of
from service.timeline import trips as timeline_trips

from . import events, reasons
from .history import statement_event_record
from .models import (
    ChargeLine,
    ChargeStatement,
    CreditNote,
    CreditNoteLine,
    StatementEventKind,
    StatementState,
)
from .pricing import LineIn, Priced, price_lines
from .selectors import charge_rates_current, current_lines

RESOLVED_STATUSES = frozenset({"resolved", "signed", "filed", "closed"})


class StatementConflict(Conflict):
    """The statement's state refuses this step (HTTP 409): nothing changed."""


# --- inputs -------------------------------------------------------------------------------
def _component_answer(
    request: ServiceRequest, parts: Sequence[Mapping[str, str]], cause: str
) -> CoverageAnswer | None:
    """A replaced main component under its own warranty (R-6.5): the repair of it is
    warranty work, even on a device out of warranty."""
    serials = [p.get("serial_removed") for p in parts if p.get("serial_removed")]
    if not serials:
        return None
    components = MainComponent.objects.filter(
        device=request.device, serial_number__in=serials, replaced_on__isnull=False
    ).order_by("-replaced_on", "pk")
    for component in components:
        answer = device_coverage(
            device=request.device, at=request.reported_at, cause=cause, component=component
        )
        if any(r.code == "component_warranty" for r in answer.reasons):
            return answer
    return None


def _parts_text(part: Mapping[str, str]) -> str:
    serials = " → ".join(s for s in (part.get("serial_removed"), part.get("serial_fitted")) if s)
    name = part.get("name", "")
    return f"{name} ({serials})" if serials else name


def statement_inputs(request: ServiceRequest) -> tuple[CoverageAnswer, list[LineIn], str]:
    """What the statement prices: the cover at ``reported_at`` for the recorded cause, and
    the lines from the repair record, the timeline and the parts issued."""
    record = RepairRecord.objects.filter(request=request).first()
    content = effective_content(record) if record is not None else None
    cause = content["fault_cause"] if content is not None else request.fault_cause
    record_parts = list(content["parts_replaced"]) if content is not None else []
    rates = charge_rates_current()

    answer = _component_answer(request, record_parts, cause) or device_coverage(
        device=request.device, at=request.reported_at, cause=cause
    )
    # In the document's language whoever reads first: a re-read in another language must
    # not look like a change (a part's name is bilingual).
    with translation.override(settings.LANGUAGE_CODE):
        labor_text, travel_text = _("Labor"), _("Travel to the site")
        issued = parts_issued_to(request)
    lines: list[LineIn] = []
    if issued:
        for part in issued:
            serial = f" SN {part.serial_number}" if part.serial_number else ""
            lines.append(
                LineIn(
                    Line.PARTS,
                    f"{part.part_number} {part.name}{serial}"[:200],
                    Decimal(part.quantity),
                    Decimal(part.unit_cost),
                    Decimal(part.unit_list),
                )
            )
    else:
        # No stock issue recorded: the record's parts, without a catalogue price.
        for part in record_parts:
            quantity = Decimal(int(part.get("quantity") or 1))  # a line per part (issue 12)
            lines.append(LineIn(Line.PARTS, _parts_text(part)[:200], quantity, None, None))
    hours = Decimal(content["labor_hours"]) if content is not None else Decimal(0)
    if hours > 0:
        lines.append(
            LineIn(
                Line.LABOR,
                labor_text,
                hours,
                rates.labor_hour_cost,
                rates.labor_hour_list,
            )
        )
    # One trip per journey to the site as the timeline defines it: a repeated arrival with
    # nothing in between is not another trip, and a remote fix has no travel.
    trips = timeline_trips(timeline_of(request))
    if trips:
        lines.append(
            LineIn(
                Line.TRAVEL,
                travel_text,
                Decimal(trips),
                rates.travel_trip_cost,
                rates.travel_trip_list,
            )
        )
    return answer, lines, rates.currency


# --- content ------------------------------------------------------------------------------
def _json_value(key: str, value: object, zone: ZoneInfo) -> object:
    if isinstance(value, datetime):
        if key in ("until", "since"):
            # The first uncovered instant is a local midnight: the day before is the last.
            return (value.astimezone(zone) - timedelta(seconds=1)).date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def json_params(params: Mapping[str, object], zone: ZoneInfo) -> dict[str, object]:
    return {key: _json_value(key, value, zone) for key, value in params.items()}


def _line_content(line: Any) -> dict[str, Any]:
    return {
        "kind": str(line.kind),
        "description": line.description,
        "quantity": f"{Decimal(line.quantity):.2f}",
        "unit_price": f"{Decimal(line.unit_price):.4f}",
        "pricing": str(line.pricing),
        "amount": f"{Decimal(line.amount):.2f}",
        "reason_code": line.reason_code,
        "reason_params": line.reason_params,
    }


def statement_content(statement: ChargeStatement) -> dict[str, Any]:
    """The statement as priced, JSON-ready: what acceptance hashes."""
    return {
        "request": statement.request.number,
        "number": statement.display_number,
        "cause": statement.cause,
        "priced_as": statement.priced_as,
        "basis": statement.basis,
        "currency": statement.currency,
        "lines": [_line_content(line) for line in statement.lines.all()],
        "total": f"{statement.total:.2f}",
    }


def _priced_rows(priced: Priced, zone: ZoneInfo, time_zone: str) -> list[dict[str, Any]]:
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for position, line in enumerate(priced.lines):
            params = json_params(line.reason.params, zone)
            rows.append(
                {
                    "position": position,
                    "kind": line.kind.value,
                    "description": str(line.description),
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "pricing": line.pricing.value,
                    "amount": line.amount,
                    "reason_code": line.reason.code,
                    "reason_params": params,
                    "reason_text": reasons.line_reason_text(line.reason.code, params, time_zone),
                }
            )
    return rows


class _Row:
    def __init__(self, row: Mapping[str, Any]) -> None:
        self.__dict__.update(row)


def _price(request: ServiceRequest) -> tuple[CoverageAnswer, Priced, list[dict[str, Any]]]:
    answer, lines, currency = statement_inputs(request)
    priced = price_lines(answer, lines, currency=currency)
    time_zone = request.hospital.time_zone
    return answer, priced, _priced_rows(priced, ZoneInfo(time_zone), time_zone)


def _new_content(
    statement: ChargeStatement, answer: CoverageAnswer, priced: Priced, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "request": statement.request.number,
        "number": statement.display_number,
        "cause": answer.cause.value,
        "priced_as": answer.priced_as.value,
        "basis": answer.basis.value,
        "currency": priced.currency,
        "lines": [_line_content(_Row(row)) for row in rows],
        "total": f"{priced.total:.2f}",
    }


# --- writes -------------------------------------------------------------------------------
def _write(
    statement: ChargeStatement,
    answer: CoverageAnswer,
    priced: Priced,
    rows: list[dict[str, Any]],
    now: datetime,
) -> ChargeStatement:
    time_zone = statement.request.hospital.time_zone
    zone = ZoneInfo(time_zone)
    statement.cause = answer.cause.value
    statement.priced_as = answer.priced_as.value
    statement.basis = answer.basis.value
    statement.cover = answer.cover.value
    statement.coverage = {
        "cover": answer.cover.value,
        "basis": answer.basis.value,
        "starts_at": answer.starts_at.isoformat() if answer.starts_at else None,
        "ends_at": answer.ends_at.isoformat() if answer.ends_at else None,
        "parts": answer.parts.value,
        "labor": answer.labor.value,
        "travel": answer.travel.value,
        "reasons": [
            {"code": r.code, "params": json_params(r.params, zone)} for r in answer.reasons
        ],
    }
    with translation.override(settings.LANGUAGE_CODE):
        statement.coverage_text = reasons.coverage_reason_text(answer, time_zone)
    statement.currency = priced.currency
    statement.parts_total = priced.totals[Line.PARTS]
    statement.labor_total = priced.totals[Line.LABOR]
    statement.travel_total = priced.totals[Line.TRAVEL]
    statement.total = priced.total
    statement.drafted_at = now
    statement.save()
    statement.lines.all().delete()
    ChargeLine.objects.bulk_create(ChargeLine(statement=statement, **row) for row in rows)
    return statement


def is_resolved(request: ServiceRequest) -> bool:
    return request.status in RESOLVED_STATUSES


def follows_the_record(statement: ChargeStatement) -> bool:
    """A draft not edited by hand is re-priced when the record changes; nothing else is."""
    return statement.state == StatementState.DRAFT and not statement.edited_by_hand


@transaction.atomic
def charge_statement_draft(
    *, request: ServiceRequest, now: datetime | None = None
) -> ChargeStatement:
    """Draft the statement of a resolved request, or re-price its draft when anything it
    depends on changed. A draft edited by hand, a reviewed, sent or disputed statement is
    left as it is (the vendor corrects it by a new version); an accepted one never changes:
    ``StatementConflict`` (use a credit note). Never sends anything."""
    now = now or timezone.now()
    request = (
        ServiceRequest.objects.select_for_update()
        .select_related("device__hospital", "hospital")
        .get(pk=request.pk)
    )
    statement = ChargeStatement.objects.filter(request=request).first()
    if statement is None:
        if not is_resolved(request):
            raise StatementConflict(
                "not_resolved", _("The request is not resolved yet: nothing to charge.")
            )
        vendor_year = now.astimezone(ZoneInfo(settings.TIME_ZONE)).year
        statement = ChargeStatement(
            request=request,
            number=next_number(key="CS", year=vendor_year, width=6),
            state=StatementState.DRAFT,
        )
        answer, priced, rows = _price(request)
        statement = _write(statement, answer, priced, rows, now)
        statement_event_record(
            statement=statement, kind=StatementEventKind.DRAFTED, actor=None, now=now
        )
        return statement
    statement.request = request
    if statement.is_frozen:
        raise StatementConflict(
            "frozen",
            _("The statement is accepted and frozen: issue a credit note to change it."),
        )
    if not follows_the_record(statement):
        return statement
    return statement_reprice(statement=statement, now=now)


def statement_reprice(*, statement: ChargeStatement, now: datetime) -> ChargeStatement:
    """Price the statement again from the record (inside the caller's transaction, the
    request locked); unchanged content is not rewritten."""
    answer, priced, rows = _price(statement.request)
    if _new_content(statement, answer, priced, rows) == statement_content(statement):
        return statement
    return _write(statement, answer, priced, rows, now)


def charge_statement_for_read(
    *, request: ServiceRequest, now: datetime | None = None
) -> ChargeStatement | None:
    """The statement a page or the API shows: drafted on first read of a resolved request,
    re-priced while a draft that follows the record; None while the request is unresolved
    and has none."""
    statement = ChargeStatement.objects.filter(request=request).first()
    if statement is not None and not follows_the_record(statement):
        return statement
    if statement is None and not is_resolved(request):
        return None
    return charge_statement_draft(request=request, now=now)


def lock_statement(statement: ChargeStatement) -> ChargeStatement:
    # The request first, in the same order as every write of the service app.
    request = ServiceRequest.objects.select_for_update().get(pk=statement.request_id)
    locked = ChargeStatement.objects.select_for_update().get(pk=statement.pk)
    locked.request = request
    return locked


@transaction.atomic
def credit_note_issue(
    *, statement: ChargeStatement, user: User, reason: str, now: datetime | None = None
) -> CreditNote:
    """Re-price an accepted statement (e.g. the fault cause was corrected by an amendment),
    or answer a dispute so: the statement's content stays as it is; the credit note negates
    the lines it stood at and adds the re-priced ones, and its total is the difference. A
    disputed statement is sent back to the hospital with it (issue 12 §4)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the statement is adjusted.")})
    statement = lock_statement(statement)
    if statement.state not in (StatementState.ACCEPTED, StatementState.DISPUTED):
        raise StatementConflict(
            "not_accepted",
            _("Only an accepted or disputed statement is adjusted by a credit note."),
        )
    answer, priced, rows = _price(statement.request)
    before: list[ChargeLine | CreditNoteLine] = current_lines(statement)
    before_content = [_line_content(line) for line in before]
    after_content = [_line_content(_Row(row)) for row in rows]
    if before_content == after_content:
        raise ValidationError(
            _("Nothing changed: the statement already stands at these prices."), code="no_change"
        )
    total_before = sum((Decimal(line.amount) for line in before), Decimal("0.00"))
    vendor_year = now.astimezone(ZoneInfo(settings.TIME_ZONE)).year
    note = CreditNote(
        statement=statement,
        number=next_number(key="CN", year=vendor_year, width=6),
        reason=reason,
        cause=answer.cause.value,
        total_before=total_before,
        total_after=priced.total,
        total=priced.total - total_before,
        created_by=user,
        created_at=now,
    )
    note.content_hash = content_hash(
        {
            "statement": statement.content_hash,
            "reason": reason,
            "before": before_content,
            "after": after_content,
        }
    )
    note.save()
    negated = [
        CreditNoteLine(
            credit_note=note,
            position=position,
            kind=line.kind,
            description=line.description,
            quantity=-Decimal(line.quantity),
            unit_price=line.unit_price,
            pricing=line.pricing,
            amount=-Decimal(line.amount),
            reason_code=line.reason_code,
            reason_params=line.reason_params,
            reason_text=line.reason_text,
        )
        for position, line in enumerate(before)
    ]
    added = [
        CreditNoteLine(credit_note=note, **(row | {"position": len(before) + row["position"]}))
        for row in rows
    ]
    CreditNoteLine.objects.bulk_create([*negated, *added])
    answers_a_dispute = statement.state == StatementState.DISPUTED
    if answers_a_dispute:
        statement.state = StatementState.SENT
        statement.save(update_fields=["state", "updated_at"])
    statement_event_record(
        statement=statement,
        kind=StatementEventKind.CREDITED,
        actor=user,
        now=now,
        message=reason,
        data={"credit_note": note.number, "total": f"{note.total:.2f}"},
    )
    if answers_a_dispute:
        events.publish(events.STATEMENT_ANSWERED, statement=statement, user_id=user.pk)
    return note


def charge_statement_render_pdf(*, statement_id: int) -> ChargeStatement:
    """Render the accepted statement (Chinese, vendor header) and store the PDF."""
    from .documents import statement_pdf_bytes

    statement = ChargeStatement.objects.select_related(
        "request__hospital", "request__department", "request__device__product_model"
    ).get(pk=statement_id)
    content = statement_pdf_bytes(statement)
    old_name = statement.pdf.name if statement.pdf else ""
    statement.pdf.save(f"{statement.number}.pdf", ContentFile(content), save=False)
    # Only the file column: the accepted content never changes.
    ChargeStatement.objects.filter(pk=statement.pk).update(pdf=statement.pdf.name)
    if old_name and old_name != statement.pdf.name:
        statement.pdf.storage.delete(old_name)
    return statement


def draft_missing_statements(*, now: datetime | None = None, limit: int = 500) -> int:
    """The periodic path: draft the statements of resolved requests that have none."""
    pending = ServiceRequest.objects.filter(
        status__in=RESOLVED_STATUSES, charge_statement__isnull=True
    ).order_by("pk")[:limit]
    count = 0
    for request in pending:
        charge_statement_draft(request=request, now=now)
        count += 1
    return count
