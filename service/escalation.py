"""The escalation sweep: tell people about promises at risk and promises broken, each once.

A milestone row carries its deadline (``warn_at``, ``due_at``) and whether its alerts went
out (``at_risk_notified_at``, ``breach_notified_at``). A sweep claims due rows in batches,
each batch one transaction (healthchecks ``sendalerts``):

1. ``SELECT … FOR UPDATE SKIP LOCKED`` picks rows no other sweeper holds (PostgreSQL; on
   SQLite the IMMEDIATE transaction already serialises writers);
2. a conditional ``UPDATE … SET *_notified_at = now WHERE pk = … AND *_notified_at IS NULL``
   per row: 1 row updated means this sweeper owns that alert;
3. the inbox rows, the e-mails (as outbox rows, ``notify.services``) and the domain event
   (``service.milestone_at_risk`` / ``_breached``) are written in the same transaction; the
   worker sends the e-mails after it commits. A crash before the commit leaves the row
   unclaimed for the next sweep; after it, the claim, the inbox rows and the e-mails to
   send exist together. Either way each alert is sent once.

A milestone first seen past its deadline (the sweeper was down, or the warning window was
shorter than a tick) gets the breach alert only: "at risk" would be old news.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from contracts.selectors import ServiceManagers
from core import outbox
from notify.services import Notice, notices_send

from . import events
from .models import Milestone, ServiceEvent, ServiceRequest
from .timeline import EventType

logger = logging.getLogger(__name__)

KIND_AT_RISK = "sla_at_risk"
KIND_BREACHED = "sla_breached"
KIND_SPARE_PARTS = "sla_spare_parts_first"
# The promises a spare unit keeps: the system runs again even before the repair.
SPARE_PARTS_KEYS = frozenset({"resolved", "restored"})
BATCH_SIZE = 200


@dataclass(frozen=True)
class SweepResult:
    at_risk: int = 0
    breached: int = 0
    spare_parts_prompts: int = 0

    def __add__(self, other: SweepResult) -> SweepResult:
        return SweepResult(
            at_risk=self.at_risk + other.at_risk,
            breached=self.breached + other.breached,
            spare_parts_prompts=self.spare_parts_prompts + other.spare_parts_prompts,
        )


def _running() -> QuerySet[Milestone]:
    """Unmet promises of open requests whose clock is running."""
    return Milestone.objects.filter(
        met_at__isnull=True, paused=False, request__is_open=True, due_at__isnull=False
    ).exclude(state="not_applicable")


def turned_at_risk(now: datetime) -> QuerySet[Milestone]:
    """Past the warning, not yet due, not yet told (index ``milestone_open_warn_idx``)."""
    return _running().filter(at_risk_notified_at__isnull=True, warn_at__lte=now, due_at__gte=now)


def turned_breached(now: datetime) -> QuerySet[Milestone]:
    """Past the deadline, not yet told (index ``milestone_open_due_idx``)."""
    return _running().filter(breach_notified_at__isnull=True, due_at__lt=now)


def _lock(candidates: QuerySet[Milestone], *, order: str, size: int) -> list[tuple[int, bool]]:
    """Up to ``size`` candidates that no other sweeper holds, locked until our commit, with
    whether their "at risk" alert already went out."""
    return [
        (pk, warned_at is not None)
        for pk, warned_at in candidates.select_for_update(skip_locked=True, of=("self",))
        .order_by(order)
        .values_list("pk", "at_risk_notified_at")[:size]
    ]


def _claim(
    locked: list[tuple[int, bool]], unclaimed: QuerySet[Milestone], **stamp
) -> dict[int, bool]:
    """Stamp the locked rows in one UPDATE. The rows are locked until our commit and the
    lock re-checked the "not yet notified" condition, so the UPDATE takes them all; should
    it not, fall back to claiming row by row, each only if its stamp was still empty."""
    pks = [pk for pk, _warned in locked]
    if not pks:
        return {}
    if unclaimed.filter(pk__in=pks).update(**stamp) == len(pks):
        return dict(locked)
    return {  # pragma: no cover - a claim outside the locking protocol
        pk: warned for pk, warned in locked if unclaimed.filter(pk=pk).update(**stamp) == 1
    }


def _claim_at_risk(now: datetime, size: int) -> dict[int, bool]:
    """The claimed at-risk alerts (none was warned before: that is what we look for)."""
    return _claim(
        _lock(turned_at_risk(now), order="warn_at", size=size),
        Milestone.objects.filter(at_risk_notified_at__isnull=True),
        at_risk_notified_at=now,
    )


def _claim_breached(now: datetime, size: int) -> dict[int, bool]:
    """The claimed breaches, each with whether its "at risk" alert had gone out. A breach
    also stamps ``at_risk_notified_at``: past the deadline, "at risk" is old news."""
    return _claim(
        _lock(turned_breached(now), order="due_at", size=size),
        Milestone.objects.filter(breach_notified_at__isnull=True),
        breach_notified_at=now,
        at_risk_notified_at=Coalesce("at_risk_notified_at", Value(now, DateTimeField())),
    )


def request_url(pk: int) -> str:
    return reverse("service:request_detail", args=[pk])


class _Recipients:
    """Who hears about a request's promises; the fallback managers are read once."""

    def __init__(self) -> None:
        self._managers = ServiceManagers()

    def managers(self, request: ServiceRequest) -> list[User]:
        return self._managers.of(request.contract)

    def team(self, request: ServiceRequest) -> list[User]:
        """The assigned engineers and the manager(s), each once."""
        people = [u for u in request.engineers.all() if u.is_active] + self.managers(request)
        return list({u.pk: u for u in people}.values())


