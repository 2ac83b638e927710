"""Reads about the installed base: finding a device by what someone scanned or typed."""

from __future__ import annotations

import re
import uuid

from django.db.models import Q, QuerySet

from .models import Device
from .udi import UdiError, looks_like_udi, parse_udi

# A scanned medservice label holds the device's URL: …/d/<uuid>
_LABEL_URL = re.compile(r"/d/([0-9a-fA-F-]{32,36})/?$")


def device_search(*, devices: QuerySet[Device], text: str) -> QuerySet[Device]:
    """Devices matching ``text``: a scanned label URL, a scanned or typed UDI, an exact
    serial number or asset tag, and failing those a partial serial, asset tag or model name.
    ``devices`` is already scoped to the viewer (``Device.objects.for_user``)."""
    text = (text or "").strip()
    if not text:
        return devices
    label = _LABEL_URL.search(text)
    if label:
        try:
            return devices.filter(public_id=uuid.UUID(label.group(1)))
        except ValueError:
            return devices.none()
    if looks_like_udi(text):
        try:
            parsed = parse_udi(text)
        except UdiError:
            return devices.none()
        match = Q(udi_di=parsed.device_identifier)
        if parsed.serial:
            match &= Q(udi_serial=parsed.serial) | Q(serial_number=parsed.serial)
        return devices.filter(match)
    exact = devices.filter(Q(serial_number__iexact=text) | Q(asset_tag__iexact=text))
    if exact.exists():
        return exact
    return devices.filter(
        Q(serial_number__icontains=text)
        | Q(asset_tag__icontains=text)
        | Q(product_model__name__icontains=text)
        | Q(location__icontains=text)
    )
