"""Training of the device's department in its archive (the ``core.archive`` protocol,
listed in ``archive/sources.py``): each session held for the department (or for the whole
hospital), with its topics and how many signed in (R-2.1, R-2.2)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from assets.models import Device
from core.archive import ArchiveEntry, ArchiveQuery, SourcePage, in_window, keys_of

from .models import Attendance, SessionState, TrainingSession

TRAINING = "training"
KINDS = {TRAINING: gettext_lazy("Training of the department")}


def entries(query: ArchiveQuery) -> SourcePage:
    if not query.wants(TRAINING):
        return SourcePage(0, [])
    places = list(
        query.on_devices(Device.objects.all(), "pk").values_list("hospital_id", "department_id")
    )
    if not places:
        return SourcePage(0, [])
    sessions = in_window(
        TrainingSession.objects.for_user(query.visible_to).filter(
            Q(audience_departments__in={department for _h, department in places})
            | Q(audience_departments=None),
            hospital_id__in={hospital for hospital, _d in places},
            state=SessionState.HELD,
        ),
        "starts_at",
        query,
    ).distinct()
    if query.keys_only:
        return SourcePage(
            query.count(sessions), keys_of(sessions, "starts_at", TRAINING, query.limit)
        )
    rows = (
        sessions.annotate(attendees=Count("attendances", distinct=True))
        .prefetch_related("topics")
        .order_by("-starts_at", "-pk")[: query.limit]
    )
    found = []
    for session in rows:
        topics = "、".join(str(topic) for topic in session.topics.all()) or session.topic_text
        signed_in = ngettext("%(count)d attendee", "%(count)d attendees", session.attendees) % {
            "count": session.attendees
        }
        found.append(
            ArchiveEntry(
                at=session.starts_at, kind=TRAINING,
                title=_("Training held: %(topics)s") % {"topics": topics},
                object_id=session.pk,
                url=reverse("training:session_detail", args=[session.pk]),
                detail=f"{session.number} · {session.place} · {signed_in}",
                device_id=query.device_id,
            )
        )  # fmt: skip
    return SourcePage(query.count(sessions), found)


# Kept records (``core.retention``): never deleted, by any path; a predicate keeps a row only
# in that state.
RETAINED = {TrainingSession: None, Attendance: None}
