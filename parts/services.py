"""Writes of the parts app: the catalogue and every stock movement (issue 5 §1-§2).

Every movement function is keyword-only and atomic: it locks the ``StockLevel`` rows it
touches (``SELECT … FOR UPDATE``, in location order so two transfers cannot deadlock),
checks the stock against the locked row, appends one ledger row and updates the level in
the same transaction. Bad input raises ``ValidationError`` by field and writes nothing;
too little stock raises ``NotEnoughStock`` (a ``ValidationError`` on ``quantity`` that the
API answers with 409). The same ``idempotency_key`` twice from the same user records the
movement once; keys are the user's own (another user's key finds nothing).

Each movement is checked against the acting user's stock powers (``parts.rules``) before
anything is read or written: ``StockPowerDenied`` (a ``PermissionDenied``, HTTP 403) when
the role may not make it. ``user=None`` and ``by_system=True`` are the system's own
movements (reservations on dispatch, their release on close), made because a step that was
itself permitted happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from assets.models import ProductModel
from core.modeling import validated_save
from service.models import ServiceRequest

from .models import (
    MAX_MOVEMENT_QUANTITY,
    LocationKind,
    MovementKind,
    SerialUnit,
    SparePart,
    StockLevel,
    StockLocation,
    StockMovement,
    UnitState,
)
from .rules import StockMove, movement_refusal

MAX_FUTURE = timedelta(minutes=5)
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


# --- shared checks ------------------------------------------------------------------------
def _now() -> datetime:
    return timezone.now()


def _check_power(user: User | None, move: StockMove, *, by_system: bool = False) -> None:
    if user is None or by_system:
        return
    refusal = movement_refusal(user, move)
    if refusal is not None:
        raise StockPowerDenied(field=refusal.field, message=refusal.message)


def _too_many() -> str:
    return _("At most %(max)s units move at once: split larger movements.") % {
        "max": f"{MAX_MOVEMENT_QUANTITY:,}"
    }


def _check_common(
    *,
    part: SparePart,
    quantity: int,
    serial: str,
    occurred_at: datetime | None,
    serial_optional: bool = False,
) -> datetime:
    errors: dict[str, str] = {}
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        errors["quantity"] = _("Give a whole number of at least 1.")
    elif quantity > MAX_MOVEMENT_QUANTITY:
        errors["quantity"] = _too_many()
    elif part.is_main_component and quantity != 1:
        errors["quantity"] = _("A serial-tracked part moves one unit at a time.")
    if part.is_main_component and not serial.strip() and not serial_optional:
        errors["serial"] = _("Give the serial number of the unit.")
    if not part.is_main_component and serial.strip():
        errors["serial"] = _("This part is not tracked by serial number.")
    now = _now()
    when = occurred_at or now
    if timezone.is_naive(when):
        errors["occurred_at"] = _("Give the time with its time zone.")
    elif when > now + MAX_FUTURE:
        errors["occurred_at"] = _("The time cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    return when


def _check_location(location: StockLocation | None, field: str) -> None:
    if location is None:
        raise ValidationError({field: _("Choose a stock location.")})
    if not location.active:
        raise ValidationError({field: _("This stock location is closed.")})


def _lock_levels(part: SparePart, locations: Sequence[StockLocation]) -> dict[int, StockLevel]:
    ids = sorted({location.pk for location in locations})
    for location_id in ids:
        # get_or_create survives a racing insert of the same row (it retries the get).
        StockLevel.objects.get_or_create(part=part, location_id=location_id)
    levels = StockLevel.objects.select_for_update().filter(part=part, location_id__in=ids)
    return {level.location_id: level for level in levels.order_by("location_id")}


def movement_by_key(idempotency_key: str, user: User | None) -> QuerySet[StockMovement]:
    """The movements ``user`` recorded under ``idempotency_key`` (keys are per user; the
    system's own movements, ``user=None``, share one space)."""
    movements = StockMovement.objects.filter(idempotency_key=idempotency_key)
    if user is None:
        return movements.filter(created_by__isnull=True)
    return movements.filter(created_by=user)


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


def _change(level: StockLevel, *, on_hand: int = 0, reserved: int = 0) -> None:
    level.on_hand += on_hand
    level.reserved += reserved
    level.save(update_fields=["on_hand", "reserved"])


def _record(**fields: Any) -> StockMovement:
    fields["idempotency_key"] = fields.get("idempotency_key") or None
    try:
        with transaction.atomic():
            return StockMovement.objects.create(recorded_at=_now(), **fields)
    except IntegrityError:
        # The same key on another part or location (their rows were not locked by us):
        # refuse, so the outer transaction rolls the level back too.
        if fields["idempotency_key"] is None:
            raise
        raise ValidationError(
            {"idempotency_key": _("This key was already used for another movement.")}
        ) from None


def _lock_unit(part: SparePart, serial: str) -> SerialUnit | None:
    return (
        SerialUnit.objects.select_for_update()
        .filter(part=part, serial_number=serial.strip())
        .first()
    )


def _unit_on_shelf(
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


def _unit_reserved_for(unit: SerialUnit) -> int | None:
    last = unit.movements.filter(kind=MovementKind.RESERVE).order_by("-pk").first()
    return last.request_id if last else None


def _sum(queryset) -> int:
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


def _check_open(request: ServiceRequest) -> None:
    if not ServiceRequest.objects.filter(pk=request.pk, is_open=True).exists():
        raise ValidationError({"request": _("This service request is closed.")})


# --- movements ----------------------------------------------------------------------------
@transaction.atomic
def stock_receive(
    *,
    part: SparePart,
    location: StockLocation,
    quantity: int,
    user: User | None,
    serial: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    """Goods in: a delivery arrives at ``location`` (a serial-tracked unit is created or
    comes back into stock)."""
    _check_power(user, StockMove(MovementKind.RECEIVE, location=location))
    when = _check_common(part=part, quantity=quantity, serial=serial, occurred_at=occurred_at)
    _check_location(location, "location")
    levels = _lock_levels(part, [location])
    if replay := _replayed(idempotency_key, part, user, MovementKind.RECEIVE):
        return replay
    unit = None
    if part.is_main_component:
        unit = _lock_unit(part, serial)
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
        if unit is None:
            unit = SerialUnit(part=part, serial_number=serial.strip())
        unit.state, unit.location, unit.device = UnitState.IN_STOCK, location, None
        validated_save(unit)
    _change(levels[location.pk], on_hand=quantity)
    return _record(
        kind=MovementKind.RECEIVE,
        part=part,
        quantity=quantity,
        to_location=location,
        serial_unit=unit,
        created_by=user,
        occurred_at=when,
        note=note,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def stock_transfer(
    *,
    part: SparePart,
    from_location: StockLocation,
    to_location: StockLocation,
    quantity: int,
    user: User | None,
    serial: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    """Free stock moves from one location to another (a bag is filled from a store)."""
    _check_power(
        user,
        StockMove(MovementKind.TRANSFER, from_location=from_location, to_location=to_location),
    )
    when = _check_common(part=part, quantity=quantity, serial=serial, occurred_at=occurred_at)
    _check_location(from_location, "from_location")
    _check_location(to_location, "to_location")
    if from_location.pk == to_location.pk:
        raise ValidationError({"to_location": _("Choose a different location.")})
    levels = _lock_levels(part, [from_location, to_location])
    if replay := _replayed(idempotency_key, part, user, MovementKind.TRANSFER):
        return replay
    unit = None
    if part.is_main_component:
        unit = _unit_on_shelf(part, serial, from_location, [UnitState.IN_STOCK])
    source = levels[from_location.pk]
    if quantity > source.available:
        raise NotEnoughStock(location=from_location, available=source.available)
    if unit is not None:
        unit.location = to_location
        unit.save(update_fields=["location", "updated_at"])
    _change(source, on_hand=-quantity)
    _change(levels[to_location.pk], on_hand=quantity)
    return _record(
        kind=MovementKind.TRANSFER,
        part=part,
        quantity=quantity,
        from_location=from_location,
        to_location=to_location,
        serial_unit=unit,
        created_by=user,
        occurred_at=when,
        note=note,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def stock_reserve(
    *,
    request: ServiceRequest,
    part: SparePart,
    location: StockLocation,
    quantity: int,
    user: User | None,
    serial: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    by_system: bool = False,
) -> StockMovement:
    """Hold stock at ``location`` for an open request. Two requests racing for the last
    unit serialise on the level's row lock: the first wins, the second is told how many
    are left (and the CHECK ``reserved <= on_hand`` is the backstop)."""
    _check_power(
        user,
        StockMove(MovementKind.RESERVE, location=location, request=request),
        by_system=by_system,
    )
    when = _check_common(
        part=part, quantity=quantity, serial=serial, occurred_at=occurred_at, serial_optional=True
    )
    _check_location(location, "location")
    _check_open(request)
    levels = _lock_levels(part, [location])
    if replay := _replayed(idempotency_key, part, user, MovementKind.RESERVE):
        return replay
    level = levels[location.pk]
    if quantity > level.available:
        raise NotEnoughStock(location=location, available=level.available)
    unit = None
    if part.is_main_component:
        if serial.strip():
            unit = _unit_on_shelf(part, serial, location, [UnitState.IN_STOCK])
        else:
            unit = (
                SerialUnit.objects.select_for_update()
                .filter(part=part, location=location, state=UnitState.IN_STOCK)
                .order_by("serial_number")
                .first()
            )
            if unit is None:  # the level and the units disagree: refuse, never guess
                raise NotEnoughStock(location=location, available=0)
        unit.state = UnitState.RESERVED
        unit.save(update_fields=["state", "updated_at"])
    _change(level, reserved=quantity)
    return _record(
        kind=MovementKind.RESERVE,
        part=part,
        quantity=quantity,
        from_location=location,
        request=request,
        serial_unit=unit,
        created_by=user,
        occurred_at=when,
        note=note,
        idempotency_key=idempotency_key,
    )


def _release(
    *,
    request: ServiceRequest,
    part: SparePart,
    location: StockLocation,
    quantity: int,
    unit: SerialUnit | None,
    level: StockLevel,
    user: User | None,
    when: datetime,
    note: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    if unit is not None:
        unit.state = UnitState.IN_STOCK
        unit.save(update_fields=["state", "updated_at"])
    _change(level, reserved=-quantity)
    return _record(
        kind=MovementKind.UNRESERVE,
        part=part,
        quantity=quantity,
        from_location=location,
        request=request,
        serial_unit=unit,
        created_by=user,
        occurred_at=when,
        note=note,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def stock_unreserve(
    *,
    request: ServiceRequest,
    part: SparePart,
    location: StockLocation,
    quantity: int,
    user: User | None,
    serial: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    by_system: bool = False,
) -> StockMovement:
    """Give back what ``request`` holds at ``location`` (all or part of it)."""
    _check_power(
        user,
        StockMove(MovementKind.UNRESERVE, location=location, request=request),
        by_system=by_system,
    )
    when = _check_common(
        part=part, quantity=quantity, serial=serial, occurred_at=occurred_at, serial_optional=True
    )
    _check_location(location, "location")
    levels = _lock_levels(part, [location])
    if replay := _replayed(idempotency_key, part, user, MovementKind.UNRESERVE):
        return replay
    held = reserved_for(request=request, part=part, location=location)
    if quantity > held:
        raise ValidationError(
            {
                "quantity": _("This request holds only %(n)s reserved at %(location)s.")
                % {"n": held, "location": location.name}
            }
        )
    unit = None
    if part.is_main_component:
        candidates = SerialUnit.objects.select_for_update().filter(
            part=part, location=location, state=UnitState.RESERVED
        )
        if serial.strip():
            candidates = candidates.filter(serial_number=serial.strip())
        unit = next((u for u in candidates if _unit_reserved_for(u) == request.pk), None)
        if unit is None:
            raise ValidationError({"serial": _("This request holds no such unit here.")})
    return _release(
        request=request,
        part=part,
        location=location,
        quantity=quantity,
        unit=unit,
        level=levels[location.pk],
        user=user,
        when=when,
        note=note,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def stock_issue(
    *,
    request: ServiceRequest,
    part: SparePart,
    location: StockLocation,
    quantity: int,
    user: User | None,
    serial: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    """Parts used in a repair leave ``location`` for the request's device. What the request
    had reserved there is consumed first (an ``unreserve`` line in the ledger), the rest
    must be free stock. A serial unit is installed in the device."""
    _check_power(user, StockMove(MovementKind.ISSUE, location=location, request=request))
    when = _check_common(part=part, quantity=quantity, serial=serial, occurred_at=occurred_at)
    _check_location(location, "location")
    _check_open(request)
    levels = _lock_levels(part, [location])
    if replay := _replayed(idempotency_key, part, user, MovementKind.ISSUE):
        return replay
    level = levels[location.pk]
    unit = None
    consumed = 0
    if part.is_main_component:
        unit = _unit_on_shelf(part, serial, location, [UnitState.IN_STOCK, UnitState.RESERVED])
        if unit.state == UnitState.RESERVED:
            if _unit_reserved_for(unit) != request.pk:
                raise ValidationError(
                    {"serial": _("This unit is reserved for another service request.")}
                )
            consumed = 1
        elif level.available < 1:
            raise NotEnoughStock(location=location, available=level.available)
    else:
        consumed = min(quantity, reserved_for(request=request, part=part, location=location))
        if quantity - consumed > level.available:
            raise NotEnoughStock(location=location, available=level.available + consumed)
    if consumed:
        _release(
            request=request,
            part=part,
            location=location,
            quantity=consumed,
            unit=unit,
            level=level,
            user=user,
            when=when,
            note=_("used in the repair"),
        )
    if unit is not None:
        unit.state, unit.location, unit.device = UnitState.INSTALLED, None, request.device
        unit.save(update_fields=["state", "location", "device", "updated_at"])
    _change(level, on_hand=-quantity)
    return _record(
        kind=MovementKind.ISSUE,
        part=part,
        quantity=quantity,
        from_location=location,
        request=request,
        serial_unit=unit,
        created_by=user,
        occurred_at=when,
        note=note,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def stock_return(
    *,
    request: ServiceRequest,
    part: SparePart,
    location: StockLocation,
    quantity: int,
    user: User | None,
    serial: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    """A part issued to ``request`` but not used comes back into stock at ``location``."""
    _check_power(user, StockMove(MovementKind.RETURN, location=location, request=request))
    when = _check_common(part=part, quantity=quantity, serial=serial, occurred_at=occurred_at)
    _check_location(location, "location")
    levels = _lock_levels(part, [location])
    if replay := _replayed(idempotency_key, part, user, MovementKind.RETURN):
        return replay
    net = issued_to(request=request, part=part)
    if quantity > net:
        raise ValidationError(
            {"quantity": _("Only %(n)s of this part were issued to this request.") % {"n": net}}
        )
    unit = None
    if part.is_main_component:
        unit = _lock_unit(part, serial)
        last_issue = (
            unit.movements.filter(kind=MovementKind.ISSUE).order_by("-pk").first()
            if unit is not None
            else None
        )
        if (
            unit is None
            or unit.state != UnitState.INSTALLED
            or last_issue is None
            or last_issue.request_id != request.pk
        ):
            raise ValidationError({"serial": _("This unit was not issued to this request.")})
        unit.state, unit.location, unit.device = UnitState.IN_STOCK, location, None
        unit.save(update_fields=["state", "location", "device", "updated_at"])
    _change(levels[location.pk], on_hand=quantity)
    return _record(
        kind=MovementKind.RETURN,
        part=part,
        quantity=quantity,
        to_location=location,
        request=request,
        serial_unit=unit,
        created_by=user,
        occurred_at=when,
        note=note,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def stock_write_off(
    *,
    part: SparePart,
    location: StockLocation,
    quantity: int,
    user: User | None,
    serial: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> StockMovement:
    """Free stock that is damaged or lost leaves the books (a serial unit is scrapped)."""
    _check_power(user, StockMove(MovementKind.WRITE_OFF, location=location))
    when = _check_common(part=part, quantity=quantity, serial=serial, occurred_at=occurred_at)
    if location is None:
        raise ValidationError({"location": _("Choose a stock location.")})
    if not note.strip():
        raise ValidationError({"note": _("Say why the stock is written off.")})
    levels = _lock_levels(part, [location])
    if replay := _replayed(idempotency_key, part, user, MovementKind.WRITE_OFF):
        return replay
    level = levels[location.pk]
    unit = None
    if part.is_main_component:
        unit = _unit_on_shelf(part, serial, location, [UnitState.IN_STOCK])
    if quantity > level.available:
        raise NotEnoughStock(location=location, available=level.available)
    if unit is not None:
        unit.state, unit.location = UnitState.SCRAPPED, None
        unit.save(update_fields=["state", "location", "updated_at"])
    _change(level, on_hand=-quantity)
    return _record(
        kind=MovementKind.WRITE_OFF,
        part=part,
        quantity=quantity,
        from_location=location,
        serial_unit=unit,
        created_by=user,
        occurred_at=when,
        note=note,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def stock_count_correct(
    *,
    part: SparePart,
    location: StockLocation,
    counted: int,
    user: User | None,
    occurred_at: datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> StockMovement | None:
    """A stocktake found ``counted`` units: the ledger gets the difference (None when the
    books were right). Serial-tracked parts are counted unit by unit instead (receive or
    write off the unit), so they are refused here."""
    _check_power(user, StockMove(MovementKind.COUNT_CORRECTION, location=location))
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise ValidationError({"counted": _("Give a whole number of 0 or more.")})
    if part.is_main_component:
        raise ValidationError(
            {"part": _("Serial-tracked parts are counted unit by unit: receive or write off.")}
        )
    when = _check_common(part=part, quantity=1, serial="", occurred_at=occurred_at)
    if location is None:
        raise ValidationError({"location": _("Choose a stock location.")})
    levels = _lock_levels(part, [location])
    if replay := _replayed(idempotency_key, part, user, MovementKind.COUNT_CORRECTION):
        return replay
    level = levels[location.pk]
    if counted < level.reserved:
        raise ValidationError(
            {
                "counted": _(
                    "%(n)s are reserved here: release the reservations before counting fewer."
                )
                % {"n": level.reserved}
            }
        )
    difference = counted - level.on_hand
    if difference == 0:
        return None
    if abs(difference) > MAX_MOVEMENT_QUANTITY:
        raise ValidationError({"counted": _too_many()})
    _change(level, on_hand=difference)
    return _record(
        kind=MovementKind.COUNT_CORRECTION,
        part=part,
        quantity=abs(difference),
        from_location=location if difference < 0 else None,
        to_location=location if difference > 0 else None,
        created_by=user,
        occurred_at=when,
        note=note,
        idempotency_key=idempotency_key,
    )


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
    fields the kind needs are there, then calls that kind's service."""
    given = {
        "quantity": quantity,
        "counted": counted,
        "location": location,
        "from_location": from_location,
        "to_location": to_location,
        "request": request,
    }
    if kind not in MovementKind.values:
        raise ValidationError({"kind": _("Unknown kind of movement.")})
    needs = ["counted"] if kind == MovementKind.COUNT_CORRECTION else ["quantity"]
    needs += ["from_location", "to_location"] if kind == MovementKind.TRANSFER else ["location"]
    if kind in REQUEST_KINDS:
        needs.append("request")
    missing = {name: _("This field is required.") for name in needs if given[name] is None}
    if missing:
        raise ValidationError(missing)
    common: dict[str, Any] = {
        "part": part,
        "user": user,
        "occurred_at": occurred_at,
        "note": note,
        "idempotency_key": idempotency_key,
    }
    if kind == MovementKind.COUNT_CORRECTION:
        assert counted is not None and location is not None  # checked above
        return stock_count_correct(counted=counted, location=location, **common)
    common.update(quantity=quantity, serial=serial)
    if kind == MovementKind.TRANSFER:
        assert from_location is not None and to_location is not None  # checked above
        return stock_transfer(from_location=from_location, to_location=to_location, **common)
    common["location"] = location
    if kind in REQUEST_KINDS:
        common["request"] = request
    actions: dict[str, Callable[..., StockMovement]] = {
        MovementKind.RECEIVE: stock_receive,
        MovementKind.RESERVE: stock_reserve,
        MovementKind.UNRESERVE: stock_unreserve,
        MovementKind.ISSUE: stock_issue,
        MovementKind.RETURN: stock_return,
        MovementKind.WRITE_OFF: stock_write_off,
    }
    return actions[kind](**common)


REQUEST_KINDS = {
    MovementKind.RESERVE,
    MovementKind.UNRESERVE,
    MovementKind.ISSUE,
    MovementKind.RETURN,
}
