"""Device pages: list and search (serial, asset tag, scanned UDI or label), register,
edit, go live (R-5.1), the device page, and the options of dependent selects."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from core.errors import Conflict
from core.forms import add_service_errors, id_from
from core.permissions import require_perm
from core.retention import retention_years
from customers.models import Contact, Department

from .. import services
from ..filters import DeviceFilterSet
from ..forms import (
    DeviceEditForm,
    DeviceForm,
    GoLiveForm,
    OutOfUseClearForm,
)
from ..models import Device, EmergencyProcedure, OperationLogEntry
from ..rules import is_hospital_staff_of
from ..selectors import (
    device_components,
    device_history,
    device_records_kept_until,
    emergency_procedures_for,
)
from ._common import (
    GET_POST,
    _device_or_404,
    _devices,
    _page,
)


# --- devices: list, search, register, edit ----------------------------------------------
@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    filters = DeviceFilterSet(request.GET, _devices(request), request=request)
    devices = filters.qs  # a filter value outside the viewer's scope is simply ignored
    text = filters.form.cleaned_data.get("q", "")
    if text:
        first_two = list(devices[:2])
        if len(first_two) == 1:
            return redirect("assets:device_detail", pk=first_two[0].pk)
    return render(
        request,
        "assets/device_list.html",
        {
            "form": filters.form,
            "page": _page(request, devices),
            "q": text,
            "can_add": request.user.has_perm("assets.add_device"),
        },
    )


@login_required
@GET_POST
def device_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "assets.add_device")
    if request.method == "POST":
        form = DeviceForm(request.POST, user=request.user)
    else:
        initial = {k: request.GET[k] for k in ("udi", "hospital", "department") if k in request.GET}
        form = DeviceForm(initial=initial, user=request.user)
    if form.is_bound and form.is_valid():
        require_perm(request, "assets.add_device", form.cleaned_data["hospital"])
        try:
            device = services.device_register(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Device %(device)s registered.") % {"device": device})
            return redirect("assets:device_detail", pk=device.pk)
    return render(request, "assets/device_form.html", {"form": form})


@login_required
@GET_POST
def device_edit(request: HttpRequest, pk: int) -> HttpResponse:
    device = _device_or_404(request, pk)
    require_perm(request, "assets.change_device", device)
    if request.method == "POST":
        form = DeviceEditForm(request.POST, user=request.user, device=device)
    else:
        form = DeviceEditForm(
            initial=DeviceEditForm.initial_for(device), user=request.user, device=device
        )
    if form.is_bound and form.is_valid():
        try:
            services.device_update(device=device, **form.cleaned_data)
        except ValidationError as exc:
            device.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Device saved."))
            return redirect("assets:device_detail", pk=device.pk)
    return render(request, "assets/device_form.html", {"form": form, "device": device})


@login_required
@GET_POST
def device_go_live(request: HttpRequest, pk: int) -> HttpResponse:
    device = _device_or_404(request, pk)
    require_perm(request, "assets.change_device", device)
    if request.method == "POST":
        form = GoLiveForm(request.POST)
    else:
        form = GoLiveForm(initial={"live_on": services.hospital_today(device.hospital)})
    if form.is_bound and form.is_valid():
        try:
            services.device_go_live(device=device, **form.cleaned_data)
        except ValidationError as exc:
            device.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The device is live."))
            return redirect("assets:device_detail", pk=device.pk)
    return render(
        request,
        "assets/device_go_live.html",
        {
            "form": form,
            "device": device,
            "procedure_received": services.emergency_procedure_received_for(device),
            "can_add_procedure": request.user.has_perm("assets.add_emergencyprocedure"),
        },
    )


# --- devices: the device page ---------------------------------------------------------
OPERATION_LOG_SHOWN = 3


@login_required
def device_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(
        _devices(request).select_related("responsible_contact", "department__responsible_contact"),
        pk=pk,
    )
    installed, removed, missing = device_components(device)
    user = request.user
    can_change = user.has_perm("assets.change_device", device)
    return render(
        request,
        "assets/device_detail.html",
        {
            "device": device,
            "installed_components": installed,
            "removed_components": removed,
            "missing_components": missing,
            "procedures": emergency_procedures_for(device).filter(
                pk__in=EmergencyProcedure.objects.for_user(request.user)
            ),
            "procedure_received": services.emergency_procedure_received_for(device),
            "history": device_history(device=device, user=request.user),
            "records_kept_until": device_records_kept_until(device),
            "retention_years": retention_years(),
            "go_live_form": (
                GoLiveForm(initial={"live_on": services.hospital_today(device.hospital)})
                if can_change and device.live_on is None
                else None
            ),
            "can_change": can_change,
            "out_of_use_open": _open_out_of_use(device),
            "out_of_use_history": list(
                device.out_of_use_periods.select_related("started_by", "cleared_by")[:20]
            ),
            "can_clear_out_of_use": device.is_out_of_use
            and user.has_perm("assets.clear_out_of_use", device),
            "can_add_component": user.has_perm("assets.add_maincomponent", device),
            "can_add_procedure": user.has_perm("assets.add_emergencyprocedure"),
            "acceptance_certificate": device.acceptance_certificates.first(),
            "can_upload_certificate": user.has_perm("assets.add_acceptancecertificate", device),
            "can_record_receipt": user.has_perm("assets.change_emergencyprocedure", device),
            # Where a scanned label lands (issue 14 §1): the hospital's staff lead with
            # reporting a fault and recording an operation check; the vendor's staff are
            # offered their open job on the device (a fragment of the service app).
            "hospital_actions": is_hospital_staff_of(user, device),
            "can_record_operation": user.has_perm("assets.add_operationlogentry", device),
            "load_my_job": user.is_vendor_staff,
            "operation_log": list(
                OperationLogEntry.objects.for_user(user)
                .filter(device=device)
                .select_related("recorded_by")[:OPERATION_LOG_SHOWN]
            ),
        },
    )


def _open_out_of_use(device: Device) -> list:
    if not device.is_out_of_use:
        return []
    return list(
        device.out_of_use_periods.filter(cleared_at__isnull=True)
        .select_related("started_by")
        .order_by("started_at", "pk")
    )


@login_required
@require_http_methods(["GET", "POST"])
def device_clear_out_of_use(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The vendor's engineer or manager puts a device out of use back in use, with a note."""
    device = _device_or_404(request, pk)
    require_perm(request, "assets.clear_out_of_use", device)
    if not device.is_out_of_use:
        messages.info(request, _("This device is not out of use."))
        return redirect("assets:device_detail", pk=device.pk)
    form = OutOfUseClearForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                services.device_out_of_use_clear(
                    device=device, user=request.user, note=form.cleaned_data["note"]
                )
            except Conflict as exc:
                messages.info(request, exc.message)
                return redirect("assets:device_detail", pk=device.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The device may be used again."))
                return redirect("assets:device_detail", pk=device.pk)
        status = 422
    return render(
        request,
        "assets/device_clear_out_of_use.html",
        {"device": device, "form": form, "out_of_use_open": _open_out_of_use(device)},
        status=status,
    )


@login_required
def device_by_public_id(request: HttpRequest, public_id) -> HttpResponse:
    """Where a scanned QR label lands: the device's page, for those who may see it."""
    device = get_object_or_404(Device.objects.for_user(request.user), public_id=public_id)
    return redirect("assets:device_detail", pk=device.pk)


# --- options for dependent <select>s (htmx) -------------------------------------------
@login_required
def options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of the departments or contacts of ``?hospital=``, or of the devices of
    ``?department=`` (``?kind=departments|contacts|devices``), within the viewer's scope."""
    user = request.user
    kind = request.GET.get("kind", "")
    if kind in ("departments", "contacts"):
        parent, value = "hospital_id", request.GET.get("hospital", "")
        queryset: QuerySet[Any] = (
            Department if kind == "departments" else Contact
        ).objects.for_user(user)
    elif kind == "devices":
        parent, value = "department_id", request.GET.get("department", "")
        queryset = Device.objects.for_user(user).select_related("product_model")
    else:
        raise Http404
    parent_id = id_from(value)
    items = queryset.filter(**{parent: parent_id}) if parent_id is not None else queryset.none()
    label = {
        "departments": lambda obj: obj.name,
        "contacts": lambda obj: str(obj),  # not bare str: the three share one callable type
        "devices": lambda obj: f"{obj.product_model} · {obj.serial_number}",
    }[kind]
    choices = [(obj.pk, label(obj)) for obj in items]
    return render(request, "assets/_options.html", {"choices": choices})
