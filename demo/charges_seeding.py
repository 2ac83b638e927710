"""Demo charge statements (issue 5 §4, issue 12 §4): every resolved request of the demo gets
its draft statement, and the first drafts are taken along the workflow so each step shows:
one accepted, one disputed (the manager has to answer), one disputed and answered by the
manager (sent again, the answer on it), one sent, one reviewed; the rest stay drafts.
Idempotent: a second run drafts nothing new and takes no statement further."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from django.db.models import Q, QuerySet

from accounts.models import User, VendorRole
from charges.models import ChargeStatement, StatementState
from charges.services import RESOLVED_STATUSES, charge_statement_draft
from charges.workflow import (
    charge_statement_accept,
    charge_statement_answer,
    charge_statement_dispute,
    charge_statement_review,
    charge_statement_send,
)
from customers.models import HospitalMembership, HospitalRole
from service.models import ServiceRequest


def _equipment_admin(hospital_id: int):
    membership = (
        HospitalMembership.objects.filter(
            hospital_id=hospital_id, role=HospitalRole.EQUIPMENT_ADMIN, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership is not None else None


def _manager() -> User | None:
    for role in (VendorRole.MANAGER, VendorRole.ADMIN):
        user = User.objects.filter(is_active=True, vendor_role=role).order_by("pk").first()
        if user is not None:
            return user
    return None


Step = Callable[[ChargeStatement, User, User], None]


def _send(statement: ChargeStatement, manager: User, admin: User) -> None:
    statement = charge_statement_draft(request=statement.request)  # priced as of today
    charge_statement_review(statement=statement, user=manager)
    charge_statement_send(statement=statement, user=manager)


def _review(statement: ChargeStatement, manager: User, admin: User) -> None:
    charge_statement_review(statement=statement, user=manager)


def _accept(statement: ChargeStatement, manager: User, admin: User) -> None:
    _send(statement, manager, admin)
    charge_statement_accept(statement=statement, user=admin)


def _dispute(statement: ChargeStatement, manager: User, admin: User) -> None:
    _send(statement, manager, admin)
    charge_statement_dispute(
        statement=statement, user=admin, comment="工时与现场记录不符，请核对。"
    )


def _answer(statement: ChargeStatement, manager: User, admin: User) -> None:
    _send(statement, manager, admin)
    charge_statement_dispute(
        statement=statement, user=admin, comment="差旅为何按两次计费？工程师只来了一次。"
    )
    charge_statement_answer(
        statement=statement,
        user=manager,
        message="工程师第一次到场后取备件离开，次日再次到场更换，故计两次差旅，详见维修记录。",
    )


# (what the demo shows, which statements already show it, how to get there)
TARGETS: list[tuple[str, Q, Step]] = [
    ("accepted", Q(state=StatementState.ACCEPTED), _accept),
    ("disputed", Q(state=StatementState.DISPUTED), _dispute),
    ("answered", Q(events__kind="answered"), _answer),
    ("sent", Q(state=StatementState.SENT) & ~Q(events__kind="answered"), _send),
    ("reviewed", Q(state=StatementState.REVIEWED), _review),
]


def seed_charges(*, created: Counter[str], settled: QuerySet[ServiceRequest] | None = None) -> None:
    """``settled``: requests whose statements went their way already (the demo's year of
    history): they do not count as showing a step, so the recent drafts still show each."""
    resolved = ServiceRequest.objects.filter(status__in=RESOLVED_STATUSES).order_by("pk")
    for request in resolved.filter(charge_statement__isnull=True):
        charge_statement_draft(request=request)
        created["charge statements"] += 1
    manager = _manager()
    if manager is None:
        return
    drafts = list(
        ChargeStatement.objects.filter(state=StatementState.DRAFT, version=1)
        .exclude(events__kind="reviewed")
        .select_related("request")
        .order_by("pk")
    )
    statements = ChargeStatement.objects.all()
    if settled is not None:
        statements = statements.exclude(request__in=settled)
    for name, shown, step in TARGETS:
        if statements.filter(shown).exists():
            continue
        for statement in drafts:
            admin = _equipment_admin(statement.request.hospital_id)
            if admin is not None:
                step(statement, manager, admin)
                created[f"charge statements {name}"] += 1
                drafts.remove(statement)
                break
