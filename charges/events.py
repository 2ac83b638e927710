"""The domain events of charge statements (``core.outbox``), and charges' own handler.

Accepting a statement writes ``charges.statement_accepted`` in its transaction; the worker
then renders and stores the PDF (``render_statement_pdf``). Disputing writes
``charges.statement_disputed`` for the subscribers to come (telling the vendor). Payloads:
{statement_id, request_id, user_id}.
"""

from __future__ import annotations

from core import outbox
from core.models import OutboxEvent

from .models import ChargeStatement

STATEMENT_ACCEPTED = "charges.statement_accepted"
STATEMENT_DISPUTED = "charges.statement_disputed"
RENDER_PDF = "charges.render_statement_pdf"


def publish(name: str, *, statement: ChargeStatement, user_id: int | None) -> None:
    outbox.publish(
        name,
        {"statement_id": statement.pk, "request_id": statement.request_id, "user_id": user_id},
    )


def render_statement_pdf(event: OutboxEvent) -> None:
    """Idempotent: a statement that has its PDF (an earlier delivery, or the download that
    renders a missing one on demand) is left as it is; accepted content never changes."""
    from .services import charge_statement_render_pdf

    statement_id = event.payload["statement_id"]
    if ChargeStatement.objects.filter(pk=statement_id).exclude(pdf="").exists():
        return
    charge_statement_render_pdf(statement_id=statement_id)
