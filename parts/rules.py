"""Who may see and change parts and stock: vendor staff only (prices and stock are the
vendor's own business; hospital users are refused, see docs/decisions.md).

Stock powers (issue 10 §8): the office (administrator, service manager) may record every
movement. An engineer moves only their own bag: takes stock from a store into it and gives
it back (a transfer with the own bag at one end and a central or regional store at the
other), issues from it and takes returns into it for the requests they are assigned to,
and reserves or releases for those requests in the bag or a store. Goods in, write-offs and
count corrections are the office's. Hotline agents see stock but move none. The services
check this themselves (``movement_refusal``), so the API, every page and any later caller
are refused alike; the views only hide what would be refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import rules
from django.utils.translation import gettext as _

from accounts.rules import (
    is_engineer,
    is_vendor_office,
    is_vendor_staff,
    is_vendor_technical,
)
from service.models import ServiceRequest

from .models import LocationKind, MovementKind, StockLocation

rules.add_perm("parts.view_sparepart", is_vendor_staff)
rules.add_perm("parts.add_sparepart", is_vendor_office)
rules.add_perm("parts.change_sparepart", is_vendor_office)
rules.add_perm("parts.view_stocklevel", is_vendor_staff)
rules.add_perm("parts.add_stocklocation", is_vendor_office)
# May open the movement pages at all; which movement is allowed is ``movement_refusal``.
rules.add_perm("parts.add_stockmovement", is_vendor_technical)
# Goods in, write-offs and count corrections: the forms offer these kinds only to the office.
rules.add_perm("parts.adjust_stock", is_vendor_office)
# Loaner units: everyone on the vendor side sees who has which loaner; engineers and
# the office install and take back; only the office registers a unit.
rules.add_perm("parts.view_loanerunit", is_vendor_staff)
rules.add_perm("parts.add_loanerunit", is_vendor_office)
rules.add_perm("parts.add_loan", is_vendor_technical)
# Engineers and the office send a unit to repair and put it back in service; retiring it for
# good is the office's call, like registering it.
rules.add_perm("parts.change_loanerunit", is_vendor_technical)
rules.add_perm("parts.retire_loanerunit", is_vendor_office)

OFFICE_KINDS = frozenset(
    {MovementKind.RECEIVE, MovementKind.WRITE_OFF, MovementKind.COUNT_CORRECTION}
)
STORE_KINDS = frozenset({LocationKind.CENTRAL, LocationKind.REGIONAL})


@dataclass(frozen=True)
class StockMove:
    """What a movement would do, for the check, named as the services name their
    arguments: a transfer has ``from_location`` and ``to_location``, every other kind
    ``location``; reserve, release, issue and return have a ``request``."""

    kind: str
    location: StockLocation | None = None
    from_location: StockLocation | None = None
    to_location: StockLocation | None = None
    request: ServiceRequest | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a user may not make a movement, and the field it is about."""

    field: str
    message: str


def _own_bag(user, location: StockLocation | None) -> bool:
    return (
        location is not None
        and location.kind == LocationKind.ENGINEER_BAG
        and location.engineer_id == user.pk
    )


def _store(location: StockLocation | None) -> bool:
    return location is not None and location.kind in STORE_KINDS


def _assigned(user, request: ServiceRequest | None) -> bool:
    return request is not None and request.engineers.filter(pk=user.pk).exists()


def _engineer_refusal(user, move: StockMove) -> Refusal | None:
    """An engineer's movement, checked against their own bag and their requests."""
    if move.kind in OFFICE_KINDS:
        return Refusal(
            "kind", _("Goods in, write-offs and count corrections are recorded by the office.")
        )
    if move.kind == MovementKind.TRANSFER:
        source, target = move.from_location, move.to_location
        if (_own_bag(user, source) and _store(target)) or (
            _store(source) and _own_bag(user, target)
        ):
            return None
        return Refusal(
            "to_location" if _own_bag(user, source) else "from_location",
            _("You may move stock only between your own bag and a central or regional store."),
        )
    if move.kind in {MovementKind.ISSUE, MovementKind.RETURN} and not _own_bag(user, move.location):
        return Refusal(
            "location", _("You may issue parts from, and return them to, your own bag only.")
        )
    if not (_own_bag(user, move.location) or _store(move.location)):
        return Refusal("location", _("You may reserve parts only in your own bag or in a store."))
    if not _assigned(user, move.request):
        return Refusal("request", _("You are not assigned to this service request."))
    return None


def movement_refusal(user, move: StockMove) -> Refusal | None:
    """None when ``user`` may make ``move``, else why not (see the module's docstring)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Refusal("kind", _("You may not move stock."))
    if is_vendor_office(user):
        return None
    if is_engineer(user):
        return _engineer_refusal(user, move)
    return Refusal("kind", _("You may see stock, but not move it."))