def _facts(milestone: Milestone) -> dict[str, str]:
    request = milestone.request
    zone = request.hospital.time_zone
    assert milestone.due_at is not None  # the sweep reads running clocks only
    deadline = milestone.due_at.astimezone(ZoneInfo(zone))
    return {
        "number": request.number,
        "milestone": milestone.name,
        "device": str(request.device),
        "hospital": request.hospital.name,
        "department": request.department.name,
        "deadline": f"{deadline:%Y-%m-%d %H:%M} ({zone})",
    }


def _details(facts: dict[str, str]) -> str:
    return "\n".join(
        [
            _("Device: %(device)s") % facts,
            _("Hospital: %(hospital)s, %(department)s") % facts,
            _("Deadline: %(deadline)s") % facts,
        ]
    )


def _at_risk_notices(milestone: Milestone, people: list[User], url: str) -> list[Notice]:
    facts = _facts(milestone)
    subject = _("%(number)s: “%(milestone)s” is at risk") % facts
    body = (
        _(
            "The promise “%(milestone)s” of service request %(number)s is due at %(deadline)s "
            "and is not met yet."
        )
        % facts
    )
    return [
        Notice(
            users=people,
            kind=KIND_AT_RISK,
            subject=subject,
            body=f"{body}\n\n{_details(facts)}",
            url=url,
            dedupe_key_prefix=f"{KIND_AT_RISK}:{milestone.pk}",
            about=milestone.request,
            hospital_id=milestone.request.hospital_id,
        )
    ]


def _breach_notices(milestone: Milestone, managers: list[User], url: str) -> list[Notice]:
    facts = _facts(milestone)
    request = milestone.request
    subject = _("%(number)s: “%(milestone)s” was missed") % facts
    body = (
        _(
            "The promise “%(milestone)s” of service request %(number)s was due at %(deadline)s "
            "and is not met."
        )
        % facts
    )
    notices = [
        Notice(
            users=managers,
            kind=KIND_BREACHED,
            subject=subject,
            body=f"{body}\n\n{_details(facts)}",
            url=url,
            dedupe_key_prefix=f"{KIND_BREACHED}:{milestone.pk}",
            about=milestone.request,
            hospital_id=milestone.request.hospital_id,
        )
    ]
    contact = request.department.responsible_contact
    if (
        request.contract
        and request.contract.notify_hospital_on_breach
        and contact
        and contact.email
    ):
        # Told by e-mail only (a contact has no account): in the customer's words, no link.
        notices.append(
            Notice(
                users=[],
                kind=KIND_BREACHED,
                subject=_("Service request %(number)s: we missed “%(milestone)s”") % facts,
                body=_(
                    "Our promise “%(milestone)s” for service request %(number)s was due at "
                    "%(deadline)s and has not been met. Our service manager has been told "
                    "and will contact you."
                )
                % facts
                + "\n\n"
                + _details(facts),
                url="",
                dedupe_key_prefix=f"{KIND_BREACHED}:{milestone.pk}:hospital",
                about=milestone.request,
                hospital_id=milestone.request.hospital_id,
                also_email=[contact.email],
            )
        )
    return notices


