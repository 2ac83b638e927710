"""QR labels: one device's label as SVG/PNG, and a printable sheet of many."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe

from core.forms import id_from

from ..labels import qr_png, qr_svg
from ..models import Device
from ._common import (
    LABEL_SHEET_MAX,
    _device_or_404,
    _devices,
)


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
    ids: list[int] = []
    for value in request.GET.getlist("ids"):
        ids.extend(pk for part in value.split(",") if (pk := id_from(part)) is not None)
    return ids


@login_required
def device_labels(request: HttpRequest) -> HttpResponse:
    """A printable sheet of labels: the devices ticked in the list (``?ids=1,2,3``) or
    all devices of a hospital or department (``?hospital=`` / ``?department=``)."""
    devices = _devices(request)
    ids = _ids(request)
    hospital = id_from(request.GET.get("hospital"))
    department = id_from(request.GET.get("department"))
    if ids:
        devices = devices.filter(pk__in=ids)
    elif hospital is not None or department is not None:
        if hospital is not None:
            devices = devices.filter(hospital_id=hospital)
        if department is not None:
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
