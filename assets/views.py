"""Web pages of the installed base: product models, devices, main components, emergency
procedures (R-5.1), QR labels and device search.

Every page reads through ``for_user`` (another hospital's object is a 404), checks the
``rules`` permission before a write (403) and makes exactly one service call per write.
"""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors
from customers.models import Contact, Department

from . import services
from .forms import (
    ComponentAddForm,
    ComponentReplaceForm,
    DeviceEditForm,
    DeviceFilterForm,
    DeviceForm,
    GoLiveForm,
    ProcedureFilterForm,
    ProcedureForm,
    ProductModelFilterForm,
    ProductModelForm,
    ReceiptForm,
)
from .labels import qr_png, qr_svg
from .models import Device, EmergencyProcedure, MainComponent, ProductModel
from .selectors import device_search

PAGE_SIZE = 50
LABEL_SHEET_MAX = 500
# Uploaded procedures a browser may show in the page; anything else is downloaded.
INLINE_DOCUMENT_TYPES = {".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp"}
GET_POST = require_http_methods(["GET", "POST"])


def _require(request: HttpRequest, perm: str, obj=None) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _devices(request: HttpRequest):
    return Device.objects.for_user(request.user).select_related(
        "product_model", "hospital", "department"
    )


def _device_or_404(request: HttpRequest, pk: int) -> Device:
    return get_object_or_404(_devices(request), pk=pk)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- product models -------------------------------------------------------------------
@login_required
def product_model_list(request: HttpRequest) -> HttpResponse:
    form = ProductModelFilterForm(request.GET)
    product_models = ProductModel.objects.for_user(request.user)
    if form.is_valid():
        if text := form.cleaned_data["q"]:
            product_models = product_models.filter(
                Q(manufacturer__icontains=text) | Q(name__icontains=text) | Q(gtin=text)
            )
        if category := form.cleaned_data["category"]:
            product_models = product_models.filter(category=category)
    return render(
        request,
        "assets/product_model_list.html",
        {
            "form": form,
            "page": _page(request, product_models),
            "can_add": request.user.has_perm("assets.add_productmodel"),
        },
    )


@login_required
def product_model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product_model = get_object_or_404(ProductModel.objects.for_user(request.user), pk=pk)
    devices = _devices(request).filter(product_model=product_model)
    procedures = (
        EmergencyProcedure.objects.for_user(request.user)
        .filter(product_model=product_model, device__isnull=True)
        .select_related("department__hospital")
    )
    return render(
        request,
        "assets/product_model_detail.html",
        {
            "product_model": product_model,
            "device_count": devices.count(),
            "devices": devices[:20],
            "procedures": procedures,
            "can_change": request.user.has_perm("assets.change_productmodel", product_model),
            "can_add_device": request.user.has_perm("assets.add_device"),
        },
    )


@login_required
@GET_POST
def product_model_create(request: HttpRequest) -> HttpResponse:
    _require(request, "assets.add_productmodel")
    form = ProductModelForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            product_model = services.product_model_create(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Product model %(name)s created.") % {"name": product_model}
            )
            return redirect("assets:product_model_detail", pk=product_model.pk)
    return render(request, "assets/product_model_form.html", {"form": form})


@login_required
@GET_POST
def product_model_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product_model = get_object_or_404(ProductModel.objects.for_user(request.user), pk=pk)
    _require(request, "assets.change_productmodel", product_model)
    if request.method == "POST":
        form = ProductModelForm(request.POST)
    else:
        form = ProductModelForm(initial=ProductModelForm.initial_for(product_model))
    if form.is_bound and form.is_valid():
        try:
            services.product_model_update(product_model=product_model, **form.cleaned_data)
        except ValidationError as exc:
            product_model.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product model saved."))
            return redirect("assets:product_model_detail", pk=product_model.pk)
    return render(
        request,
        "assets/product_model_form.html",
        {"form": form, "product_model": product_model},
    )


# --- devices: list, search, register, edit ----------------------------------------------
@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    form = DeviceFilterForm(request.GET, user=request.user)
    form.is_valid()  # a filter value outside the viewer's scope is simply ignored
    data = form.cleaned_data
    devices = _devices(request)
    text = data.get("q", "")
    if text:
        devices = device_search(devices=devices, text=text)
    for name, lookup in (
        ("hospital", "hospital"),
        ("department", "department"),
        ("status", "status"),
        ("model", "product_model"),
    ):
        if data.get(name):
            devices = devices.filter(**{lookup: data[name]})
    if text:
        first_two = list(devices[:2])
        if len(first_two) == 1:
            return redirect("assets:device_detail", pk=first_two[0].pk)
    return render(
        request,
        "assets/device_list.html",
        {
            "form": form,
            "page": _page(request, devices),
            "q": text,
            "can_add": request.user.has_perm("assets.add_device"),
        },
    )


