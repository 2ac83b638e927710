"""The contract and maintenance-agreement lists as files (issue 14 §5): ``GET /contracts``
and ``/maintenance-agreements`` with ``format=csv|xlsx``, the same filters and scope."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from assets.models import Device
from core.exports import Column, ListExport, joined_text, text_of

from .filters import AgreementFilterSet, ContractFilterSet
from .models import Contract, MaintenanceAgreement


def with_device_count(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    """The contracts with the number of their devices (their lines), the count column's."""
    return contracts.annotate(device_count=Count("lines", distinct=True))


def _contracts(request: HttpRequest):
    return with_device_count(Contract.objects.for_user(request.user).order_by("number"))


def _agreements(request: HttpRequest):
    return MaintenanceAgreement.objects.for_user(request.user).order_by("number")


CONTRACTS = ListExport(
    name="contracts",
    title=_("Contracts"),
    filterset=ContractFilterSet,
    rows=_contracts,
    select_related=("hospital", "service_manager"),
    joined=("dedicated_engineers",),
    columns=(
        Column(_("Contract number"), lambda c: c.number, 18),
        Column(_("Project"), lambda c: c.title, 24),
        Column(_("Hospital"), lambda c: c.hospital.name, 24),
        Column(_("Signing date"), lambda c: c.signed_on, 12),
        Column(_("Devices"), lambda c: c.device_count, 8),
        Column(_("Warranty (months)"), lambda c: c.warranty_months, 10),
        Column(_("Extended warranty (months)"), lambda c: c.extended_warranty_months, 10),
        Column(_("Service manager"), lambda c: text_of(c.service_manager), 16),
        Column(_("Dedicated engineers"), lambda c: joined_text(c, "dedicated_engineers"), 24),
        Column(_("Tell the hospital of a breach"), lambda c: c.notify_hospital_on_breach, 10),
        Column(_("Notes"), lambda c: c.notes, 30),
    ),
)

AGREEMENTS = ListExport(
    name="maintenance-agreements",
    title=_("Maintenance agreements"),
    filterset=AgreementFilterSet,
    rows=_agreements,
    select_related=("hospital",),
    # A device is named with its model: prefetched per chunk with it (``joined`` would
    # read each device's model on its own).
    prefetch_related=(
        Prefetch("devices", queryset=Device.objects.select_related("product_model").order_by("pk")),
    ),
    columns=(
        Column(_("Agreement number"), lambda a: a.number, 18),
        Column(_("Hospital"), lambda a: a.hospital.name, 24),
        Column(_("Signing date"), lambda a: a.signed_on, 12),
        Column(_("Starts on"), lambda a: a.starts_on, 12),
        Column(_("Ends on"), lambda a: a.ends_on, 12),
        Column(_("Devices"), lambda a: ", ".join(str(d) for d in a.devices.all()), 36),
        Column(_("Covers parts"), lambda a: a.covers_parts, 10),
        Column(_("Covers labour"), lambda a: a.covers_labor, 10),
        Column(_("Covers travel"), lambda a: a.covers_travel, 10),
        Column(_("Fee"), lambda a: a.fee, 12),
        Column(_("Currency"), lambda a: a.currency, 8),
        Column(_("Notes"), lambda a: a.notes, 30),
    ),
)
