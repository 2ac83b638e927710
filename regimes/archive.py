"""The regimes received by the device's department in its archive (the ``core.archive``
protocol, listed in ``archive/sources.py``): each version of a regime (inspection,
maintenance, emergency …) the department signed for (R-2.3)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assets.models import Device
from core.archive import ArchiveEntry, ArchiveQuery, SourcePage, in_window, keys_of

from .models import RegimeReceipt, RegimeVersion

RECEIPT = "regime_receipt"
KINDS = {RECEIPT: gettext_lazy("Regimes received")}


def entries(query: ArchiveQuery) -> SourcePage:
    if not query.wants(RECEIPT):
        return SourcePage(0, [])
    departments = query.on_devices(Device.objects.all(), "pk").values("department_id")
    receipts = in_window(
        RegimeReceipt.objects.for_user(query.visible_to).filter(department_id__in=departments),
        "received_at",
        query,
    )
    if query.keys_only:
        return SourcePage(
            query.count(receipts), keys_of(receipts, "received_at", RECEIPT, query.limit)
        )
    rows = receipts.select_related("version__document").order_by("-received_at", "-pk")
    found = [
        ArchiveEntry(
            at=receipt.received_at,
            kind=RECEIPT,
            title=_("Regime received: %(title)s, version %(version)d")
            % {"title": receipt.version.document.title, "version": receipt.version.number},
            object_id=receipt.pk,
            url=reverse("regimes:document_detail", args=[receipt.version.document_id]),
            detail=receipt.recipient_name,
            signed=bool(receipt.signature_hash),
            device_id=query.device_id,
        )
        for receipt in rows[: query.limit]
    ]
    return SourcePage(query.count(receipts), found)


# Kept records (``core.retention``): never deleted, by any path; a predicate keeps a row only
# in that state.
RETAINED = {RegimeVersion: None, RegimeReceipt: None}
