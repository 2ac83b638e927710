"""Charges in a device's archive (the ``core.archive`` protocol, listed in
``archive/sources.py``): each charge statement of the device's requests at its latest step
(accepted ones signed, with their PDF), and each credit note (R-6.4)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive import (
    ArchiveDocument,
    ArchiveEntry,
    ArchiveQuery,
    SourcePage,
    in_window,
    newest_first,
)

from .models import (
    ChargeLine,
    ChargeStatement,
    CreditNote,
    CreditNoteLine,
    StatementEvent,
    StatementState,
    StatementVersion,
)

STATEMENT = "charge_statement"
CREDIT_NOTE = "credit_note"
KINDS = {
    STATEMENT: gettext_lazy("Charge statements"),
    CREDIT_NOTE: gettext_lazy("Credit notes"),
}


def entries(query: ArchiveQuery) -> SourcePage:
    statements = query.on_devices(
        ChargeStatement.objects.for_user(query.visible_to), "request__device_id"
    )
    count = 0
    found: list[ArchiveEntry] = []
    if query.wants(STATEMENT):
        for statement in statements.select_related("request"):
            at = _latest_step(statement)
            if query.holds(at):
                count += 1
                found.append(_statement(statement, at))
    if query.wants(CREDIT_NOTE):
        notes = in_window(CreditNote.objects.filter(statement__in=statements), "created_at", query)
        count += query.count(notes)
        rows = notes.select_related("statement__request").order_by("-created_at", "-pk")
        found += [_credit_note(note) for note in rows[: query.limit]]
    return SourcePage(count, newest_first(found)[: query.limit])


def _latest_step(statement: ChargeStatement):
    steps = [statement.drafted_at, statement.reviewed_at, statement.sent_at,
             statement.disputed_at, statement.accepted_at]  # fmt: skip
    return max(step for step in steps if step is not None)


def _statement(statement: ChargeStatement, at) -> ArchiveEntry:
    request = statement.request
    accepted = statement.state == StatementState.ACCEPTED
    return ArchiveEntry(
        at=at, kind=STATEMENT,
        title=_("Charge statement %(number)s: %(state)s")
        % {"number": statement.display_number, "state": statement.get_state_display()},
        object_id=statement.pk,
        url=reverse("charges:statement", args=[request.pk]),
        detail=_("%(request)s · total %(total)s %(currency)s")
        % {"request": request.number, "total": statement.total, "currency": statement.currency},
        signed=accepted or None,
        pdf_url=reverse("charges:statement_pdf", args=[request.pk]) if accepted else "",
        device_id=request.device_id,
    )  # fmt: skip


def _credit_note(note: CreditNote) -> ArchiveEntry:
    request = note.statement.request
    return ArchiveEntry(
        at=note.created_at, kind=CREDIT_NOTE,
        title=_("Credit note %(number)s") % {"number": note.number},
        object_id=note.pk,
        url=reverse("charges:statement", args=[request.pk]),
        detail=_("difference %(total)s %(currency)s · %(reason)s")
        % {"total": note.total, "currency": note.statement.currency, "reason": note.reason},
        device_id=request.device_id,
    )  # fmt: skip


# Kept records (``core.retention``): never deleted, by any path; a predicate keeps a row only
# in that state.
RETAINED = {
    ChargeStatement: None,
    # A draft is priced again from the record, its lines replaced; a reviewed one is kept.
    ChargeLine: lambda line: (
        ChargeStatement.objects.filter(pk=line.statement_id)
        .exclude(state=StatementState.DRAFT)
        .exists()
    ),
    StatementEvent: None,
    StatementVersion: None,
    CreditNote: None,
    CreditNoteLine: None,
}


def documents(entries: list[ArchiveEntry], *, visible_to) -> dict[str, ArchiveDocument]:
    """The frozen PDFs of the accepted statements behind ``entries`` (for the dossier),
    rendered now if rendering after the acceptance failed."""
    from .services import charge_statement_render_pdf

    ids = {e.object_id for e in entries if e.kind == STATEMENT and e.pdf_url}
    if not ids:
        return {}
    statements = ChargeStatement.objects.for_user(visible_to).filter(
        pk__in=ids, state=StatementState.ACCEPTED
    )
    found = {}
    for statement in statements.select_related("request", "accepted_by"):
        signed_by = str(statement.accepted_by or "")
        number, signed_at = statement.display_number, statement.accepted_at
        if not statement.pdf:
            statement = charge_statement_render_pdf(statement_id=statement.pk)
        found[reverse("charges:statement_pdf", args=[statement.request_id])] = ArchiveDocument(
            file=statement.pdf, number=number, signed_by=signed_by, signed_at=signed_at
        )
    return found