def _spare_parts_notice(milestone: Milestone, people: list[User], url: str) -> Notice:
    facts = _facts(milestone)
    return Notice(
        users=people,
        kind=KIND_SPARE_PARTS,
        subject=_("%(number)s: put in a spare to keep the system running (“%(milestone)s”)")
        % facts,
        body=_(
            "“%(milestone)s” of service request %(number)s is due at %(deadline)s and no "
            "loaner is in place. Spare parts first: install a spare unit or part now so the "
            "system keeps running while the repair goes on."
        )
        % facts
        + "\n\n"
        + _details(facts),
        url=url,
        dedupe_key_prefix=f"{KIND_SPARE_PARTS}:{milestone.pk}",
        about=milestone.request,
        hospital_id=milestone.request.hospital_id,
    )


def _claimed_milestones(pks) -> QuerySet[Milestone]:
    loaner = ServiceEvent.objects.filter(
        request=OuterRef("request_id"), type=EventType.LOANER_INSTALLED
    )
    return (
        Milestone.objects.filter(pk__in=list(pks))
        .select_related(
            "request__device__product_model",
            "request__hospital",
            "request__department__responsible_contact",
            "request__contract__service_manager",
        )
        .prefetch_related("request__engineers")
        .annotate(has_loaner=Exists(loaner))
        .order_by("due_at", "pk")
    )


def _needs_spare(milestone: Milestone) -> bool:
    return milestone.key in SPARE_PARTS_KEYS and not milestone.has_loaner  # type: ignore[attr-defined]


def _sweep_batch(
    claim: Callable[[datetime, int], dict[int, bool]],
    *,
    kind: str,
    now: datetime,
    size: int,
    recipients: _Recipients,
) -> SweepResult | None:
    """Claim one batch and write its notices, in one transaction. None: nothing left."""
    with transaction.atomic():
        claimed = claim(now, size)
        if not claimed:
            return None
        notices: list[Notice] = []
        prompts = 0
        with translation.override(settings.LANGUAGE_CODE):
            milestones = list(_claimed_milestones(claimed))
            for milestone in milestones:
                request = milestone.request
                url = request_url(request.pk)
                team = recipients.team(request)
                if kind == KIND_AT_RISK:
                    notices += _at_risk_notices(milestone, team, url)
                else:
                    notices += _breach_notices(milestone, recipients.managers(request), url)
                # Prompted with the warning, or with the breach when that came first.
                if _needs_spare(milestone) and not claimed[milestone.pk]:
                    notices.append(_spare_parts_notice(milestone, team, url))
                    prompts += 1
        notices_send(notices, now=now)
        # The claims as domain events, for the subscribers to come (webhooks): written with
        # the claim, so each goes out once like the alert itself.
        outbox.publish_many(
            events.MILESTONE_AT_RISK if kind == KIND_AT_RISK else events.MILESTONE_BREACHED,
            [{"milestone_id": m.pk, "request_id": m.request_id, "key": m.key} for m in milestones],
        )
    if kind == KIND_AT_RISK:
        return SweepResult(at_risk=len(claimed), spare_parts_prompts=prompts)
    return SweepResult(breached=len(claimed), spare_parts_prompts=prompts)


def sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Send every alert that is due and not yet sent; safe to run in many workers at once."""
    now = now or timezone.now()
    recipients = _Recipients()
    result = SweepResult()
    for kind, claim in ((KIND_AT_RISK, _claim_at_risk), (KIND_BREACHED, _claim_breached)):
        while (
            batch := _sweep_batch(claim, kind=kind, now=now, size=batch_size, recipients=recipients)
        ) is not None:
            result += batch
    if result != SweepResult():
        logger.info("SLA sweep at %s: %s", now.isoformat(), result)
    return result
