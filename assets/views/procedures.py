"""Emergency procedures (R-5.1): list, write or upload, record the receipt, serve the
document to those who may see it."""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedHttpRequest
from core.forms import add_service_errors, id_from
from core.http import safe_next
from core.permissions import require_perm
from core.uploads import INLINE_TYPES, extension
from customers.models import Department

from .. import services
from ..filters import ProcedureFilterSet
from ..forms import (
    ProcedureForm,
    ReceiptForm,
)
from ..models import Device, EmergencyProcedure
from ._common import (
    GET_POST,
    _devices,
    _page,
)


# --- emergency procedures (R-5.1) -----------------------------------------------------
def _procedures(request: HttpRequest):
    return EmergencyProcedure.objects.for_user(request.user).select_related(
        "department__hospital", "device__product_model", "product_model", "recorded_by"
    )


def _procedure_or_404(request: HttpRequest, pk: int) -> EmergencyProcedure:
    return get_object_or_404(_procedures(request), pk=pk)


def _zone_of(department: Department | None) -> ZoneInfo:
    if department is None:
        return timezone.get_current_timezone()
    return ZoneInfo(department.hospital.time_zone)


@login_required
def procedure_list(request: HttpRequest) -> HttpResponse:
    procedures = _procedures(request).order_by(
        "department__hospital__name", "department__name", "title"
    )
    filters = ProcedureFilterSet(request.GET, procedures, request=request)
    return render(
        request,
        "assets/procedure_list.html",
        {
            "form": filters.form,
            "page": _page(request, filters.qs),
            "can_add": request.user.has_perm("assets.add_emergencyprocedure"),
        },
    )


@login_required
@GET_POST
def procedure_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "assets.add_emergencyprocedure")
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    department = device = None
    if (device_id := id_from(source.get("device"))) is not None:
        device = Device.objects.for_user(user).filter(pk=device_id).first()
    if (department_id := id_from(source.get("department"))) is not None:
        department = (
            Department.objects.for_user(user)
            .select_related("hospital")
            .filter(pk=department_id)
            .first()
        )
    department = department or (device.department if device else None)
    # A receipt time is typed in the department's hospital zone.
    with timezone.override(_zone_of(department)):
        if request.method == "POST":
            form = ProcedureForm(request.POST, request.FILES, user=user)
        else:
            initial = {"department": department, "device": device}
            if device is not None:
                initial["product_model"] = device.product_model
                initial["title"] = _("Emergency procedure for %(device)s") % {"device": device}
            form = ProcedureForm(initial=initial, user=user)
        if form.is_bound and form.is_valid():
            try:
                procedure = services.emergency_procedure_create(
                    recorded_by=user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Emergency procedure saved."))
                if procedure.device_id:
                    return redirect("assets:device_detail", pk=procedure.device_id)
                return redirect("assets:procedure_detail", pk=procedure.pk)
        return render(
            request,
            "assets/procedure_form.html",
            {"form": form, "device": device, "department": department},
        )


@login_required
def procedure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _procedure_or_404(request, pk)
    if procedure.device_id:
        devices = _devices(request).filter(pk=procedure.device_id)
    else:
        devices = _devices(request).filter(
            department_id=procedure.department_id, product_model_id=procedure.product_model_id
        )
    return render(
        request,
        "assets/procedure_detail.html",
        {
            "procedure": procedure,
            "devices": devices,
            "can_record_receipt": request.user.has_perm(
                "assets.change_emergencyprocedure", procedure
            ),
        },
    )


@login_required
@GET_POST
def procedure_receipt(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    procedure = _procedure_or_404(request, pk)
    require_perm(request, "assets.change_emergencyprocedure", procedure)
    with timezone.override(_zone_of(procedure.department)):
        if request.method == "POST":
            form = ReceiptForm(request.POST)
        else:
            form = ReceiptForm(
                initial={
                    "received_by": procedure.received_by,
                    "received_at": timezone.localtime().replace(second=0, microsecond=0),
                }
            )
        if form.is_bound and form.is_valid():
            try:
                services.emergency_procedure_record_receipt(
                    procedure=procedure, recorded_by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                procedure.refresh_from_db()
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Receipt recorded."))
                fallback = reverse("assets:procedure_detail", args=[procedure.pk])
                return redirect(safe_next(request, fallback))
        return render(
            request,
            "assets/procedure_receipt.html",
            {"form": form, "procedure": procedure, "next": safe_next(request, "")},
        )


@login_required
def procedure_document(request: HttpRequest, pk: int) -> FileResponse:
    """The uploaded procedure, only for those who may see it (MEDIA is never public)."""
    procedure = _procedure_or_404(request, pk)
    if not procedure.document:
        raise Http404
    try:
        handle = procedure.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    filename = os.path.basename(procedure.document.name)
    inline = extension(filename) in INLINE_TYPES
    response = FileResponse(handle, as_attachment=not inline, filename=filename)
    # An uploaded HTML or SVG file must not run as one of our pages.
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
