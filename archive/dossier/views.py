"""The dossier's pages: the form (a range, PDF or zip) and the file, made in the request
for whoever sees the device or the hospital (scoped like the archive: another hospital's
is a 404). A range the caps refuse is the form's error (422), never a 500."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from assets.models import Device
from core.bounds import day_error
from customers.models import Hospital

from ..filters import hospital_subject
from .collect import MAX_DAYS, Dossier, collect_dossier, safe_name
from .forms import ZIP, DossierForm
from .package import dossier_zip
from .pdf import dossier_pdf

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
    return _dossier(
        request, context, device=device, name=f"dossier_{safe_name(device.serial_number)}"
    )


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
    return _dossier(request, context, subject=subject, name=f"dossier_hospital-{hospital.pk}")


def _dossier(request: AuthenticatedHttpRequest, context: dict, *, name: str, **whose):
    form = DossierForm(request.GET or None)
    if form.is_bound and form.is_valid():
        first, last = form.cleaned_data["from"], form.cleaned_data["to"]
        for field, day in (("from", first), ("to", last)):
            if day is not None and (problem := day_error(day)):
                form.add_error(field, problem)
        if form.is_valid():
            try:
                dossier = collect_dossier(
                    visible_to=request.user, first_day=first, last_day=last, **whose
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                return _file(
                    dossier, form.cleaned_data["format"], name=_file_name(name, first, last)
                )
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


def _file(dossier: Dossier, shape: str, *, name: str) -> FileResponse:
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the response closes it)
    if shape == ZIP:
        dossier_zip(dossier, out)
        content_type, name = "application/zip", f"{name}.zip"
    else:
        dossier_pdf(dossier, out)
        content_type, name = "application/pdf", f"{name}.pdf"
    out.seek(0)
    response = FileResponse(out, as_attachment=True, filename=name, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
