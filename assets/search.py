"""The search box's devices (``core.search``): a scanned label or UDI, an exact serial
number or asset tag, or words in a serial, asset tag, location, model, hospital or
department name: the device list's own search (``assets.selectors.device_match``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.search import COUNT_CAP, Group, Hit, SearchQuery, group_of

from .models import Device
from .selectors import device_match

KINDS = {"device": _("Devices")}


def _hit(device: Device) -> Hit:
    where = [device.hospital.name, device.department.name]
    if device.asset_tag:
        where.append(device.asset_tag)
    return Hit(
        title=str(device),
        url=reverse("assets:device_detail", args=[device.pk]),
        object_id=device.pk,
        detail=" · ".join(where),
    )


def search(query: SearchQuery) -> list[Group]:
    if not query.wants("device"):
        return []
    devices = (
        Device.objects.for_user(query.visible_to)
        .select_related("product_model", "hospital", "department")
        # The list's order. Not an indexed column on purpose: ordered by one, PostgreSQL
        # would walk that index and test every device until five match (seconds when
        # none does) rather than find the matches by their indexes and sort them.
        .order_by("hospital__name", "department__name", "serial_number", "pk")
    )
    # Beyond the cap the group says "more than 1,000" and links to the list: the five it
    # shows are then five of the first 1,001 found, in the list's order.
    match = device_match(devices=devices, text=query.text, found_at_most=COUNT_CAP + 1)
    return [
        group_of(
            kind="device",
            label=str(KINDS["device"]),
            queryset=match.devices,
            query=query,
            hit=_hit,
            all_url=f"{reverse('assets:device_list')}?{urlencode({'q': query.text})}",
            exact=match.exact,
        )
    ]
