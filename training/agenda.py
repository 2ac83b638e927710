"""Training sessions as calendar entries (issue 4 §5; the shape is ``core.agenda``).

A session is a timed entry from ``starts_at`` to ``starts_at + duration``, at its place,
for its lecturer. It touches a local day when any part of it falls on that day in the
hospital's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils.translation import gettext as _

from core.agenda import CalendarEntry

from .models import TrainingSession
from .selectors import session_title, topics_text
from .services import MAX_DURATION

KIND = "training"


def entries(
    *,
    start: date,
    end: date,
    visible_to,
    engineer_id: int | None = None,
    hospital_id: int | None = None,
) -> list[CalendarEntry]:
    """The sessions ``visible_to`` sees that touch the local days ``start``..``end``
    (both included), of one lecturer (``engineer_id``) or one hospital if given."""
    # A local day spans UTC-12..UTC+14: widen the UTC window by a day on each side (and by
    # the longest session before it), then test each session in its hospital's zone.
    lower = datetime.combine(start - timedelta(days=1), time.min, tzinfo=UTC) - MAX_DURATION
    upper = datetime.combine(end + timedelta(days=2), time.min, tzinfo=UTC)
    sessions = (
        TrainingSession.objects.for_user(visible_to)
        .filter(starts_at__gte=lower, starts_at__lt=upper)
        .select_related("hospital", "plan", "lecturer")
        .prefetch_related("topics")
        .order_by("starts_at", "pk")
    )
    if engineer_id is not None:
        sessions = sessions.filter(lecturer_id=engineer_id)
    if hospital_id is not None:
        sessions = sessions.filter(hospital_id=hospital_id)
    found = []
    for session in sessions:
        zone = ZoneInfo(session.hospital.time_zone)
        first = session.starts_at.astimezone(zone).date()
        last = (session.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
        if last < start or first > end:
            continue
        found.append(entry(session))
    return found


def entry(session: TrainingSession) -> CalendarEntry:
    lecturer = session.lecturer.get_full_name() or session.lecturer.get_username()
    lines = [
        session.plan.title,
        _("Topics: %(topics)s") % {"topics": topics_text(session)},
        _("Lecturer: %(name)s") % {"name": lecturer},
    ]
    if session.content:
        lines.append(session.content)
    return CalendarEntry(
        uid=f"training-{session.pk}@medservice",
        kind=KIND,
        title=_("Training: %(topic)s") % {"topic": session_title(session)},
        starts=session.starts_at,
        ends=session.ends_at,
        url=reverse("training:session_detail", args=[session.pk]),
        state=session.state,
        hospital_id=session.hospital_id,
        hospital_name=session.hospital.name,
        location=session.place,
        description="\n".join(lines),
        engineer_ids=(session.lecturer_id,),
    )
