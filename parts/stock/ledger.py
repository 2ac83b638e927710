"""The stock ledger (issue 11 §4): the one routine every stock movement goes through.

Every movement takes the same steps, in one transaction:

1. check the acting user's stock powers (``parts.rules``), then the input, in the kind's
   order (the order decides which error a user sees when two apply); nothing is locked yet;
2. lock the ``StockLevel`` rows it touches (``SELECT … FOR UPDATE``, in location order, so two
   transfers cannot deadlock);
3. replay: the same ``idempotency_key`` from the same user returns the movement it recorded
   (keys are the user's own: another user's key finds nothing);
4. check against the locked rows: enough free stock, the right serial unit (locked too), what
   the request holds or was issued;
5. apply and record: move the serial unit, change the level columns, append one ledger row.

What differs between the eight kinds is data, ``RULES``: which location arguments a kind
takes, its checks before and after the lock, what it does to which level column, and where
its serial unit ends up. Bad input raises ``ValidationError`` by field and writes nothing; too
little stock raises ``NotEnoughStock`` (the API's 409); a refused power raises
``StockPowerDenied`` (403). ``parts.services`` keeps the public functions (``stock_receive``
…) as thin calls of ``stock_move``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.modeling import validated_save
from service.models import ServiceRequest

from ..models import (
    MAX_MOVEMENT_QUANTITY,
    MovementKind,
    SerialUnit,
    SparePart,
    StockLevel,
    StockLocation,
    StockMovement,
    UnitState,
)
from ..rules import StockMove, movement_refusal

MAX_FUTURE = timedelta(minutes=5)

Place = Literal["location", "from_location", "to_location"]


class NotEnoughStock(ValidationError):
    """Fewer units free at the location than asked for: nothing was written."""

    def __init__(self, *, location: StockLocation, available: int) -> None:
        self.location = location
        self.available = max(available, 0)
        self.text = _("Only %(n)s left at %(location)s.") % {
            "n": self.available,
            "location": location.name,
        }
        super().__init__({"quantity": ValidationError(self.text, code="not_enough_stock")})


class StockPowerDenied(PermissionDenied):
    """The user's role may not make this movement (HTTP 403): nothing was written.
    ``field`` is the input it is about, ``message`` says why."""

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- the rule table's vocabulary ------------------------------------------------------------
@dataclass(frozen=True)
class Effect:
    """``sign`` × the moved quantity on the level ``column`` at the location argument
    ``place``. Stock coming in (on hand, up) is the ledger row's ``to_location``; every other
    change is its ``from_location``."""

    place: Place
    column: Literal["on_hand", "reserved"]
    sign: Literal[1, -1]

    @property
    def comes_in(self) -> bool:
        return self.column == "on_hand" and self.sign > 0


@dataclass(frozen=True)
class UnitAfter:
    """Where a serial unit ends up: its new state (None: unchanged), its location (kept, the
    movement's target, or none: it left the shelf) and its device (kept, none, or the
    request's device it is installed in)."""

    state: str | None = None
    location: Literal["keep", "target", "none"] = "keep"
    device: Literal["keep", "none", "request"] = "keep"


Check = Callable[["Move"], None]


@dataclass(frozen=True)
class KindRule:
    """What one kind of movement is, as data: the inputs it requires (a quantity or a count,
    its locations, a request), its effects on the levels, its checks before and after the
    lock (in the order the user is told), and where its serial unit goes."""

    kind: str
    needs: tuple[str, ...]  # its required inputs, in the order a missing one is reported
    effects: tuple[Effect, ...]
    before_lock: tuple[Check, ...]
    after_lock: tuple[Check, ...]
    unit_after: UnitAfter | None = None
    serial_optional: bool = False  # the ledger picks a unit when none is named
    # where a named unit must be for the kind to take it from the shelf
    shelf_states: frozenset[str] = frozenset({UnitState.IN_STOCK})

    @property
    def places(self) -> tuple[Place, ...]:
        """The location arguments it takes, a transfer's source first."""
        return tuple(cast(Place, name) for name in self.needs if name.endswith("location"))


@dataclass
class Move:
    """One movement on its way through the ledger: the input (only the arguments its kind
    takes), then what the steps found (the time, the locked levels and unit, how much of the
    request's reservation an issue consumes, the level effects)."""

    kind: str
    part: SparePart
    user: User | None
    quantity: int = 0
    counted: int | None = None
    serial: str = ""
    location: StockLocation | None = None
    from_location: StockLocation | None = None
    to_location: StockLocation | None = None
    request: ServiceRequest | None = None
    occurred_at: datetime | None = None
    note: str = ""
    idempotency_key: str | None = None
    by_system: bool = False
    # found on the way
    when: datetime | None = None
    levels: dict[int, StockLevel] | None = None
    unit: SerialUnit | None = None
    consumed: int = 0
    effects: tuple[Effect, ...] = ()

    @property
    def rule(self) -> KindRule:
        return RULES[self.kind]

    def at(self, place: Place) -> StockLocation:
        location = getattr(self, place)
        assert location is not None, "the checks before the lock refuse a missing location"
        return location

    @property
    def source(self) -> StockLocation:
        return self.at(self.rule.places[0])

    @property
    def target(self) -> StockLocation:
        return self.at(self.rule.places[-1])

    def level(self, place: Place) -> StockLevel:
        assert self.levels is not None, "locked before the checks after the lock"
        return self.levels[self.at(place).pk]

    @property
    def for_request(self) -> ServiceRequest:
        assert self.request is not None, "a kind that takes a request requires it"
        return self.request


# --- the routine ------------------------------------------------------------------------------
@transaction.atomic
def stock_move(move: Move) -> StockMovement | None:
    """Check, lock, replay, check again, apply and record ``move`` (see the module's
    docstring). None only for a count that found the books right."""
    rule = move.rule
    if move.user is not None and not move.by_system:
        refusal = movement_refusal(
            move.user,
            StockMove(
                move.kind,
                location=move.location,
                from_location=move.from_location,
                to_location=move.to_location,
                request=move.request,
            ),
        )
        if refusal is not None:
            raise StockPowerDenied(field=refusal.field, message=refusal.message)
    for check in rule.before_lock:
        check(move)
    move.levels = _lock_levels(move.part, [move.at(place) for place in rule.places])
    if replay := _replayed(move.idempotency_key, move.part, move.user, move.kind):
        return replay
    move.effects = rule.effects
    for check in rule.after_lock:
        check(move)
    if move.quantity == 0:  # a count that found the books right: nothing to record
        return None
    if move.consumed:
        # What the request held here is used first: its release is a ledger line of its own.
        release = RULES[MovementKind.UNRESERVE]
        _apply(move, release, move.consumed, release.effects, note=_("used in the repair"))
    return _apply(move, rule, move.quantity, move.effects, note=move.note, key=move.idempotency_key)


def _apply(
    move: Move,
    rule: KindRule,
    quantity: int,
    effects: tuple[Effect, ...],
    *,
    note: str,
    key: str | None = None,
) -> StockMovement:
    """Move the unit, change the levels and append the ledger row of ``rule``'s kind."""
    if move.unit is not None and rule.unit_after is not None:
        _place_unit(move, rule.unit_after)
    for effect in effects:
        level = move.level(effect.place)
        setattr(level, effect.column, getattr(level, effect.column) + effect.sign * quantity)
        level.save(update_fields=["on_hand", "reserved"])
    return _record(
        kind=rule.kind,
        part=move.part,
        quantity=quantity,
        from_location=next((move.at(e.place) for e in effects if not e.comes_in), None),
        to_location=next((move.at(e.place) for e in effects if e.comes_in), None),
        request=move.request,
        serial_unit=move.unit,
        created_by=move.user,
        occurred_at=move.when,
        note=note,
        idempotency_key=key or None,
    )


def _place_unit(move: Move, after: UnitAfter) -> None:
    unit = move.unit
    assert unit is not None
    fields = []
    if after.state is not None:
        unit.state = after.state
        fields.append("state")
    if after.location != "keep":
        unit.location = move.target if after.location == "target" else None
        fields.append("location")
    if after.device != "keep":
        unit.device = move.for_request.device if after.device == "request" else None
        fields.append("device")
    if unit._state.adding:  # a unit received for the first time: validate its serial number
        validated_save(unit)
    else:
        unit.save(update_fields=[*fields, "updated_at"])


def _record(**fields: object) -> StockMovement:
    try:
        with transaction.atomic():
            return StockMovement.objects.create(recorded_at=timezone.now(), **fields)
    except IntegrityError:
        # The same key on another part or location (their rows were not locked by us):
        # refuse, so the outer transaction rolls the level back too.
        if fields["idempotency_key"] is None:
            raise
        raise ValidationError(
            {"idempotency_key": _("This key was already used for another movement.")}
        ) from None


def _lock_levels(part: SparePart, locations: Sequence[StockLocation]) -> dict[int, StockLevel]:
    ids = sorted({location.pk for location in locations})
    for location_id in ids:
        # get_or_create survives a racing insert of the same row (it retries the get).
        StockLevel.objects.get_or_create(part=part, location_id=location_id)
    levels = StockLevel.objects.select_for_update().filter(part=part, location_id__in=ids)
    return {level.location_id: level for level in levels.order_by("location_id")}


def _replayed(
    idempotency_key: str | None, part: SparePart, user: User | None, kind: str
) -> StockMovement | None:
    """The movement this user already recorded under this key (a resent form), if any."""
    if not idempotency_key:
        return None
    if len(idempotency_key) > 64:
        raise ValidationError({"idempotency_key": _("Use at most 64 characters.")})
    movement = movement_by_key(idempotency_key, user).first()
    if movement is not None and (movement.part_id != part.pk or movement.kind != kind):
        raise ValidationError(
            {"idempotency_key": _("This key was already used for another movement.")}
        )
    return movement


# --- reads of the ledger ------------------------------------------------------------------------
def movement_by_key(idempotency_key: str, user: User | None) -> QuerySet[StockMovement]:
    """The movements ``user`` recorded under ``idempotency_key`` (keys are per user; the
    system's own movements, ``user=None``, share one space)."""
    movements = StockMovement.objects.filter(idempotency_key=idempotency_key)
    if user is None:
        return movements.filter(created_by__isnull=True)
    return movements.filter(created_by=user)


def _sum(queryset: QuerySet[StockMovement]) -> int:
    return int(queryset.aggregate(total=Sum("quantity"))["total"] or 0)


def reserved_for(*, request: ServiceRequest, part: SparePart, location: StockLocation) -> int:
    """What ``request`` holds reserved of ``part`` at ``location`` (from the ledger)."""
    rows = StockMovement.objects.filter(request=request, part=part, from_location=location)
    return _sum(rows.filter(kind=MovementKind.RESERVE)) - _sum(
        rows.filter(kind=MovementKind.UNRESERVE)
    )


def issued_to(*, request: ServiceRequest, part: SparePart) -> int:
    """Units of ``part`` issued to ``request`` net of returns."""
    rows = StockMovement.objects.filter(request=request, part=part)
    return _sum(rows.filter(kind=MovementKind.ISSUE)) - _sum(rows.filter(kind=MovementKind.RETURN))


def _unit_reserved_for(unit: SerialUnit) -> int | None:
    last = unit.movements.filter(kind=MovementKind.RESERVE).order_by("-pk").first()
    return last.request_id if last else None


# --- checks before the lock -------------------------------------------------------------------
def _too_many() -> str:
    return _("At most %(max)s units move at once: split larger movements.") % {
        "max": f"{MAX_MOVEMENT_QUANTITY:,}"
    }


def _when(occurred_at: datetime | None) -> tuple[datetime, str | None]:
    """When the movement happened (now when not said), and what is wrong with it."""
    now = timezone.now()
    when = occurred_at or now
    if timezone.is_naive(when):
        return when, _("Give the time with its time zone.")
    if when > now + MAX_FUTURE:
        return when, _("The time cannot be in the future.")
    return when, None


def _valid_input(move: Move) -> None:
    """Quantity, serial number and time, answered together (a form marks every field)."""
    part, quantity, serial = move.part, move.quantity, move.serial
    errors: dict[str, str] = {}
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        errors["quantity"] = _("Give a whole number of at least 1.")
    elif quantity > MAX_MOVEMENT_QUANTITY:
        errors["quantity"] = _too_many()
    elif part.is_main_component and quantity != 1:
        errors["quantity"] = _("A serial-tracked part moves one unit at a time.")
    if part.is_main_component and not serial.strip() and not move.rule.serial_optional:
        errors["serial"] = _("Give the serial number of the unit.")
    if not part.is_main_component and serial.strip():
        errors["serial"] = _("This part is not tracked by serial number.")
    move.when, time_error = _when(move.occurred_at)
    if time_error:
        errors["occurred_at"] = time_error
    if errors:
        raise ValidationError(errors)


def _valid_time(move: Move) -> None:
    """A count's only input of its own besides the number counted."""
    move.when, time_error = _when(move.occurred_at)
    if time_error:
        raise ValidationError({"occurred_at": time_error})


def _check_places(move: Move, *, open_only: bool) -> None:
    for place in move.rule.places:
        location = getattr(move, place)
        if location is None:
            raise ValidationError({place: _("Choose a stock location.")})
        if open_only and not location.active:
            raise ValidationError({place: _("This stock location is closed.")})


def _locations_given(move: Move) -> None:
    _check_places(move, open_only=False)


def _locations_open(move: Move) -> None:
    _check_places(move, open_only=True)


def _distinct_locations(move: Move) -> None:
    if move.source.pk == move.target.pk:
        raise ValidationError({"to_location": _("Choose a different location.")})


def _request_open(move: Move) -> None:
    if not ServiceRequest.objects.filter(pk=move.for_request.pk, is_open=True).exists():
        raise ValidationError({"request": _("This service request is closed.")})


def _note_given(move: Move) -> None:
    if not move.note.strip():
        raise ValidationError({"note": _("Say why the stock is written off.")})


def _counted_valid(move: Move) -> None:
    counted = move.counted
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise ValidationError({"counted": _("Give a whole number of 0 or more.")})


def _counted_by_unit(move: Move) -> None:
    if move.part.is_main_component:
        raise ValidationError(
            {"part": _("Serial-tracked parts are counted unit by unit: receive or write off.")}
        )


# --- checks after the lock ----------------------------------------------------------------------
def _lock_unit(part: SparePart, serial: str) -> SerialUnit | None:
    return (
        SerialUnit.objects.select_for_update()
        .filter(part=part, serial_number=serial.strip())
        .first()
    )


def _shelf_unit(
    part: SparePart, serial: str, location: StockLocation, states: Iterable[str]
) -> SerialUnit:
    unit = _lock_unit(part, serial)
    if unit is None:
        raise ValidationError({"serial": _("There is no unit with this serial number.")})
    if unit.location_id != location.pk or unit.state not in set(states):
        raise ValidationError(
            {
                "serial": _("Unit %(serial)s is not available at %(location)s.")
                % {"serial": unit.serial_number, "location": location.name}
            }
        )
    return unit


def _enough_free(move: Move) -> None:
    """The free stock at the source covers what is not taken from the request's own
    reservation; the row lock serialises two movements racing for the last unit (and the
    CHECK ``reserved <= on_hand`` is the backstop)."""
    free = move.level(move.rule.places[0]).available
    if move.quantity - move.consumed > free:
        raise NotEnoughStock(location=move.source, available=free + move.consumed)


def _unit_on_shelf(move: Move) -> None:
    if move.part.is_main_component:
        move.unit = _shelf_unit(move.part, move.serial, move.source, move.rule.shelf_states)


def _unit_arrives(move: Move) -> None:
    """A received serial unit is new, or comes back into stock from where it went."""
    if not move.part.is_main_component:
        return
    unit = _lock_unit(move.part, move.serial)
    if unit is not None and unit.state in {
        UnitState.IN_STOCK,
        UnitState.RESERVED,
        UnitState.INSTALLED,
    }:
        raise ValidationError(
            {
                "serial": _("Unit %(serial)s is already %(state)s.")
                % {"serial": unit.serial_number, "state": unit.get_state_display()}
            }
        )
    move.unit = unit or SerialUnit(part=move.part, serial_number=move.serial.strip())


def _unit_to_reserve(move: Move) -> None:
    """The named unit, or the first free one on the shelf."""
    if not move.part.is_main_component:
        return
    if move.serial.strip():
        _unit_on_shelf(move)
        return
    move.unit = (
        SerialUnit.objects.select_for_update()
        .filter(part=move.part, location=move.source, state=UnitState.IN_STOCK)
        .order_by("serial_number")
        .first()
    )
    if move.unit is None:  # the level and the units disagree: refuse, never guess
        raise NotEnoughStock(location=move.source, available=0)


def _request_holds_enough(move: Move) -> None:
    held = reserved_for(request=move.for_request, part=move.part, location=move.source)
    if move.quantity > held:
        raise ValidationError(
            {
                "quantity": _("This request holds only %(n)s reserved at %(location)s.")
                % {"n": held, "location": move.source.name}
            }
        )


def _unit_held_by_request(move: Move) -> None:
    if not move.part.is_main_component:
        return
    candidates = SerialUnit.objects.select_for_update().filter(
        part=move.part, location=move.source, state=UnitState.RESERVED
    )
    if move.serial.strip():
        candidates = candidates.filter(serial_number=move.serial.strip())
    move.unit = next((u for u in candidates if _unit_reserved_for(u) == move.for_request.pk), None)
    if move.unit is None:
        raise ValidationError({"serial": _("This request holds no such unit here.")})


def _consume_reservation(move: Move) -> None:
    """An issue uses what the request reserved here first; the rest must be free stock."""
    request = move.for_request
    if move.unit is None:  # a part not tracked by serial number
        held = reserved_for(request=request, part=move.part, location=move.source)
        move.consumed = min(move.quantity, held)
    elif move.unit.state == UnitState.RESERVED:
        if _unit_reserved_for(move.unit) != request.pk:
            raise ValidationError(
                {"serial": _("This unit is reserved for another service request.")}
            )
        move.consumed = 1


def _request_issued_enough(move: Move) -> None:
    net = issued_to(request=move.for_request, part=move.part)
    if move.quantity > net:
        raise ValidationError(
            {"quantity": _("Only %(n)s of this part were issued to this request.") % {"n": net}}
        )


def _unit_issued_to_request(move: Move) -> None:
    if not move.part.is_main_component:
        return
    unit = _lock_unit(move.part, move.serial)
    last_issue = (
        unit.movements.filter(kind=MovementKind.ISSUE).order_by("-pk").first()
        if unit is not None
        else None
    )
    if (
        unit is None
        or unit.state != UnitState.INSTALLED
        or last_issue is None
        or last_issue.request_id != move.for_request.pk
    ):
        raise ValidationError({"serial": _("This unit was not issued to this request.")})
    move.unit = unit


def _counted_not_below_reserved(move: Move) -> None:
    reserved = move.level("location").reserved
    if move.counted is not None and move.counted < reserved:
        raise ValidationError(
            {
                "counted": _(
                    "%(n)s are reserved here: release the reservations before counting fewer."
                )
                % {"n": reserved}
            }
        )


def _count_difference(move: Move) -> None:
    """The ledger gets the difference between the count and the books, in its direction."""
    assert move.counted is not None
    difference = move.counted - move.level("location").on_hand
    if abs(difference) > MAX_MOVEMENT_QUANTITY:
        raise ValidationError({"counted": _too_many()})
    move.quantity = abs(difference)
    move.effects = (Effect("location", "on_hand", 1 if difference > 0 else -1),)


# --- the rule table ---------------------------------------------------------------------------
_IN = Effect("location", "on_hand", 1)
_OUT = Effect("location", "on_hand", -1)

RULES: dict[str, KindRule] = {
    rule.kind: rule
    for rule in (
        # Goods in: a delivery arrives (a serial unit is created or comes back into stock).
        KindRule(
            MovementKind.RECEIVE,
            needs=("quantity", "location"),
            effects=(_IN,),
            unit_after=UnitAfter(UnitState.IN_STOCK, location="target", device="none"),
            before_lock=(_valid_input, _locations_open),
            after_lock=(_unit_arrives,),
        ),
        # Free stock moves from one location to another (a bag is filled from a store).
        KindRule(
            MovementKind.TRANSFER,
            needs=("quantity", "from_location", "to_location"),
            effects=(Effect("from_location", "on_hand", -1), Effect("to_location", "on_hand", 1)),
            unit_after=UnitAfter(location="target"),
            before_lock=(_valid_input, _locations_open, _distinct_locations),
            after_lock=(_unit_on_shelf, _enough_free),
        ),
        # Hold free stock for an open request (the named unit, or the first free one).
        KindRule(
            MovementKind.RESERVE,
            needs=("quantity", "location", "request"),
            effects=(Effect("location", "reserved", 1),),
            unit_after=UnitAfter(UnitState.RESERVED),
            serial_optional=True,
            before_lock=(_valid_input, _locations_open, _request_open),
            after_lock=(_enough_free, _unit_to_reserve),
        ),
        # Give back what a request holds (all or part of it; any of its units when none is
        # named).
        KindRule(
            MovementKind.UNRESERVE,
            needs=("quantity", "location", "request"),
            effects=(Effect("location", "reserved", -1),),
            unit_after=UnitAfter(UnitState.IN_STOCK),
            serial_optional=True,
            before_lock=(_valid_input, _locations_open),
            after_lock=(_request_holds_enough, _unit_held_by_request),
        ),
        # Parts used in a repair leave for the request's device (its reservation first).
        KindRule(
            MovementKind.ISSUE,
            needs=("quantity", "location", "request"),
            effects=(_OUT,),
            unit_after=UnitAfter(UnitState.INSTALLED, location="none", device="request"),
            shelf_states=frozenset({UnitState.IN_STOCK, UnitState.RESERVED}),
            before_lock=(_valid_input, _locations_open, _request_open),
            after_lock=(_unit_on_shelf, _consume_reservation, _enough_free),
        ),
        # A part issued to a request but not used comes back into stock.
        KindRule(
            MovementKind.RETURN,
            needs=("quantity", "location", "request"),
            effects=(_IN,),
            unit_after=UnitAfter(UnitState.IN_STOCK, location="target", device="none"),
            before_lock=(_valid_input, _locations_open),
            after_lock=(_request_issued_enough, _unit_issued_to_request),
        ),
        # Damaged or lost free stock leaves the books (a serial unit is scrapped); a closed
        # location can still write off what is left there.
        KindRule(
            MovementKind.WRITE_OFF,
            needs=("quantity", "location"),
            effects=(_OUT,),
            unit_after=UnitAfter(UnitState.SCRAPPED, location="none"),
            before_lock=(_valid_input, _locations_given, _note_given),
            after_lock=(_unit_on_shelf, _enough_free),
        ),
        # A stocktake: the difference, in or out as the count says (serial parts are counted
        # unit by unit instead: received or written off).
        KindRule(
            MovementKind.COUNT_CORRECTION,
            needs=("counted", "location"),
            effects=(),  # in or out: the count decides
            before_lock=(_counted_valid, _counted_by_unit, _valid_time, _locations_given),
            after_lock=(_counted_not_below_reserved, _count_difference),
        ),
    )
}
