"""The dossier's pages: the form (a range, PDF or zip), the file, and the job page of a big
one. Scoped like the archive: another hospital's device or hospital is a 404, and a job is
its requester's only. A small dossier (at most ``SYNC_MAX_ENTRIES`` entries) is made in
the request; a bigger one by the worker, the page polling until it is ready. A range the
caps refuse is the form's error (422), never a 500."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from assets.models import Device
from core.bounds import day_error
from customers.models import Hospital

from ..filters import hospital_subject
from . import jobs
from .collect import MAX_DAYS, collect_dossier, dossier_size, safe_name
from .forms import ZIP, DossierForm
from .package import dossier_zip
from .pdf import dossier_pdf

# About four seconds of WeasyPrint on the two-core machine; more goes to the worker.
SYNC_MAX_ENTRIES = 100
# Held in memory up to this size, then in a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


@login_required
@require_GET
def device_dossier(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(
        Device.objects.for_user(request.user).select_related(
            "hospital", "product_model", "department"
        ),
        pk=pk,
    )
    context = {
        "device": device,
        "hospital": device.hospital,
        "archive_url": reverse("archive:device_archive", args=[device.pk]),
    }
    name = f"dossier_{safe_name(device.serial_number)}"
    return _dossier(request, context, ("device", device.pk), name, device=device)


@login_required
@require_GET
def hospital_dossier(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    hospital = get_object_or_404(Hospital.objects.for_user(request.user), pk=pk)
    context = {
        "hospital": hospital,
        "archive_url": reverse("archive:hospital_archive", args=[hospital.pk]),
        "max_days": MAX_DAYS,
    }
    subject = hospital_subject(hospital, visible_to=request.user)
    name = f"dossier_hospital-{hospital.pk}"
    return _dossier(request, context, ("hospital", hospital.pk), name, subject=subject)


def _dossier(request: AuthenticatedHttpRequest, context: dict, job_key, name: str, **whose):
    form = DossierForm(request.GET or None)
    if form.is_bound and form.is_valid():
        first, last = form.cleaned_data["from"], form.cleaned_data["to"]
        for field, day in (("from", first), ("to", last)):
            if day is not None and (problem := day_error(day)):
                form.add_error(field, problem)
        if form.is_valid():
            shape, file_name = form.cleaned_data["format"], _file_name(name, first, last)
            days = {"first_day": first, "last_day": last}
            try:
                size = dossier_size(visible_to=request.user, **whose, **days)
                if size > SYNC_MAX_ENTRIES:
                    token = jobs.job_start(
                        user=request.user, whose=job_key[0], pk=job_key[1], shape=shape,
                        file_name=file_name, language=translation.get_language(), **days,
                    )  # fmt: skip
                    return redirect("archive:dossier_job", token=token)
                dossier = collect_dossier(visible_to=request.user, **whose, **days)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                return _file(dossier, shape, name=file_name)
    return render(
        request,
        "archive/dossier/dossier.html",
        {**context, "form": form if form.is_bound else DossierForm()},
        status=422 if form.is_bound else 200,
    )


def _file_name(name: str, first, last) -> str:
    if first or last:
        name += f"_{first or ''}_{last or ''}".replace("-", "")
    return name


def _file(dossier, shape: str, *, name: str) -> FileResponse:
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the response closes it)
    if shape == ZIP:
        dossier_zip(dossier, out)
    else:
        dossier_pdf(dossier, out)
    out.seek(0)
    return _attachment(out, shape, name)


def _attachment(handle, shape: str, name: str) -> FileResponse:
    if shape == ZIP:
        content_type, name = "application/zip", f"{name}.zip"
    else:
        content_type, name = "application/pdf", f"{name}.pdf"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def dossier_job(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """A big dossier being made: "preparing…" (the fragment polls itself), then the link."""
    state = jobs.job_for(token, request.user)
    if state is None:
        raise Http404
    template = "archive/dossier/_job.html" if request.htmx else "archive/dossier/job.html"
    return render(
        request,
        template,
        {"job": state, "token": token, "running": state["state"] in {jobs.QUEUED, jobs.RUNNING}},
    )


@login_required
@require_GET
def dossier_job_file(request: AuthenticatedHttpRequest, token: str) -> FileResponse:
    state = jobs.job_for(token, request.user)
    if state is None or state["state"] != jobs.DONE:
        raise Http404
    try:
        handle = jobs.file_path(token, state).open("rb")
    except FileNotFoundError as exc:  # swept after an hour
        raise Http404 from exc
    return _attachment(handle, state["shape"], state["file_name"])
