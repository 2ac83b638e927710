"""Each role starts where its work is (issue 13 §4): which panels a user's home shows.

A panel is a count, the first few rows and the address of the list they come from. The
count and the rows are read through the list's own FilterSet (``core.filtering``) bound
to the same parameters as the link, on the list's own scoped queryset, so the number on
the home is the number of rows the list shows. Each app owns its list's filters and
selectors; this module (the top layer) only puts them together per role.

The engineer's next shift and the manager's roster gaps are not panels: the home shows
them from the duty app (a selector, a fragment loaded by URL name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.http import AuthenticatedHttpRequest
from accounts.models import VendorRole
from charges.filters import StatementFilterSet
from charges.models import StatementState
from charges.selectors import statements_for
from core.filtering import ListFilterSet
from core.timeutil import local_today
from maintenance import selectors as visit_selectors
from maintenance.filters import VisitFilterSet
from return_visits.filters import ReturnVisitFilterSet
from return_visits.selectors import return_visits_for
from service.filters import CallFilterSet, RequestFilterSet
from service.hotline.selectors import calls_for, calls_today_params
from service.views._common import requests_for, with_live_state
from service.views.jobs import jobs_of

# How many rows a panel shows before "all N".
TOP_ROWS = 5
# The engineer's home shows the visits due within this many days (and the overdue ones).
UPCOMING_VISIT_DAYS = 7

ENGINEER, HOTLINE, MANAGER, HOSPITAL = "engineer", "hotline", "manager", "hospital"


@dataclass
class Panel:
    """One box of a home: ``kind`` names the row template (``home/_<kind>_rows.html``)."""

    key: str
    title: str | Promise
    kind: str
    count: int
    url: str
    rows: list[Any] = field(default_factory=list)
    tone: str = "primary"  # the Bootstrap colour of its count

    @property
    def template(self) -> str:
        return f"home/_{self.kind}_rows.html"


def home_kind(user: Any) -> str:
    """Which home a user starts on: a superuser and the vendor's administrator see the
    manager's."""
    role = user.effective_vendor_role
    if role == VendorRole.ENGINEER:
        return ENGINEER
    if role == VendorRole.DISPATCHER:
        return HOTLINE
    if role in (VendorRole.MANAGER, VendorRole.ADMIN):
        return MANAGER
    return HOSPITAL


def _listed(
    filterset: type[ListFilterSet],
    queryset: QuerySet,
    params: dict[str, Any],
    *,
    request: AuthenticatedHttpRequest,
    url_name: str,
    **kwargs: Any,
) -> tuple[int, list[Any], str]:
    """(count, first rows, address) of a list filtered by ``params``, read as the list
    page reads it."""
    filters = filterset(params, queryset, request=request, **kwargs)
    rows = filters.qs
    url = f"{reverse(url_name)}?{urlencode(params)}"
    return rows.count(), list(rows[:TOP_ROWS]), url


def _requests(
    request: AuthenticatedHttpRequest,
    key: str,
    title: Any,
    params: dict[str, Any],
    *,
    now: datetime,
    **extra,
) -> Panel:
    queryset = requests_for(request).prefetch_related("milestones")
    count, rows, url = _listed(
        RequestFilterSet,
        queryset,
        params,
        request=request,
        url_name="service:request_list",
        now=now,
    )
    return Panel(
        key=key,
        title=title,
        kind="requests",
        count=count,
        url=url,
        rows=with_live_state(rows, now=now),
        **extra,
    )


def _visits(
    request: AuthenticatedHttpRequest, key: str, title: Any, params: dict[str, Any], **extra
) -> Panel:
    count, rows, url = _listed(
        VisitFilterSet,
        visit_selectors.visits_for(request.user),
        params,
        request=request,
        url_name="maintenance:visit_list",
    )
    return Panel(key=key, title=title, kind="visits", count=count, url=url, rows=rows, **extra)


def _return_visits(
    request: AuthenticatedHttpRequest, key: str, title: Any, params: dict[str, Any], **extra
) -> Panel:
    count, rows, url = _listed(
        ReturnVisitFilterSet,
        return_visits_for(request.user),
        params,
        request=request,
        url_name="return_visits:return_visit_list",
    )
    return Panel(
        key=key, title=title, kind="return_visits", count=count, url=url, rows=rows, **extra
    )


def _statements(
    request: AuthenticatedHttpRequest, key: str, title: Any, state: str, **extra
) -> Panel:
    count, rows, url = _listed(
        StatementFilterSet,
        statements_for(request.user),
        {"state": state},
        request=request,
        url_name="charges:statement_list",
    )
    return Panel(key=key, title=title, kind="statements", count=count, url=url, rows=rows, **extra)


