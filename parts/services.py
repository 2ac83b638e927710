"""Writes of the parts app: the catalogue and every stock movement (issue 5 §1-§2).

Every movement goes through the one ledger routine, ``parts.stock.ledger.stock_move`` (issue 11
§4): it checks the acting user's stock powers (``StockPowerDenied``, HTTP 403, when the role
may not make it), checks the input (``ValidationError`` by field), locks the ``StockLevel``
rows it touches in location order, replays a key already used, checks the stock against the
locked rows (``NotEnoughStock``, a ``ValidationError`` on ``quantity`` that the API answers
with 409), then appends one ledger row and updates the level in the same transaction. Each
kind's differences are a row of ``parts.stock.ledger.RULES``; the functions here are its public
names. The same ``idempotency_key`` twice from the same user records the movement once;
keys are the user's own (another user's key finds nothing).

``user=None`` and ``by_system=True`` are the system's own movements (reservations on
dispatch, their release on close), made because a step that was itself permitted happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from assets.models import ProductModel
from core.modeling import validated_save
from service.models import ServiceRequest

from .models import LocationKind, MovementKind, SparePart, StockLocation, StockMovement

# The exceptions and reads of the ledger are re-exported (``as``): callers name them from
# here, as they did when the movements lived in this module.
from .stock.ledger import RULES, Move, stock_move
from .stock.ledger import NotEnoughStock as NotEnoughStock
from .stock.ledger import StockPowerDenied as StockPowerDenied
from .stock.ledger import issued_to as issued_to
from .stock.ledger import movement_by_key as movement_by_key
from .stock.ledger import reserved_for as reserved_for

PART_FIELDS = (
    "part_number",
    "name_zh",
    "name_en",
    "symptom_keywords",
    "is_main_component",
    "unit",
    "cost_price",
    "list_price",
    "currency",
    "active",
)


# --- catalogue ----------------------------------------------------------------------------
@transaction.atomic
def part_create(*, product_models: Iterable[ProductModel] = (), **fields: Any) -> SparePart:
    unknown = set(fields) - set(PART_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    part = validated_save(SparePart(**fields))
    part.product_models.set(list(product_models))
    return part


@transaction.atomic
def part_update(
    *,
    part: SparePart,
    data: dict[str, Any],
    product_models: Iterable[ProductModel] | None = None,
) -> SparePart:
    part = SparePart.objects.select_for_update().get(pk=part.pk)
    changes_tracking = data.get("is_main_component", part.is_main_component) != (
        part.is_main_component
    )
    if changes_tracking and part.movements.exists():
        raise ValidationError(
            {
                "is_main_component": _(
                    "This part already has stock movements: its tracking cannot change."
                )
            }
        )
    for name in PART_FIELDS:
        if name in data:
            setattr(part, name, data[name])
    validated_save(part)
    if product_models is not None:
        part.product_models.set(list(product_models))
    return part


@transaction.atomic
def stock_location_create(
    *, kind: str, name: str, engineer: User | None = None, active: bool = True
) -> StockLocation:
    if kind == LocationKind.ENGINEER_BAG:
        if engineer is None:
            raise ValidationError({"engineer": _("A bag belongs to an engineer.")})
        if StockLocation.objects.filter(kind=kind, engineer=engineer).exists():
            raise ValidationError({"engineer": _("This engineer already has a bag.")})
    elif engineer is not None:
        raise ValidationError({"engineer": _("Only a bag belongs to an engineer.")})
    return validated_save(StockLocation(kind=kind, name=name, engineer=engineer, active=active))


# --- movements: thin names for the ledger's kinds (parts.stock.ledger.RULES) ---------
# Each function's keyword arguments are a TypedDict (PEP 692), so that type checkers check
# every call as against a written-out signature, while the eight signatures are not eight
# copies of the same lines.
class _Options(TypedDict, total=False):
    occurred_at: datetime | None  # when it happened (default now; at most 5 minutes ahead)
    note: str
    idempotency_key: str | None  # the same key from the same user records once


class CountArgs(_Options):
    part: SparePart
    location: StockLocation
    counted: int
    user: User | None


class _MoveArgs(_Options):
    part: SparePart
    quantity: int
    user: User | None
    serial: NotRequired[str]  # the unit of a serial-tracked part


class ShelfArgs(_MoveArgs):
    location: StockLocation


class TransferArgs(_MoveArgs):
    from_location: StockLocation
    to_location: StockLocation


class RequestArgs(ShelfArgs):
    request: ServiceRequest


class SystemRequestArgs(RequestArgs, total=False):
    by_system: bool  # the system's own movement: the user's stock powers are not asked


def _moved(move: Move) -> StockMovement:
    movement = stock_move(move)
    assert movement is not None, "only a count that finds the books right records nothing"
    return movement


def stock_receive(**args: Unpack[ShelfArgs]) -> StockMovement:
    """Goods in: a delivery arrives at ``location`` (a serial-tracked unit is created or
    comes back into stock)."""
    return _moved(Move(MovementKind.RECEIVE, **args))


def stock_transfer(**args: Unpack[TransferArgs]) -> StockMovement:
    """Free stock moves from one location to another (a bag is filled from a store)."""
    return _moved(Move(MovementKind.TRANSFER, **args))


def stock_reserve(**args: Unpack[SystemRequestArgs]) -> StockMovement:
    """Hold stock at ``location`` for an open request. Two requests racing for the last
    unit serialise on the level's row lock: the first wins, the second is told how many
    are left (and the CHECK ``reserved <= on_hand`` is the backstop)."""
    return _moved(Move(MovementKind.RESERVE, **args))


def stock_unreserve(**args: Unpack[SystemRequestArgs]) -> StockMovement:
    """Give back what ``request`` holds at ``location`` (all or part of it)."""
    return _moved(Move(MovementKind.UNRESERVE, **args))


def stock_issue(**args: Unpack[RequestArgs]) -> StockMovement:
    """Parts used in a repair leave ``location`` for the request's device. What the request
    had reserved there is consumed first (an ``unreserve`` line in the ledger), the rest
    must be free stock. A serial unit is installed in the device."""
    return _moved(Move(MovementKind.ISSUE, **args))


def stock_return(**args: Unpack[RequestArgs]) -> StockMovement:
    """A part issued to ``request`` but not used comes back into stock at ``location``."""
    return _moved(Move(MovementKind.RETURN, **args))


def stock_write_off(**args: Unpack[ShelfArgs]) -> StockMovement:
    """Free stock that is damaged or lost leaves the books (a serial unit is scrapped);
    ``note`` says why."""
    return _moved(Move(MovementKind.WRITE_OFF, **args))


def stock_count_correct(**args: Unpack[CountArgs]) -> StockMovement | None:
    """A stocktake found ``counted`` units: the ledger gets the difference (None when the
    books were right). Serial-tracked parts are counted unit by unit instead (receive or
    write off the unit), so they are refused here."""
    return stock_move(Move(MovementKind.COUNT_CORRECTION, **args))


def stock_movement_record(
    *,
    kind: str,
    part: SparePart,
    user: User | None,
    quantity: int | None = None,
    counted: int | None = None,
    location: StockLocation | None = None,
    from_location: StockLocation | None = None,
    to_location: StockLocation | None = None,
    request: ServiceRequest | None = None,
    serial: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> StockMovement | None:
    """One movement of any ``kind`` (the API and the movement form): checks that the
    fields the kind needs are there (its row of the ledger's rules says which), then
    records it."""
    given: dict[str, Any] = {
        "quantity": quantity,
        "counted": counted,
        "location": location,
        "from_location": from_location,
        "to_location": to_location,
        "request": request,
    }
    if kind not in MovementKind.values:
        raise ValidationError({"kind": _("Unknown kind of movement.")})
    needs = RULES[kind].needs
    missing = {name: _("This field is required.") for name in needs if given[name] is None}
    if missing:
        raise ValidationError(missing)
    inputs = {name: given[name] for name in needs}
    return stock_move(
        Move(
            kind,
            part,
            user,
            serial=serial,
            occurred_at=occurred_at,
            note=note,
            idempotency_key=idempotency_key,
            **inputs,
        )
    )
