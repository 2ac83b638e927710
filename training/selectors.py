"""Reads of customer training: what a user may see, sessions in a date range, the words a
page or a PDF shows for a session (its topics, its local time, its duration)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Attendance, SessionState, TrainingPlan, TrainingSession, TrainingTopic

TIME_FORMAT = "%Y-%m-%d %H:%M"


def plans_for(user) -> QuerySet[TrainingPlan]:
    """The plans ``user`` sees, with their number of sessions and next planned start."""
    now = timezone.now()
    return (
        TrainingPlan.objects.for_user(user)
        .select_related("contract", "hospital")
        .annotate(
            session_count=Count("sessions", distinct=True),
            next_starts_at=Min(
                "sessions__starts_at",
                filter=Q(sessions__state=SessionState.PLANNED, sessions__starts_at__gte=now),
            ),
        )
        .order_by("hospital__name", "contract__number", "pk")
    )


def sessions_for(user) -> QuerySet[TrainingSession]:
    """The sessions ``user`` sees, ready for a list (topics prefetched in their order)."""
    return (
        TrainingSession.objects.for_user(user)
        .select_related("plan__contract", "hospital", "lecturer")
        .prefetch_related(
            Prefetch("topics", queryset=TrainingTopic.objects.order_by("sort_order", "pk"))
        )
        .annotate(attendee_count=Count("attendances", distinct=True))
        .order_by("starts_at", "pk")
    )


def day_bounds(zone: ZoneInfo, start: date | None, end: date | None):
    """[start 00:00, the day after ``end`` 00:00) in ``zone``, as aware datetimes."""
    lower = datetime.combine(start, time.min, tzinfo=zone) if start else None
    upper = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) if end else None
    return lower, upper


def sessions_between(
    sessions: QuerySet[TrainingSession], *, zone: ZoneInfo, start: date | None, end: date | None
) -> QuerySet[TrainingSession]:
    """Sessions that start on the local days ``start``..``end`` (both included) of ``zone``."""
    lower, upper = day_bounds(zone, start, end)
    if lower is not None:
        sessions = sessions.filter(starts_at__gte=lower)
    if upper is not None:
        sessions = sessions.filter(starts_at__lt=upper)
    return sessions


def user_zone(user) -> ZoneInfo:
    return ZoneInfo(user.display_time_zone())


def session_zone(session: TrainingSession) -> ZoneInfo:
    return ZoneInfo(session.hospital.time_zone)


def local_text(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    return timezone.localtime(value, zone).strftime(TIME_FORMAT)


def duration_text(duration: timedelta) -> str:
    """``2 hours 30 minutes``, in the active language."""
    minutes = int(duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes or not hours:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def topics_text(session: TrainingSession, separator: str = "; ") -> str:
    return separator.join(session.topic_names())


def session_title(session: TrainingSession) -> str:
    """A short title: the first topic, and how many more."""
    names = session.topic_names()
    first = names[0] if names else session.number
    if len(names) > 1:
        first = _("%(topic)s (+%(more)d)") % {"topic": first, "more": len(names) - 1}
    return first


def attendances_of(session: TrainingSession) -> QuerySet[Attendance]:
    return session.attendances.select_related("department", "recorded_by").order_by(
        "signed_at", "pk"
    )
