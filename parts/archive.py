"""Parts used and loaner units in a device's archive (the ``core.archive`` protocol, listed
in ``archive/sources.py``): each part issued to a request on the device or given back
(R-6.4, spare parts first), and each loaner installed while the device was repaired and
returned (R-5.3)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive import (
    ArchiveEntry,
    ArchiveQuery,
    SourcePage,
    in_window,
    keys_of,
    newest_first,
    url_of,
)
from service.models import ServiceRequest

from .models import Loan, MovementKind, StockMovement

PART = "part_used"
LOANER = "loaner"
KINDS = {PART: gettext_lazy("Parts used"), LOANER: gettext_lazy("Loaner units")}


def entries(query: ArchiveQuery) -> SourcePage:
    requests = query.on_devices(ServiceRequest.objects.for_user(query.visible_to))
    count = 0
    found: list[ArchiveEntry] = []
    if query.wants(PART):
        movements = in_window(
            StockMovement.objects.filter(
                request__in=requests, kind__in=[MovementKind.ISSUE, MovementKind.RETURN]
            ),
            "occurred_at",
            query,
        )
        count += query.count(movements)
        if query.keys_only:
            found += keys_of(movements, "occurred_at", PART, query.limit)
        else:
            rows = movements.select_related("part", "request", "serial_unit").only(
                "kind", "quantity", "occurred_at", "part__part_number", "part__name_zh",
                "part__name_en", "request__number", "request__device_id",
                "serial_unit__serial_number",
            )  # fmt: skip
            url = url_of("service:request_detail")
            found += [_part(m, url) for m in rows.order_by("-occurred_at", "-pk")[: query.limit]]
    if query.wants(LOANER):
        loans = Loan.objects.filter(request__in=requests).select_related(
            "loaner__product_model", "request"
        )
        for loan in loans.order_by("-installed_at", "-pk"):
            for at, title in (
                (loan.installed_at, _("Loaner installed: %(unit)s")),
                (loan.returned_at, _("Loaner returned: %(unit)s")),
            ):
                if at is not None and query.holds(at):
                    count += 1
                    found.append(_loan(loan, at, title % {"unit": loan.loaner}))
    return SourcePage(count, newest_first(found)[: query.limit])


def _part(movement: StockMovement, url) -> ArchiveEntry:
    request = movement.request
    assert request is not None  # filtered above
    named = {"part": movement.part.name, "quantity": movement.quantity}
    title = (
        _("Part used: %(part)s ×%(quantity)d") % named
        if movement.kind == MovementKind.ISSUE
        else _("Part given back: %(part)s ×%(quantity)d") % named
    )
    detail = [request.number, movement.part.part_number]
    if movement.serial_unit is not None:
        detail.append(_("serial %(serial)s") % {"serial": movement.serial_unit.serial_number})
    return ArchiveEntry(
        at=movement.occurred_at, kind=PART, title=title, object_id=movement.pk,
        url=url(request.pk),
        detail=" · ".join(detail), device_id=request.device_id,
    )  # fmt: skip


def _loan(loan: Loan, at, title: str) -> ArchiveEntry:
    return ArchiveEntry(
        at=at, kind=LOANER, title=title, object_id=loan.pk,
        url=reverse("service:request_detail", args=[loan.request_id]),
        detail=loan.request.number, device_id=loan.request.device_id,
    )  # fmt: skip


# Kept records (``core.retention``): never deleted, by any path; a predicate keeps a row only
# in that state.
RETAINED = {StockMovement: None, Loan: None}
