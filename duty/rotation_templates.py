"""Writing a rotation template (R-6.2) from the manager's page: its name, region, first
day, turn, slots and the people of each role in order. What it generates is
``duty.rotation`` (pure) and ``duty.services.rotation_generate``.

Every refusal is a ``ValidationError`` on its field (``slots``, ``members_<role>`` for the
lists), so the page shows it in the form and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import ServiceRegion

from .models import Rotation, RotationMember, RotationPeriod, RotationSlot, ShiftRole
from .services import MAX_SHIFT, ROLE_OF_SHIFT, _require_office

NAME_MAX = 100
MAX_SLOTS = 14
MAX_MEMBERS = 50
MAX_OFFSET = 50
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 1, 1)


@dataclass(frozen=True)
class SlotInput:
    """One slot as typed: ``id`` of the slot it changes, or None for a new one."""

    role: str
    weekday: int | None
    start_time: time
    duration: timedelta
    offset: int = 0
    id: int | None = None


def _slot_errors(rotation: Rotation | None, slots: Sequence[SlotInput]) -> list[str]:
    errors: list[str] = []
    if not slots:
        errors.append(_("Add at least one slot: a start time and a duration."))
    elif len(slots) > MAX_SLOTS:
        errors.append(_("Use at most %(count)d slots.") % {"count": MAX_SLOTS})
    known = set(rotation.slots.values_list("pk", flat=True)) if rotation is not None else set()
    for number, slot in enumerate(slots, start=1):
        where = _("Slot %(number)d") % {"number": number}
        if slot.role not in ShiftRole.values:
            errors.append(_("%(slot)s: choose engineer or manager.") % {"slot": where})
        if slot.weekday is not None and not 0 <= slot.weekday <= 6:
            errors.append(_("%(slot)s: choose a weekday or every day.") % {"slot": where})
        if not timedelta(minutes=15) <= slot.duration <= MAX_SHIFT:
            errors.append(
                _("%(slot)s: a shift lasts from 15 minutes to %(days)d days.")
                % {"slot": where, "days": MAX_SHIFT.days}
            )
        if not 0 <= slot.offset <= MAX_OFFSET:
            errors.append(
                _("%(slot)s: the offset is between 0 and %(max)d.")
                % {"slot": where, "max": MAX_OFFSET}
            )
        if slot.id is not None and slot.id not in known:
            errors.append(_("%(slot)s is not a slot of this rotation.") % {"slot": where})
    return errors


def _member_errors(role: str, people: Sequence[User], needed: bool) -> list[str]:
    errors: list[str] = []
    allowed = ROLE_OF_SHIFT[ShiftRole(role)]
    if needed and not people:
        errors.append(_("A slot of this role needs at least one person."))
    if len(people) > MAX_MEMBERS:
        errors.append(_("Use at most %(count)d people.") % {"count": MAX_MEMBERS})
    seen: set[int] = set()
    for person in people:
        if person.pk in seen:
            errors.append(_("%(name)s is in the order twice.") % {"name": person})
        seen.add(person.pk)
        if not person.is_active or person.effective_vendor_role not in allowed:
            errors.append(
                _("%(name)s cannot take this role on duty.") % {"name": person}
                if person.is_active
                else _("%(name)s is no longer active.") % {"name": person}
            )
    return errors


@transaction.atomic
def rotation_save(
    *,
    by: User,
    rotation: Rotation | None,
    name: str,
    region: ServiceRegion,
    starts_on: date,
    period: int,
    active: bool,
    slots: Sequence[SlotInput],
    members: Mapping[str, Sequence[User]],
) -> Rotation:
    """Create (``rotation`` None) or change a rotation with its slots and people. A slot
    kept keeps its id, so the shifts it generated stay its own and are not generated
    twice; a slot removed leaves its shifts on the roster, no longer linked."""
    _require_office(by)
    if rotation is not None:
        rotation = Rotation.objects.select_for_update().get(pk=rotation.pk)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the rotation a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("Use at most %(count)d characters.") % {"count": NAME_MAX}]
    if period not in RotationPeriod.values:
        errors["period"] = [_("Choose daily or weekly turns.")]
    if not FIRST_DAY <= starts_on <= LAST_DAY:
        errors["starts_on"] = [_("Choose a day between 2000 and 2100.")]
    if slot_errors := _slot_errors(rotation, slots):
        errors["slots"] = slot_errors
    roles_needed = {slot.role for slot in slots}
    for role in ShiftRole.values:
        if problems := _member_errors(role, members.get(role, ()), role in roles_needed):
            errors[f"members_{role}"] = problems
    if errors:
        raise ValidationError(errors)

    if rotation is None:
        rotation = Rotation(region=region)
    else:
        rotation.region = region
    rotation.name, rotation.starts_on, rotation.period, rotation.active = (
        name,
        starts_on,
        period,
        active,
    )
    rotation.save()
    kept = {slot.id for slot in slots if slot.id is not None}
    rotation.slots.exclude(pk__in=kept).delete()
    for slot in slots:
        fields = {
            "role": slot.role,
            "weekday": slot.weekday,
            "start_time": slot.start_time,
            "duration": slot.duration,
            "offset": slot.offset,
        }
        if slot.id is None:
            RotationSlot.objects.create(rotation=rotation, **fields)
        else:
            RotationSlot.objects.filter(pk=slot.id, rotation=rotation).update(**fields)
    rotation.members.all().delete()
    RotationMember.objects.bulk_create(
        RotationMember(rotation=rotation, role=role, user=person, position=position)
        for role in ShiftRole.values
        for position, person in enumerate(members.get(role, ()))
    )
    return rotation