@login_required
@GET_POST
def device_create(request: HttpRequest) -> HttpResponse:
    _require(request, "assets.add_device")
    if request.method == "POST":
        form = DeviceForm(request.POST, user=request.user)
    else:
        initial = {k: request.GET[k] for k in ("udi", "hospital", "department") if k in request.GET}
        form = DeviceForm(initial=initial, user=request.user)
    if form.is_bound and form.is_valid():
        _require(request, "assets.add_device", form.cleaned_data["hospital"])
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
    _require(request, "assets.change_device", device)
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
    _require(request, "assets.change_device", device)
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
def _components(device: Device) -> tuple[list[MainComponent], list[MainComponent], list[str]]:
    """Installed and removed components (each removed one knows its replacement), and
    the model's main components not registered yet."""
    components = list(device.components.select_related("replaces").order_by("name", "pk"))
    replacement_of = {c.replaces_id: c for c in components if c.replaces_id}
    for component in components:
        component.replacement = replacement_of.get(component.pk)
    installed = [c for c in components if c.removed_on is None]
    removed = [c for c in components if c.removed_on is not None]
    names = {c.name for c in installed}
    missing = [n for n in device.product_model.main_components if n not in names]
    return installed, removed, missing


def _device_procedures(request: HttpRequest, device: Device):
    return (
        EmergencyProcedure.objects.for_user(request.user)
        .filter(department_id=device.department_id)
        .filter(
            Q(device_id=device.pk) | Q(device__isnull=True, product_model=device.product_model_id)
        )
        .select_related("device", "product_model")
        .order_by("-received_at", "title")
    )


HISTORY_HIDDEN = {"created_at", "updated_at", "public_id"}


def _history(request: HttpRequest, device: Device, limit: int = 20) -> list[dict]:
    """The latest changes to the device: who changed which field from what to what."""
    records = list(device.history.select_related("history_user").all()[: limit + 1])
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=HISTORY_HIDDEN)
            for change in delta.changes:
                field = Device._meta.get_field(change.field)
                changes.append(
                    {
                        "field": field.verbose_name,
                        "old": _display(request, field, change.old),
                        "new": _display(request, field, change.new),
                    }
                )
        entries.append({"record": record, "changes": changes})
    return entries


def _display(request: HttpRequest, field, value) -> str:
    if value in (None, ""):
        return "—"
    if field.is_relation:
        related = field.related_model.objects.for_user(request.user).filter(pk=value).first()
        return str(related) if related else "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


@login_required
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(
        _devices(request).select_related("responsible_contact", "department__responsible_contact"),
        pk=pk,
    )
    installed, removed, missing = _components(device)
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
            "procedures": _device_procedures(request, device),
            "procedure_received": services.emergency_procedure_received_for(device),
            "history": _history(request, device),
            "go_live_form": (
                GoLiveForm(initial={"live_on": services.hospital_today(device.hospital)})
                if can_change and device.live_on is None
                else None
            ),
            "can_change": can_change,
            "can_add_component": user.has_perm("assets.add_maincomponent", device),
            "can_add_procedure": user.has_perm("assets.add_emergencyprocedure"),
            "can_record_receipt": user.has_perm("assets.change_emergencyprocedure", device),
        },
    )


@login_required
def device_by_public_id(request: HttpRequest, public_id) -> HttpResponse:
    """Where a scanned QR label lands: the device's page, for those who may see it."""
    device = get_object_or_404(Device.objects.for_user(request.user), public_id=public_id)
    return redirect("assets:device_detail", pk=device.pk)


# --- QR labels ------------------------------------------------------------------------
def label_url(request: HttpRequest, device: Device) -> str:
    """The absolute URL a device's QR label encodes."""
    path = reverse("assets:device_by_public_id", args=[device.public_id])
    base = getattr(settings, "SITE_URL", "")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


