"""The operation log's pages: the device's entries (newest first) and the phone form
(pick the kind with one tap, then its few fields). After an abnormal start-up check the
list offers the fault report, pre-filled from the entry (the service app's report form, by
URL name: assets does not import service)."""

from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedHttpRequest
from core.forms import add_service_errors, id_from
from core.permissions import require_perm
from core.uploads import INLINE_TYPES, extension

from ..models import OperationLogEntry, OperationLogKind
from ..views._common import GET_POST, _device_or_404, _page
from . import services
from .forms import OperationLogForm

# The kinds offered on the first screen: (kind, icon, Bootstrap style).
KIND_BUTTONS = [
    (OperationLogKind.STARTUP_CHECK, "bi-power", "btn-primary"),
    (OperationLogKind.USAGE, "bi-speedometer2", "btn-outline-primary"),
    (OperationLogKind.EVENT, "bi-exclamation-diamond", "btn-outline-primary"),
]


def _entries(request: HttpRequest):
    return OperationLogEntry.objects.for_user(request.user).select_related("recorded_by")


def fault_report_text(entry: OperationLogEntry) -> str:
    """The symptom a fault report starts from after an abnormal start-up check."""
    at = formats.date_format(timezone.localtime(entry.recorded_at), "Y-m-d H:i")
    return _("Start-up check abnormal (%(at)s): %(note)s") % {"at": at, "note": entry.note}


@login_required
def operation_log_list(request: HttpRequest, pk: int) -> HttpResponse:
    device = _device_or_404(request, pk)
    entries = _entries(request).filter(device=device)
    offer = None
    if (recorded := id_from(request.GET.get("recorded"))) is not None:
        offer = entries.filter(pk=recorded).first()
    with timezone.override(device.hospital.time_zone):
        fault_text = fault_report_text(offer) if offer is not None and offer.is_abnormal else ""
    return render(
        request,
        "assets/operation_log_list.html",
        {
            "device": device,
            "page": _page(request, entries),
            "recorded": offer,
            "fault_text": fault_text,
            "can_record": request.user.has_perm("assets.add_operationlogentry", device),
        },
    )


@login_required
@GET_POST
def operation_log_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = _device_or_404(request, pk)
    require_perm(request, "assets.add_operationlogentry", device)
    source = request.POST if request.method == "POST" else request.GET
    kind = source.get("kind", "")
    if kind not in OperationLogKind.values:
        return render(
            request,
            "assets/operation_log_form.html",
            {"device": device, "kinds": [(k, k.label, i, s) for k, i, s in KIND_BUTTONS]},
        )
    if request.method == "POST":
        form = OperationLogForm(request.POST, request.FILES, kind=kind)
    else:
        form = OperationLogForm(kind=kind)
    if form.is_bound and form.is_valid():
        try:
            entry = services.operation_log_record(
                device=device, recorded_by=request.user, kind=kind, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Recorded in the operation log."))
            url = reverse("assets:operation_log", args=[device.pk])
            return redirect(f"{url}?recorded={entry.pk}")
    return render(
        request,
        "assets/operation_log_form.html",
        {"device": device, "form": form, "kind": OperationLogKind(kind)},
        status=422 if form.is_bound else 200,
    )


@login_required
def operation_log_photo(request: HttpRequest, pk: int) -> FileResponse:
    """An entry's photo, only for those who see the entry (MEDIA is never public)."""
    entry = get_object_or_404(_entries(request), pk=pk)
    if not entry.photo:
        raise Http404
    try:
        handle = entry.photo.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    filename = os.path.basename(entry.photo.name)
    inline = extension(filename) in INLINE_TYPES
    response = FileResponse(handle, as_attachment=not inline, filename=filename)
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
