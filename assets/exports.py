"""The device list as a file (issue 14 §3): ``core.exports`` columns of ``DeviceFilterSet``'s
rows, read by the page's download, ``GET /devices?format=`` and the export worker; the
product models and the emergency procedures for ``GET /product-models`` and
``/emergency-procedures`` with ``format=`` (§5)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, label_of, text_of

from .filters import DeviceFilterSet, ProcedureFilterSet, ProductModelFilterSet
from .models import Device, EmergencyProcedure, ProductModel


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


def _product_models(request: HttpRequest):
    return ProductModel.objects.for_user(request.user).order_by("manufacturer", "name", "pk")


PRODUCT_MODELS = ListExport(
    name="product-models",
    title=_("Product models"),
    filterset=ProductModelFilterSet,
    rows=_product_models,
    columns=(
        Column(_("Manufacturer"), lambda m: m.manufacturer, 18),
        Column(_("Model"), lambda m: m.name, 20),
        Column(_("GTIN"), lambda m: m.gtin, 16),
        Column(_("Category"), label_of("category"), 14),
        Column(_("Risk class"), label_of("risk_class"), 10),
        Column(_("Main components"), lambda m: ", ".join(m.main_components or ()), 30),
    ),
)


def _procedures(request: HttpRequest):
    return EmergencyProcedure.objects.for_user(request.user).order_by("pk")


PROCEDURES = ListExport(
    name="emergency-procedures",
    title=_("Emergency procedures"),
    filterset=ProcedureFilterSet,
    rows=_procedures,
    select_related=("department__hospital", "device__product_model", "product_model"),
    columns=(
        Column(_("Title"), lambda p: p.title, 24),
        Column(_("Hospital"), lambda p: p.department.hospital.name, 24),
        Column(_("Department"), lambda p: p.department.name, 16),
        Column(_("Device"), lambda p: text_of(p.device), 28),
        Column(_("Product model"), lambda p: text_of(p.product_model), 20),
        Column(_("Procedure"), lambda p: p.text, 40),
        Column(_("Document"), lambda p: bool(p.document), 10),
        Column(_("Received by"), lambda p: p.received_by, 14),
        Column(_("Received at"), lambda p: p.received_at, 18),
    ),
)
