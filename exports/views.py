"""Pages of exports (issue 14 §3): the download of a list (``?list=…&format=…`` and the
list's own filters), written at once up to ``EXPORT_INLINE_MAX_ROWS`` rows, else handed to
the worker; the job's page with its progress bar (htmx polling) and its file; my exports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exports import FORMATS

from . import services
from .selectors import jobs_of
from .sources import list_named

CONTROL_KEYS = ("list", "format", "page")  # the download's own keys, not filters


@login_required
@require_GET
def download(request: HttpRequest) -> HttpResponseBase:
    spec = list_named(request.GET.get("list", ""))
    fmt = request.GET.get("format", "")
    if spec is None or fmt not in FORMATS:
        raise Http404
    query = request.GET.copy()
    for key in CONTROL_KEYS:
        query.pop(key, None)
    rows = spec.filtered(request, query)  # refuses whom the list's page refuses
    total = rows.count()
    if total <= services.inline_limit():
        return spec.response(rows, fmt=fmt)
    job = services.export_job_create(
        owner=request.user,  # type: ignore[arg-type]
        list_name=spec.name,
        query=query.urlencode(),
        fmt=fmt,
        language=translation.get_language() or "zh-hans",
        time_zone=timezone.get_current_timezone_name(),
        total=total,
    )
    messages.info(
        request, _("%(rows)s rows: the export is written in the background.") % {"rows": total}
    )
    return redirect("exports:job_detail", pk=job.pk)


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = jobs_of(request.user)[:50]
    return render(request, "exports/job_list.html", {"jobs": jobs})


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(jobs_of(request.user), pk=pk)
    context = {
        "job": job,
        "running": job.state in {"queued", "running"} and not services.is_stale(job),
        "may_retry": services.may_retry(job),
        "download_name": services.download_name(job),
        "has_file": services.job_file_path(job) is not None,
    }
    if request.headers.get("HX-Request"):
        return render(request, "exports/_job_status.html", context)
    return render(request, "exports/job_detail.html", context)


@login_required
@require_GET
def job_file(request: HttpRequest, pk: int) -> FileResponse:
    job = get_object_or_404(jobs_of(request.user), pk=pk)
    path = services.job_file_path(job)
    if path is None:
        raise Http404
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=services.download_name(job),
        content_type=services.content_type(job),
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(jobs_of(request.user), pk=pk)
    try:
        services.export_job_retry(job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("exports:job_detail", pk=job.pk)
