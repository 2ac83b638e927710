"""Demo charge statements (issue 5 §4): every resolved request of the demo gets its draft
statement; one is accepted by its hospital's equipment administrator, one disputed.
Idempotent: a second run drafts nothing new and accepts or disputes nothing more."""

from __future__ import annotations

from collections import Counter

from charges.models import ChargeStatement, StatementState
from charges.services import (
    RESOLVED_STATUSES,
    charge_statement_accept,
    charge_statement_dispute,
    charge_statement_draft,
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


def seed_charges(*, created: Counter[str]) -> None:
    resolved = ServiceRequest.objects.filter(status__in=RESOLVED_STATUSES).order_by("pk")
    for request in resolved.filter(charge_statement__isnull=True):
        charge_statement_draft(request=request)
        created["charge statements"] += 1
    drafts = list(ChargeStatement.objects.filter(state=StatementState.DRAFT).order_by("pk"))
    answered = ChargeStatement.objects.exclude(state=StatementState.DRAFT)
    if not answered.filter(state=StatementState.ACCEPTED).exists():
        for statement in drafts:
            admin = _equipment_admin(statement.request.hospital_id)
            if admin is not None:
                statement = charge_statement_draft(request=statement.request)  # re-price
                charge_statement_accept(statement=statement, user=admin)
                created["charge statements accepted"] += 1
                drafts = [d for d in drafts if d.pk != statement.pk]
                break
    if not answered.filter(state=StatementState.DISPUTED).exists():
        for statement in drafts:
            admin = _equipment_admin(statement.request.hospital_id)
            if admin is not None:
                charge_statement_dispute(
                    statement=statement,
                    user=admin,
                    comment="工时与现场记录不符，请核对。",
                )
                created["charge statements disputed"] += 1
                break
