"""Parts on dispatch (issue 5 §1): when a request is dispatched, hold the parts its symptom
calls for, in the engineer's bag when they are there, else at the store that has most; when
it closes, give back whatever is still held.

Called by the thin outbox handlers of ``parts.reservations.handlers`` after service committed the
timeline event (service publishes it through the outbox; it cannot import parts). Each
reservation is its own savepoint with the key ``dispatch-<event>-<part>``, so replaying the
same dispatch reserves nothing twice and losing the last unit to another request skips that
part instead of failing the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.models import User
from service.models import ServiceEvent, ServiceRequest

from .. import selectors, services
from ..models import (
    LocationKind,
    SerialUnit,
    SparePart,
    StockLevel,
    StockLocation,
    StockMovement,
    UnitState,
)

logger = logging.getLogger(__name__)

# A dispatch holds a handful of likely parts, not the catalogue of the model.
MAX_DISPATCH_PARTS = 5
STORES = (LocationKind.CENTRAL, LocationKind.REGIONAL)


@dataclass(frozen=True)
class Source:
    """Where to take a unit of a part from, and which unit for a serial-tracked part."""

    location: StockLocation
    free: int
    serial: str = ""


def _free_by_location(part: SparePart, locations: list[StockLocation]) -> dict[int, int]:
    ids = [location.pk for location in locations]
    if part.is_main_component:
        # The units on the shelf are the truth for a serial part (stock_reserve refuses
        # when the level and the units disagree).
        rows = (
            SerialUnit.objects.filter(part=part, location_id__in=ids, state=UnitState.IN_STOCK)
            .values("location_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {row["location_id"]: row["n"] for row in rows}
    levels = StockLevel.objects.filter(part=part, location_id__in=ids)
    return {level.location_id: level.available for level in levels}


def reserve_source(*, part: SparePart, bag: StockLocation | None) -> Source | None:
    """The engineer's bag when it has a free unit, else the active central or regional
    store with most free units (then by name); None when no such place has one."""
    stores = list(StockLocation.objects.filter(kind__in=STORES, active=True).order_by("name", "pk"))
    candidates = ([bag] if bag is not None and bag.active else []) + stores
    free = _free_by_location(part, candidates)
    chosen: StockLocation | None = None
    if bag is not None and free.get(bag.pk, 0) > 0:
        chosen = bag
    else:
        best = max(stores, key=lambda s: free.get(s.pk, 0), default=None)
        if best is not None and free.get(best.pk, 0) > 0:
            chosen = best
    if chosen is None:
        return None
    serial = ""
    if part.is_main_component:
        unit = (
            SerialUnit.objects.filter(part=part, location=chosen, state=UnitState.IN_STOCK)
            .order_by("serial_number")
            .first()
        )
        serial = unit.serial_number if unit is not None else ""
    return Source(location=chosen, free=free.get(chosen.pk, 0), serial=serial)


def _already_held(request: ServiceRequest, part: SparePart) -> bool:
    held = any(line.part.pk == part.pk for line in selectors.reserved_lines(request))
    return held or services.issued_to(request=request, part=part) > 0


def dispatch_engineer(request: ServiceRequest, event: ServiceEvent | None = None) -> User | None:
    """The first engineer of the request: first of those the dispatch event named, else the
    first assigned (in the order they were assigned)."""
    ids = list((event.data or {}).get("engineer_ids") or []) if event is not None else []
    if ids:
        engineer = User.objects.filter(pk=ids[0]).first()
        if engineer is not None:
            return engineer
    through = ServiceRequest.engineers.through
    link = through.objects.filter(servicerequest=request).order_by("pk").first()
    return link.user if link is not None else None


@transaction.atomic
def parts_reserve_for_dispatch(
    *, request: ServiceRequest, engineer: User, user: User | None, event_id: int
) -> list[StockMovement]:
    """Reserve one unit of each part whose symptom keywords appear in the request's
    description (at most ``MAX_DISPATCH_PARTS``) that the request does not already hold or
    use. Returns the reservations made now (none on a replay of the same event)."""
    request = ServiceRequest.objects.get(pk=request.pk)
    if not request.is_open:
        return []
    bag = selectors.bag_of(engineer)
    made: list[StockMovement] = []
    for proposal in selectors.proposed_parts(request=request, engineer=engineer):
        if len(made) >= MAX_DISPATCH_PARTS:
            break
        part = proposal.part
        key = f"dispatch-{event_id}-{part.pk}"
        if not proposal.keywords or services.movement_by_key(key, user).exists():
            continue
        if _already_held(request, part):
            continue
        source = reserve_source(part=part, bag=bag)
        if source is None:
            continue
        try:
            with transaction.atomic():
                made.append(
                    services.stock_reserve(
                        request=request,
                        part=part,
                        location=source.location,
                        quantity=1,
                        serial=source.serial,
                        user=user,
                        note=_("Reserved on dispatch: %(words)s")
                        % {"words": ", ".join(proposal.keywords)},
                        idempotency_key=key,
                        # The dispatch was permitted; its reservation is the system's.
                        by_system=True,
                    )
                )
        except services.NotEnoughStock:
            # Another request took the last unit since we looked: skip this part.
            logger.info("dispatch of %s: %s gone at %s", request.pk, part.pk, source.location)
    return made


@transaction.atomic
def parts_release_for_request(*, request: ServiceRequest, user: User | None) -> list[StockMovement]:
    """Give back everything ``request`` still holds reserved (the request closed)."""
    released = []
    for line in selectors.reserved_lines(request):
        released.append(
            services.stock_unreserve(
                request=request,
                part=line.part,
                location=line.location,
                quantity=line.quantity,
                serial=line.serial_number,
                user=user,
                note=_("Released: the request is closed."),
                by_system=True,
            )
        )
    return released
