"""Parts used in a repair (issue 5 §2): a part leaves the engineer's stock for the request's
device and its line goes on the repair record, in one transaction.

Replacing a main component also moves serials: the removed one leaves the device (returned,
scrapped or sent for repair), the fitted one is installed and starts its own warranty on
the hospital's local date of the replacement (R-6.5; the term is the coverage rule's, in
``contracts.coverage``). Any refusal rolls everything back: the ledger, the serial units,
the device's components and the record change together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from assets.models import ComponentFate, MainComponent
from assets.services import hospital_today, main_component_add, main_component_replace
from core.errors import Conflict
from service.models import RepairRecord, ServiceRequest
from service.repair_records import parts as record_parts
from service.repair_records import services as records

from ..models import MovementKind, SerialUnit, SparePart, StockLocation, StockMovement, UnitState
from ..selectors import bag_of
from ..services import movement_by_key, stock_issue, stock_return

RETURN_KEY = "repair-return-{pk}"


class RepairPartsConflict(Conflict):
    """The request or its record refuses a change of parts (HTTP 409): nothing changed."""


@dataclass(frozen=True)
class PartUse:
    movement: StockMovement
    line: dict[str, Any]
    component: MainComponent | None  # the fitted main component, when one was replaced
    replayed: bool = False


def part_line_name(part: SparePart) -> str:
    """“<part number> <name>” in the site's language (the record is a document of the
    hospital's language, whoever fills it); the quantity is the line's own (issue 12 §2)."""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{part.part_number} {part.name}"


def _lock_request(request: ServiceRequest) -> ServiceRequest:
    """Lock the request first (the record's writes lock it first too): two submits with the
    same idempotency key serialise here and the second finds the first's movement."""
    return ServiceRequest.objects.select_for_update().get(pk=request.pk)


def record_takes_parts(request: ServiceRequest, record: RepairRecord | None) -> bool:
    """Parts may go onto the record: the request is open and its record saved, unsigned."""
    return request.is_open and record is not None and not record.is_frozen


def _check_state(request: ServiceRequest) -> None:
    """Why parts may not go onto the record now (409), if ``record_takes_parts`` says no."""
    record = RepairRecord.objects.filter(request=request).first()
    if record_takes_parts(request, record):
        return
    if not request.is_open:
        raise RepairPartsConflict("request_closed", _("This service request is closed."))
    if record is None:
        raise RepairPartsConflict(
            "no_record", _("Save the repair record first, then add the parts used.")
        )
    raise RepairPartsConflict("record_frozen", str(records.frozen_error().messages[0]))


def _replay(
    request: ServiceRequest, part: SparePart, key: str | None, user: User
) -> PartUse | None:
    if not key:
        return None
    movement = movement_by_key(key, user).select_related("serial_unit").first()
    if movement is None:
        return None
    if (
        movement.kind != MovementKind.ISSUE
        or movement.request_id != request.pk
        or movement.part_id != part.pk
    ):
        raise ValidationError(
            {"idempotency_key": _("This key was already used for another movement.")}
        )
    fitted = movement.serial_unit.serial_number if movement.serial_unit else ""
    component = None
    removed = ""
    if fitted:
        component = (
            MainComponent.objects.filter(device=request.device, serial_number=fitted)
            .select_related("replaces")
            .order_by("-pk")
            .first()
        )
        removed = component.replaces.serial_number if component and component.replaces else ""
    line = {
        "name": part_line_name(part),
        "quantity": movement.quantity,
        "serial_removed": removed,
        "serial_fitted": fitted,
    }
    return PartUse(movement=movement, line=line, component=component, replayed=True)


def _removed_component(
    *,
    request: ServiceRequest,
    part: SparePart,
    removed_component: MainComponent | None,
    removed_serial: str,
) -> MainComponent:
    """The component that comes out: a registered one of this device, or the typed serial
    registered first so that the device's history has both ends of the replacement."""
    device = request.device
    if removed_component is not None:
        if removed_component.device_id != device.pk or removed_component.removed_on is not None:
            raise ValidationError(
                {"removed_component": _("This component is not installed in this device.")}
            )
        return removed_component
    removed_serial = removed_serial.strip()
    if not removed_serial:
        raise ValidationError(
            {"removed_component": _("Choose the component removed, or type its serial number.")}
        )
    known = MainComponent.objects.filter(
        device=device, serial_number=removed_serial, removed_on__isnull=True
    ).first()
    if known is not None:
        return known
    with translation.override(settings.LANGUAGE_CODE):
        name = part.name
    try:
        return main_component_add(device=device, name=name, serial_number=removed_serial)
    except ValidationError as exc:
        raise ValidationError({"removed_serial": exc.messages}) from exc


def _retire_unit(*, request: ServiceRequest, serial: str, fate: str) -> None:
    """A removed serial that came from our stock (an earlier replacement) follows its fate:
    out of the device, at no location."""
    for unit in SerialUnit.objects.select_for_update().filter(
        device=request.device, serial_number=serial, state=UnitState.INSTALLED
    ):
        unit.state, unit.location, unit.device = fate, None, None
        unit.save(update_fields=["state", "location", "device", "updated_at"])


@transaction.atomic
def repair_part_use(
    *,
    request: ServiceRequest,
    part: SparePart,
    quantity: int,
    user: User,
    location: StockLocation | None = None,
    serial: str = "",
    removed_component: MainComponent | None = None,
    removed_serial: str = "",
    removal_fate: str = "",
    idempotency_key: str | None = None,
    occurred_at: datetime | None = None,
) -> PartUse:
    """Issue ``part`` from ``location`` (default: the user's bag) to ``request`` and write
    its line on the repair record. For a main component, ``serial`` is the unit fitted and
    the removed one is ``removed_component`` or the typed ``removed_serial``, with where it
    goes (``removal_fate``). The same ``idempotency_key`` again returns the first result.
    ``occurred_at``: when the part was used (default now; never in the future), which also
    dates a main component's replacement."""
    request = _lock_request(request)
    if replay := _replay(request, part, idempotency_key, user):
        return replay
    _check_state(request)
    location = location or bag_of(user)
    if location is None:
        raise ValidationError({"location": _("You have no bag: choose a stock location.")})
    serial = (serial or "").strip()
    component: MainComponent | None = None
    removed = ""
    if part.is_main_component:
        errors: dict[str, str] = {}
        if not serial:
            errors["serial"] = _("Choose the serial number of the unit fitted.")
        if removal_fate not in ComponentFate.values:
            errors["removal_fate"] = _(
                "Say where the removed component goes: returned, scrapped or sent for repair."
            )
        if removed_component is None and not removed_serial.strip():
            errors["removed_component"] = _(
                "Choose the component removed, or type its serial number."
            )
        if errors:
            raise ValidationError(errors)
    elif removed_component is not None or removed_serial.strip() or removal_fate:
        raise ValidationError(
            {"removed_component": _("Only a main component replaces a serial-tracked one.")}
        )

    movement = stock_issue(
        request=request,
        part=part,
        location=location,
        quantity=quantity,
        user=user,
        serial=serial,
        idempotency_key=idempotency_key,
        occurred_at=occurred_at,
    )
    if part.is_main_component:
        old = _removed_component(
            request=request,
            part=part,
            removed_component=removed_component,
            removed_serial=removed_serial,
        )
        try:
            component = main_component_replace(
                component=old,
                new_serial_number=serial,
                replaced_on=hospital_today(request.hospital)
                if occurred_at is None
                else timezone.localtime(occurred_at, ZoneInfo(request.hospital.time_zone)).date(),
                removal_fate=removal_fate,
            )
        except ValidationError as exc:
            # The form's names: the fitted serial is ``serial`` here.
            raise ValidationError(
                {
                    {"new_serial_number": "serial", "component": "removed_component"}.get(
                        field, field
                    ): messages
                    for field, messages in exc.message_dict.items()
                }
            ) from exc
        removed = old.serial_number
        _retire_unit(request=request, serial=removed, fate=removal_fate)
    line = {
        "name": part_line_name(part),
        "quantity": quantity,
        "serial_removed": removed,
        "serial_fitted": serial,
    }
    record_parts.repair_record_part_add(request=request, line=line, author=user)
    return PartUse(movement=movement, line=line, component=component)


def returnable_issues(request: ServiceRequest) -> list[StockMovement]:
    """Consumables issued to ``request`` (one issue each) not yet given back here."""
    issues = (
        StockMovement.objects.filter(
            request=request, kind=MovementKind.ISSUE, part__is_main_component=False
        )
        .select_related("part", "from_location")
        .order_by("pk")
    )
    returned = set(
        StockMovement.objects.filter(
            request=request,
            kind=MovementKind.RETURN,
            idempotency_key__in=[RETURN_KEY.format(pk=m.pk) for m in issues],
        ).values_list("idempotency_key", flat=True)
    )
    return [m for m in issues if RETURN_KEY.format(pk=m.pk) not in returned]


@transaction.atomic
def repair_part_return(
    *,
    request: ServiceRequest,
    movement: StockMovement,
    user: User,
    location: StockLocation | None = None,
    idempotency_key: str | None = None,
) -> StockMovement:
    """Give back an unused consumable issued to ``request`` by ``movement`` (to ``location``,
    default the user's bag, else where it came from) and drop its line from the record.

    A main component is not returned here: once fitted it is on the device's history, so a
    mistake is corrected by recording a new replacement. The return's ledger key derives
    from the issue, so an issue is given back at most once; ``idempotency_key`` is only
    checked for length (the API accepts it like every other write).
    """
    if idempotency_key and len(idempotency_key) > 64:
        raise ValidationError({"idempotency_key": _("Use at most 64 characters.")})
    request = _lock_request(request)
    key = RETURN_KEY.format(pk=movement.pk)
    # Whoever gave it back: an issue returns once (the key is derived from it, so only the
    # request's own returns are looked at, never another movement that took the same key).
    done = StockMovement.objects.filter(
        request=request, kind=MovementKind.RETURN, idempotency_key=key
    ).first()
    if done is not None:
        return done
    if movement.request_id != request.pk or movement.kind != MovementKind.ISSUE:
        raise ValidationError({"movement": _("This part was not issued to this request.")})
    part = movement.part
    if part.is_main_component:
        raise ValidationError(
            {
                "movement": _(
                    "A fitted main component is not returned: record a new replacement instead."
                )
            }
        )
    _check_state(request)
    target = location or bag_of(user) or movement.from_location
    if target is None:
        raise ValidationError({"location": _("Choose a stock location.")})
    returned = stock_return(
        request=request,
        part=part,
        location=target,
        quantity=movement.quantity,
        user=user,
        note=_("not used in the repair"),
        idempotency_key=key,
    )
    record_parts.repair_record_part_remove(
        request=request,
        line={"name": part_line_name(part), "quantity": movement.quantity},
        author=user,
    )
    return returned
