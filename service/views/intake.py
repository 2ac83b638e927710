"""Intake: a hotline agent logs a call, or a hospital user reports a fault on one of their
own devices. The device is found by serial, asset tag, scanned UDI or QR label (htmx), its
coverage is shown before saving, and saving opens the request with one service call."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from assets.models import Device
from assets.selectors import device_search
from core.forms import add_service_errors, id_from
from core.permissions import require_perm

from .. import services
from ..forms import DeviceSearchForm, IntakeForm
from ..models import Channel
from ._common import GET_POST

SEARCH_LIMIT = 10
DESCRIPTION_MAX = 5000  # the form's own limit


def _devices(request: HttpRequest):
    return Device.objects.for_user(request.user).select_related(
        "product_model", "hospital", "department"
    )


def _picked(request: HttpRequest, value) -> Device | None:
    device_id = id_from(value)
    return _devices(request).filter(pk=device_id).first() if device_id is not None else None


def _viewer_zone() -> str:
    return timezone.get_current_timezone_name()


@login_required
@GET_POST
def request_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "service.add_servicerequest")
    user = request.user
    zone = _viewer_zone()
    if request.method == "POST":
        form = IntakeForm(request.POST, user=user, time_zone=zone)
    else:
        initial: dict[str, Any] = {"reported_at": timezone.localtime().replace(microsecond=0)}
        if not user.is_vendor_staff:
            # A hospital user reports for themselves: their name and phone by default.
            initial |= {"reporter_name": user.get_full_name(), "reporter_phone": user.phone}
        if request.GET.get("device"):
            initial["device"] = request.GET["device"]
        if request.GET.get("description"):
            # Pre-filled by the page that offers the report (an abnormal start-up check of
            # the operation log): the reporter reads it and may change it before saving.
            initial["description"] = request.GET["description"][:DESCRIPTION_MAX]
        form = IntakeForm(initial=initial, user=user, time_zone=zone)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        device = data["device"]
        require_perm(request, "service.add_servicerequest", device)
        try:
            created = services.service_request_open(
                device=device,
                severity=data["severity"],
                channel=Channel.HOTLINE if user.is_vendor_staff else Channel.WEB,
                description=data["description"],
                reported_at=data["reported_at"],
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                recorded_by=user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Service request %(number)s opened.") % {"number": created.number}
            )
            return redirect("service:request_detail", pk=created.pk)
    device_value = form.data.get("device") if form.is_bound else form.initial.get("device")
    search = DeviceSearchForm(request.GET or None)
    search.is_valid()
    text = search.cleaned_data.get("q", "") if search.is_bound else ""
    found = list(device_search(devices=_devices(request), text=text)[:SEARCH_LIMIT]) if text else []
    return render(
        request,
        "service/request_form.html",
        {
            "form": form,
            "search": search,
            "q": text,
            "found": found,
            "device": _picked(request, device_value),
        },
        status=422 if form.is_bound else 200,
    )


@login_required
@require_GET
def intake_devices(request: HttpRequest) -> HttpResponse:
    """htmx: the devices matching what was typed or scanned; one match is picked at once."""
    require_perm(request, "service.add_servicerequest")
    search = DeviceSearchForm(request.GET)
    search.is_valid()
    text = search.cleaned_data.get("q", "")
    found = list(device_search(devices=_devices(request), text=text)[:SEARCH_LIMIT]) if text else []
    return render(
        request,
        "service/_device_results.html",
        {"q": text, "found": found, "device": found[0] if len(found) == 1 else None, "oob": True},
    )


@login_required
@require_GET
def intake_device(request: HttpRequest) -> HttpResponse:
    """htmx: the picked device (a hidden input of the intake form) and its coverage."""
    require_perm(request, "service.add_servicerequest")
    device = _picked(request, request.GET.get("device"))
    return render(request, "service/_picked_device.html", {"device": device, "oob": True})
