"""My jobs: an engineer's open requests on a phone, nearest deadline first, with a large
button for each next step that makes sense. Each button is its own form with a fresh
idempotency key, so a double tap or a resent form records the step once."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from assets.models import Device

from .. import selectors
from ..forms import PAUSE_REASON_LABELS, new_idempotency_key
from ..models import ServiceRequest
from ..timeline import EventType, next_steps
from ._common import iso, with_live_state

# (event, button text, icon, Bootstrap style), in the order an engineer meets them.
ACTIONS = [
    (EventType.ARRIVED, _("Arrived on site"), "bi-geo-alt-fill", "btn-primary"),
    (EventType.SOLUTION_PROPOSED, _("Solution proposed"), "bi-lightbulb", "btn-primary"),
    (EventType.PAUSED, _("Pause the clock"), "bi-pause-circle", "btn-outline-warning"),
    (EventType.RESUMED, _("Resume"), "bi-play-circle", "btn-primary"),
    (EventType.RESOLVED, _("Repair done"), "bi-check-circle", "btn-success"),
    (EventType.DEPARTED, _("Left, coming back"), "bi-box-arrow-left", "btn-outline-secondary"),
    (
        EventType.LOANER_INSTALLED,
        _("Loaner installed"),
        "bi-arrow-left-right",
        "btn-outline-primary",
    ),
    (EventType.REMOTE_RESOLVED, _("Fixed by phone"), "bi-telephone", "btn-outline-success"),
]


def jobs_of(user, *, now) -> list[ServiceRequest]:
    """The engineer's open requests, nearest deadline first, each with its live promise and
    the step buttons that make sense now (``.actions``): my-jobs and the engineer's home."""
    mine = ServiceRequest.objects.for_user(user).filter(engineers=user)
    board = selectors.dispatch_board(requests=mine).prefetch_related("events__confirmation")
    jobs = with_live_state(board, now=now)
    for job in jobs:
        steps = next_steps(selectors.as_timeline(job.events.all()))
        job.actions = [  # type: ignore[attr-defined]  # read by the template
            {
                "type": kind.value,
                "label": label,
                "icon": icon,
                "style": style,
                "key": new_idempotency_key(),
            }
            for kind, label, icon, style in ACTIONS
            if kind in steps
        ]
    return jobs


@login_required
@require_GET
def my_jobs(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "service/my_jobs.html",
        {
            "jobs": jobs_of(request.user, now=now),
            "pause_reasons": list(PAUSE_REASON_LABELS.items()),
            "server_now": iso(now),
        },
    )


@login_required
@require_GET
def device_my_job(request: HttpRequest, device_pk: int) -> HttpResponse:
    """htmx, on the device page (where a scanned label lands): the viewer's newest open
    request on the device that is assigned to them, as a large button; nothing otherwise."""
    device = get_object_or_404(Device.objects.for_user(request.user), pk=device_pk)
    job = (
        ServiceRequest.objects.for_user(request.user)
        .open()
        .filter(device=device, engineers=request.user)
        .order_by("-reported_at", "-pk")
        .first()
    )
    return render(request, "service/_device_my_job.html", {"job": job})
