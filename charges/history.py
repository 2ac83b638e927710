"""A statement's history (issue 12 §4): every step is a ``StatementEvent`` row written in
the step's transaction, and read back as a timeline (page and API) in the hospital's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .models import ChargeStatement, StatementEvent, StatementEventKind, version_number


def statement_event_record(
    *,
    statement: ChargeStatement,
    kind: StatementEventKind,
    actor: User | None,
    now: datetime,
    message: str = "",
    data: dict[str, Any] | None = None,
) -> StatementEvent:
    return StatementEvent.objects.create(
        statement=statement,
        kind=kind,
        version=statement.version,
        actor=actor,
        occurred_at=now,
        message=message,
        data=data or {},
    )


@dataclass(frozen=True)
class HistoryStep:
    kind: str
    kind_label: str
    version: int
    number: str
    who: str
    at: datetime
    local_at: str
    message: str
    data: dict[str, Any]


def _who(user: User | None) -> str:
    if user is None:
        return _("automatically")
    return user.get_full_name() or user.get_username()


def history_of(statement: ChargeStatement) -> list[HistoryStep]:
    """The steps, oldest first, with who (a name, or "automatically" for the drafting job)
    and when in the hospital's local time."""
    zone = ZoneInfo(statement.request.hospital.time_zone)
    steps = []
    for event in statement.events.select_related("actor").order_by("occurred_at", "pk"):
        steps.append(
            HistoryStep(
                kind=event.kind,
                kind_label=str(event.get_kind_display()),
                version=event.version,
                number=version_number(statement.number, event.version),
                who=_who(event.actor),
                at=event.occurred_at,
                local_at=timezone.localtime(event.occurred_at, zone).strftime("%Y-%m-%d %H:%M"),
                message=event.message,
                data=event.data,
            )
        )
    return steps


def last_answer(statement: ChargeStatement) -> StatementEvent | None:
    """The vendor's latest answer to a dispute (a message, a correction, a credit note), if
    it came after the latest dispute."""
    events = statement.events.order_by("-occurred_at", "-pk")
    for event in events:
        if event.kind == StatementEventKind.DISPUTED:
            return None
        if event.kind in (
            StatementEventKind.ANSWERED,
            StatementEventKind.CORRECTED,
            StatementEventKind.CREDITED,
        ):
            return event
    return None