def _calls(
    request: AuthenticatedHttpRequest, key: str, title: Any, params: dict[str, Any], **extra
) -> Panel:
    count, rows, url = _listed(
        CallFilterSet,
        calls_for(request.user),
        params,
        request=request,
        url_name="service:hotline_calls",
    )
    return Panel(key=key, title=title, kind="calls", count=count, url=url, rows=rows, **extra)


def engineer_panels(request: AuthenticatedHttpRequest, *, now: datetime) -> list[Panel]:
    """My open jobs (the my-jobs cards, nearest promise first, with their step buttons) and
    my visits due this week or overdue."""
    user = request.user
    jobs = jobs_of(user, now=now)
    today = local_today(user.display_time_zone())
    return [
        Panel(
            key="my_jobs",
            title=_("My jobs"),
            kind="jobs",
            count=len(jobs),
            url=reverse("service:my_jobs"),
            rows=jobs[:TOP_ROWS],
        ),
        _visits(
            request,
            "my_visits",
            _("My visits this week"),
            {
                "engineer": user.pk,
                "state": "planned",
                "due_to": (today + timedelta(days=UPCOMING_VISIT_DAYS)).isoformat(),
            },
        ),
    ]


def hotline_panels(request: AuthenticatedHttpRequest, *, now: datetime) -> list[Panel]:
    """Open requests nobody has been sent to (nearest promise first), today's calls (the
    vendor's day, as the calls page has it), requests reported today (the viewer's today)."""
    today = local_today(request.user.display_time_zone())
    return [
        _requests(
            request,
            "unassigned",
            _("Without an engineer"),
            {"state": "open", "waiting": "engineer"},
            now=now,
            tone="danger",
        ),
        _calls(request, "calls_today", _("Today's calls"), calls_today_params()),
        _requests(
            request,
            "reported_today",
            _("Reported today"),
            {"reported_on": today.isoformat()},
            now=now,
        ),
    ]


def manager_panels(request: AuthenticatedHttpRequest, *, now: datetime) -> list[Panel]:
    """Promises breached and at risk, requests without an engineer, disputes, statements
    to review and to send, overdue visits and return visits."""
    return [
        _requests(
            request, "breached", _("Breached"), {"state": "breached"}, now=now, tone="danger"
        ),
        _requests(request, "at_risk", _("At risk"), {"state": "at_risk"}, now=now, tone="warning"),
        _requests(
            request,
            "unassigned",
            _("Without an engineer"),
            {"state": "open", "waiting": "engineer"},
            now=now,
            tone="danger",
        ),
        _statements(
            request, "disputed", _("Disputed statements"), StatementState.DISPUTED, tone="danger"
        ),
        _statements(request, "to_review", _("Statements to review"), StatementState.DRAFT),
        _statements(request, "to_send", _("Statements to send"), StatementState.REVIEWED),
        _visits(
            request, "overdue_visits", _("Overdue visits"), {"state": "overdue"}, tone="danger"
        ),
        _return_visits(
            request,
            "overdue_return_visits",
            _("Overdue return visits"),
            {"state": "overdue"},
            tone="danger",
        ),
    ]


def hospital_panels(request: AuthenticatedHttpRequest, *, now: datetime) -> list[Panel]:
    """My hospital's (or departments') open requests with their live promises, what waits
    for our signature, statements to accept."""
    return [
        _requests(request, "open_requests", _("Our open requests"), {"state": "open"}, now=now),
        _requests(
            request,
            "records_to_sign",
            _("Repair records to sign"),
            {"waiting": "hospital_signature"},
            now=now,
            tone="warning",
        ),
        _visits(
            request,
            "visits_to_sign",
            _("Visits to sign"),
            {"state": "awaiting_signature"},
            tone="warning",
        ),
        _return_visits(
            request,
            "return_visits_to_sign",
            _("Return-visit sheets to sign"),
            {"state": "awaiting_signature"},
            tone="warning",
        ),
        _statements(request, "to_accept", _("Statements to accept"), StatementState.SENT),
    ]


PANELS = {
    ENGINEER: engineer_panels,
    HOTLINE: hotline_panels,
    MANAGER: manager_panels,
    HOSPITAL: hospital_panels,
}


def panels_for(request: AuthenticatedHttpRequest, *, kind: str, now: datetime) -> list[Panel]:
    return PANELS[kind](request, now=now)
