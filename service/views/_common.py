"""What the service-request pages share: scoping, the live state of the promises as a page
shows them, countdowns.

Every page reads through ``ServiceRequest.objects.for_user`` (another hospital's request
is a 404), checks the ``rules`` permission before a write (403) and makes exactly one
service call per write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from core.durations import countdown_words

from ..forms import MILESTONE_STATE_LABELS, STATUS_LABELS
from ..models import Milestone, ServiceRequest
from ..selectors import milestone_live_state, milestone_running

PAGE_SIZE = 50
# The board is read at a glance and refreshed every 30 s: the 25 nearest deadlines a page.
BOARD_PAGE_SIZE = 25
GET_POST = require_http_methods(["GET", "POST"])
# Which row of a table or which card a countdown colours, by the state of the promises.
ROW_CLASSES = {"breached": "table-danger", "at_risk": "table-warning", "": ""}
CARD_CLASSES = {"breached": "border-danger", "at_risk": "border-warning", "": ""}
BADGE_CLASSES = {"breached": "text-bg-danger", "at_risk": "text-bg-warning", "": "text-bg-light"}


def page_of(request: HttpRequest, queryset, *, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def requests_for(request: HttpRequest):
    return ServiceRequest.objects.for_user(request.user).select_related(
        "device__product_model", "hospital", "department", "policy__calendar", "recorded_by"
    )


def request_or_404(request: HttpRequest, pk: int) -> ServiceRequest:
    return get_object_or_404(requests_for(request), pk=pk)


def iso(moment: datetime | None) -> str:
    """An instant for ``data-`` attributes: ISO 8601 in UTC to the second."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def countdown_text(seconds: float) -> str:
    """ "3 h 59 min left" / "132 h 4 min overdue" in the viewer's language: what
    static/js/service.js writes every minute after the first paint (issue 12 §3)."""
    return countdown_words(seconds)


@dataclass(frozen=True)
class Countdown:
    """The nearest running promise of a request, as a live countdown."""

    name: str
    due_at: datetime
    warn_at: datetime | None
    seconds_left: float
    level: str  # "", "at_risk" or "breached"

    @property
    def text(self) -> str:
        return countdown_text(self.seconds_left)

    @property
    def overdue(self) -> bool:
        return self.seconds_left < 0

    @property
    def due_iso(self) -> str:
        return iso(self.due_at)

    @property
    def warn_iso(self) -> str:
        return iso(self.warn_at)

    @property
    def badge_class(self) -> str:
        return BADGE_CLASSES[self.level]


@dataclass(frozen=True)
class LiveState:
    """The promises of a request as of now, from its stored milestone rows (as of its
    last event): a pending promise whose deadline has passed since is breached now."""

    milestones: list[dict]
    level: str  # "", "at_risk" or "breached": the worst of them
    countdown: Countdown | None

    @property
    def row_class(self) -> str:
        return ROW_CLASSES[self.level]

    @property
    def card_class(self) -> str:
        return CARD_CLASSES[self.level]

    @property
    def badge_class(self) -> str:
        return BADGE_CLASSES[self.level]


def live_state(milestones: list[Milestone], *, now: datetime) -> LiveState:
    rows = []
    for m in milestones:
        state, at_risk = milestone_live_state(m, now=now)
        rows.append(
            {
                "key": m.key,
                "name": m.name,
                "state": state,
                "state_label": MILESTONE_STATE_LABELS.get(state, state),
                "at_risk": at_risk,
            }
        )
    level = ""
    if any(r["state"] == "breached" for r in rows):
        level = "breached"
    elif any(r["at_risk"] for r in rows):
        level = "at_risk"
    running_rows = [m for m in milestones if milestone_running(m)]
    countdown = None
    if running_rows:
        # milestone_running() rules out a row without a deadline.
        nearest = min(running_rows, key=lambda m: cast(datetime, m.due_at))
        due_at = cast(datetime, nearest.due_at)
        left = (due_at - now).total_seconds()
        warned = nearest.warn_at is not None and nearest.warn_at <= now
        countdown = Countdown(
            name=nearest.name,
            due_at=due_at,
            warn_at=nearest.warn_at,
            seconds_left=left,
            level="breached" if left < 0 else ("at_risk" if warned else ""),
        )
    return LiveState(milestones=rows, level=level, countdown=countdown)


def with_live_state(requests, *, now: datetime) -> list[ServiceRequest]:
    """Attach ``.live`` and ``.status_label`` to each request (milestones prefetched)."""
    items = list(requests)
    for item in items:
        item.live = live_state(list(item.milestones.all()), now=now)
        item.status_label = STATUS_LABELS.get(item.status, item.status)
    return items