@login_required
def device_label(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    device = _device_or_404(request, pk)
    url = label_url(request, device)
    if fmt == "svg":
        response = HttpResponse(qr_svg(url), content_type="image/svg+xml")
    elif fmt == "png":
        response = HttpResponse(qr_png(url), content_type="image/png")
    else:
        raise Http404
    response["Content-Disposition"] = f'inline; filename="device-{device.pk}-label.{fmt}"'
    return response


def _ids(request: HttpRequest) -> list[int]:
    ids = []
    for value in request.GET.getlist("ids"):
        ids.extend(int(part) for part in value.split(",") if part.strip().isdecimal())
    return ids


@login_required
def device_labels(request: HttpRequest) -> HttpResponse:
    """A printable sheet of labels: the devices ticked in the list (``?ids=1,2,3``) or
    all devices of a hospital or department (``?hospital=`` / ``?department=``)."""
    devices = _devices(request)
    ids = _ids(request)
    hospital = request.GET.get("hospital", "")
    department = request.GET.get("department", "")
    if ids:
        devices = devices.filter(pk__in=ids)
    elif hospital.isdecimal() or department.isdecimal():
        if hospital.isdecimal():
            devices = devices.filter(hospital_id=hospital)
        if department.isdecimal():
            devices = devices.filter(department_id=department)
    else:
        devices = devices.none()
    total = devices.count()
    labels = [
        {"device": device, "svg": mark_safe(qr_svg(label_url(request, device), inline=True))}  # noqa: S308 -- segno's own SVG, no user text
        for device in devices[:LABEL_SHEET_MAX]
    ]
    return render(
        request,
        "assets/device_labels.html",
        {"labels": labels, "total": total, "limit": LABEL_SHEET_MAX},
    )


# --- options for dependent <select>s (htmx) -------------------------------------------
@login_required
def options(request: HttpRequest) -> HttpResponse:
    """``<option>``s of the departments or contacts of ``?hospital=``, or of the devices of
    ``?department=`` (``?kind=departments|contacts|devices``), within the viewer's scope."""
    user = request.user
    kind = request.GET.get("kind", "")
    if kind in ("departments", "contacts"):
        parent, value = "hospital_id", request.GET.get("hospital", "")
        queryset = (Department if kind == "departments" else Contact).objects.for_user(user)
    elif kind == "devices":
        parent, value = "department_id", request.GET.get("department", "")
        queryset = Device.objects.for_user(user).select_related("product_model")
    else:
        raise Http404
    items = queryset.filter(**{parent: value}) if value.isdecimal() else queryset.none()
    label = {
        "departments": lambda obj: obj.name,
        "contacts": str,
        "devices": lambda obj: f"{obj.product_model} · {obj.serial_number}",
    }[kind]
    choices = [(obj.pk, label(obj)) for obj in items]
    return render(request, "assets/_options.html", {"choices": choices})


# --- main components ------------------------------------------------------------------
@login_required
@GET_POST
def component_add(request: HttpRequest, pk: int) -> HttpResponse:
    device = _device_or_404(request, pk)
    _require(request, "assets.add_maincomponent", device)
    if request.method == "POST":
        form = ComponentAddForm(request.POST)
    else:
        form = ComponentAddForm(initial={"name": request.GET.get("name", "")})
    if form.is_bound and form.is_valid():
        try:
            services.main_component_add(device=device, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Component added."))
            return redirect(reverse("assets:device_detail", args=[device.pk]) + "#components")
    return render(request, "assets/component_form.html", {"form": form, "device": device})


@login_required
@GET_POST
def component_replace(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(
        MainComponent.objects.for_user(request.user).select_related(
            "device__hospital", "device__product_model", "device__department"
        ),
        pk=pk,
    )
    device = component.device
    _require(request, "assets.add_maincomponent", device)
    if request.method == "POST":
        form = ComponentReplaceForm(request.POST)
    else:
        form = ComponentReplaceForm(
            initial={"replaced_on": services.hospital_today(device.hospital)}
        )
    if form.is_bound and form.is_valid():
        try:
            replacement = services.main_component_replace(component=component, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(component)s replaced. The new one has its own warranty from %(date)s (R-6.5).")
                % {"component": replacement, "date": replacement.replaced_on},
            )
            return redirect(reverse("assets:device_detail", args=[device.pk]) + "#components")
    return render(
        request,
        "assets/component_replace.html",
        {"form": form, "component": component, "device": device},
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
    form = ProcedureFilterForm(request.GET, user=request.user)
    form.is_valid()
    data = form.cleaned_data
    procedures = _procedures(request).order_by(
        "department__hospital__name", "department__name", "title"
    )
    if data.get("hospital"):
        procedures = procedures.filter(department__hospital=data["hospital"])
    if data.get("department"):
        procedures = procedures.filter(department=data["department"])
    if data.get("received") == "yes":
        procedures = procedures.filter(received_at__isnull=False)
    elif data.get("received") == "no":
        procedures = procedures.filter(received_at__isnull=True)
    return render(
        request,
        "assets/procedure_list.html",
        {
            "form": form,
            "page": _page(request, procedures),
            "can_add": request.user.has_perm("assets.add_emergencyprocedure"),
        },
    )


@login_required
@GET_POST
def procedure_create(request: HttpRequest) -> HttpResponse:
    _require(request, "assets.add_emergencyprocedure")
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    department = device = None
    if str(source.get("device", "")).isdecimal():
        device = Device.objects.for_user(user).filter(pk=source["device"]).first()
    if str(source.get("department", "")).isdecimal():
        department = (
            Department.objects.for_user(user)
            .select_related("hospital")
            .filter(pk=source["department"])
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
def procedure_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _procedure_or_404(request, pk)
    _require(request, "assets.change_emergencyprocedure", procedure)
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
                return redirect(_safe_next(request, fallback))
        return render(
            request,
            "assets/procedure_receipt.html",
            {"form": form, "procedure": procedure, "next": _safe_next(request, "")},
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
    inline = os.path.splitext(filename)[1].lower() in INLINE_DOCUMENT_TYPES
    response = FileResponse(handle, as_attachment=not inline, filename=filename)
    # An uploaded HTML or SVG file must not run as one of our pages.
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
