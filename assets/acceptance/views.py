"""The acceptance certificate's pages: the upload form (the vendor's office and engineers)
and the scoped download (whoever sees the device: another hospital's certificate is a 404;
MEDIA is never served directly)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from core.forms import add_service_errors
from core.permissions import require_perm
from core.uploads import INLINE_TYPES, extension

from ..models import AcceptanceCertificate
from ..views._common import GET_POST, _device_or_404
from . import services
from .forms import AcceptanceCertificateForm


@login_required
@GET_POST
def acceptance_certificate_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = _device_or_404(request, pk)
    require_perm(request, "assets.add_acceptancecertificate", device)
    form = AcceptanceCertificateForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                services.acceptance_certificate_upload(
                    device=device, document=form.cleaned_data["document"], uploaded_by=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Acceptance certificate uploaded."))
                return redirect("assets:device_detail", pk=device.pk)
        status = 422
    return render(
        request,
        "assets/acceptance_certificate_form.html",
        {
            "device": device,
            "form": form,
            "certificates": device.acceptance_certificates.select_related("uploaded_by"),
        },
        status=status,
    )


@login_required
@require_GET
def acceptance_certificate_file(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    certificate = get_object_or_404(AcceptanceCertificate.objects.for_user(request.user), pk=pk)
    try:
        handle = certificate.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    filename = certificate.file_name
    response = FileResponse(
        handle, as_attachment=extension(filename) not in INLINE_TYPES, filename=filename
    )
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
