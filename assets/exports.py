"""The device list as a file (issue 14 §3): ``core.exports`` columns of ``DeviceFilterSet``'s
rows, read by the page's download, ``GET /devices?format=`` and the export worker."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, label_of, text_of

from .filters import DeviceFilterSet
from .models import Device


def _devices(request: HttpRequest):
    return Device.objects.for_user(request.user).order_by("hospital__name", "pk")


DEVICES = ListExport(
    name="devices",
    title=_("Devices"),
    filterset=DeviceFilterSet,
    rows=_devices,
    select_related=("product_model", "hospital", "department", "responsible_contact"),
    columns=(
        Column(_("Hospital"), lambda d: d.hospital.name, 24),
        Column(_("Department"), lambda d: d.department.name, 16),
        Column(_("Manufacturer"), lambda d: d.product_model.manufacturer, 16),
        Column(_("Model"), lambda d: d.product_model.name, 20),
        Column(_("Serial number"), lambda d: d.serial_number, 18),
        Column(_("Asset tag"), lambda d: d.asset_tag, 14),
        Column(_("UDI"), lambda d: d.udi, 30),
        Column(_("Location"), lambda d: d.location, 14),
        Column(_("Status"), label_of("status"), 12),
        Column(_("Installed on"), lambda d: d.installed_on, 12),
        Column(_("Accepted on"), lambda d: d.accepted_on, 12),
        Column(_("Live on"), lambda d: d.live_on, 12),
        Column(_("Responsible contact"), lambda d: text_of(d.responsible_contact), 16),
        Column(_("Out of use since"), lambda d: d.out_of_use_since, 18),
    ),
)
