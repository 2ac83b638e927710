"""The training session list as a file (issue 14 §3): ``TrainingSessionFilterSet``'s rows for
the page's download, ``GET /training-sessions?format=`` and the export worker; the training
plans for ``GET /training-plans?format=`` (§5)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, joined_text, label_of, text_of

from . import selectors
from .filters import TrainingPlanFilterSet, TrainingSessionFilterSet
from .models import TrainingSession


def _sessions(request: HttpRequest):
    return TrainingSession.objects.for_user(request.user).order_by("-starts_at", "-pk")


SESSIONS = ListExport(
    name="training-sessions",
    title=_("Training sessions"),
    filterset=TrainingSessionFilterSet,
    rows=_sessions,
    select_related=("plan__contract", "hospital", "lecturer"),
    joined=("topics", "audience_departments"),
    columns=(
        Column(_("Number"), lambda s: s.number, 18),
        Column(_("Starts at"), lambda s: s.starts_at, 18),
        Column(_("Duration (minutes)"), lambda s: s.duration, 10),
        Column(_("Hospital"), lambda s: s.hospital.name, 24),
        Column(_("Topics"), lambda s: joined_text(s, "topics") or s.topic_text, 30),
        Column(_("Lecturer"), lambda s: text_of(s.lecturer), 14),
        Column(_("Place"), lambda s: s.place, 16),
        Column(_("Audience"), lambda s: joined_text(s, "audience_departments"), 20),
        Column(_("State"), label_of("state"), 12),
        Column(_("Contract"), lambda s: s.plan.contract.number, 14),
    ),
)


def _plans(request: HttpRequest):
    return selectors.plans_for(request.user).order_by("pk")


# ``selectors.plans_for`` counts the sessions and finds the next one: the API's rows have both.
PLANS = ListExport(
    name="training-plans",
    title=_("Training plans"),
    filterset=TrainingPlanFilterSet,
    rows=_plans,
    select_related=("contract", "hospital"),
    columns=(
        Column(_("Title"), lambda p: p.title, 28),
        Column(_("Contract"), lambda p: p.contract.number, 16),
        Column(_("Hospital"), lambda p: p.hospital.name, 24),
        Column(_("Sessions"), lambda p: p.session_count, 8),
        Column(_("Next session"), lambda p: p.next_starts_at, 18),
        Column(_("Notes"), lambda p: p.notes, 30),
    ),
)
