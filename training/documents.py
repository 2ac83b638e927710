"""The printed documents of a training session: a certificate of attendance per attendee
and the attendance list with the signatures (Chinese, under the vendor's header, R-1.1).

Rendered on request, not stored: both follow from the rows, which signed attendance
freezes. The documents speak the site's language and the hospital's zone, whoever asks.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from core.signing.pages import image_data_uri
from customers.services import service_organisation_get

from .models import Attendance, TrainingSession
from .selectors import attendances_of, duration_text, local_text, session_zone

DASH = "\u2013"  # an en dash between the times, as printed forms write it


def _session_context(session: TrainingSession) -> dict[str, Any]:
    zone = session_zone(session)
    start = timezone.localtime(session.starts_at, zone)
    end = timezone.localtime(session.ends_at, zone)
    lecturer = session.lecturer
    return {
        "organisation": service_organisation_get(),
        "session": session,
        "plan": session.plan,
        "hospital": session.hospital,
        "topics": session.topic_names(),
        "day": start.strftime("%Y-%m-%d"),
        "time_range": f"{start:%H:%M}{DASH}{end:%H:%M}"
        if start.date() == end.date()
        else f"{start:%Y-%m-%d %H:%M} {DASH} {end:%Y-%m-%d %H:%M}",
        "duration": duration_text(session.duration),
        "lecturer_name": lecturer.get_full_name() or lecturer.get_username(),
        "lecturer_role": lecturer.get_vendor_role_display(),
        "audience": ", ".join(d.name for d in session.audience_departments.all()),
        "zone_name": session.hospital.time_zone,
        "generated_at": local_text(timezone.now(), zone),
    }


def _render(template: str, context: dict[str, Any], session: TrainingSession) -> bytes:
    from core.pdf import render_pdf  # loads WeasyPrint: only when a PDF is made

    with translation.override(settings.LANGUAGE_CODE), timezone.override(session_zone(session)):
        # Words computed in Python (duration, topic names) follow the document's language.
        context.update(_session_context(session))
        return render_pdf(template, context)


def certificate_pdf_bytes(attendance: Attendance) -> bytes:
    """培训证明: one attendee's certificate of attendance, with the score when there is one."""
    session = attendance.session
    context = {
        "attendance": attendance,
        "signed_at": local_text(attendance.signed_at, session_zone(session)),
    }
    return _render("training/certificate_pdf.html", context, session)


def attendance_pdf_bytes(session: TrainingSession) -> bytes:
    """培训签到表: every attendee of the session with their signature (or "paper sheet")."""
    zone = session_zone(session)
    rows = [
        {
            "attendance": attendance,
            "signed_at": local_text(attendance.signed_at, zone),
            "image": image_data_uri(attendance.signature_image),
        }
        for attendance in attendances_of(session)
    ]
    context = {"rows": rows}
    return _render("training/attendance_pdf.html", context, session)
