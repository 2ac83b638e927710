"""Writes of the duty roster (R-6.2): shifts, generation from a rotation, swaps, and the
daily gap alert.

Rules every write keeps (each refusal a ``ValidationError`` on its field, 422 in the API):
- a shift ends after it starts (``ends_at``);
- a person is never on two overlapping shifts, in any region (``user``): checked with the
  person's row locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE
  transaction holds the write lock), so two managers planning at once cannot both pass;
- one manager per region at a time (``role``): a second manager shift over the same time
  in the same region is refused (engineers: one or more);
- an engineer's shift goes to an engineer, a manager's to a manager (or an administrator).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.models import User, VendorRole
from core.timeutil import local_today
from customers.models import ServiceRegion
from notify.services import Notice, notices_send

from .models import (
    OPEN_SWAP_STATES,
    GapAlert,
    Rotation,
    Shift,
    ShiftRole,
    ShiftSwap,
    SwapState,
)
from .rotation import Slot, planned_shifts

GENERATE_DAYS = 60
MAX_SHIFT = timedelta(days=7)
ROLE_OF_SHIFT = {
    ShiftRole.ENGINEER: {VendorRole.ENGINEER},
    ShiftRole.MANAGER: {VendorRole.MANAGER, VendorRole.ADMIN},
}


def _is_office(user: User | None) -> bool:
    return bool(user and user.effective_vendor_role in {VendorRole.ADMIN, VendorRole.MANAGER})


def _lock_user(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).first()


def _check_shift(
    *,
    region: ServiceRegion,
    role: str,
    user: User,
    starts_at: datetime,
    ends_at: datetime,
    ignore: tuple[int, ...] = (),
) -> None:
    """Refuse a shift that breaks a rule of the roster; the caller holds ``user``'s lock."""
    if starts_at is None or ends_at is None:
        raise ValidationError({"starts_at": _("Give when the shift starts and ends.")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("A shift must end after it starts.")})
    if ends_at - starts_at > MAX_SHIFT:
        raise ValidationError({"ends_at": _("A shift lasts at most seven days.")})
    if role not in ROLE_OF_SHIFT:
        raise ValidationError({"role": _("Choose engineer or manager.")})
    if user.effective_vendor_role not in ROLE_OF_SHIFT[ShiftRole(role)] or not user.is_active:
        raise ValidationError(
            {
                "user": _("%(name)s cannot take this shift: it needs an active %(role)s.")
                % {"name": user, "role": ShiftRole(role).label}
            }
        )
    clash = (
        Shift.objects.overlapping(starts_at, ends_at)
        .filter(user=user)
        .exclude(pk__in=ignore)
        .select_related("region")
        .first()
    )
    if clash is not None:
        zone = ZoneInfo(clash.region.time_zone)
        raise ValidationError(
            {
                "user": _("%(name)s is already on duty from %(start)s to %(end)s (%(region)s).")
                % {
                    "name": user,
                    "start": clash.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    "end": clash.ends_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    "region": clash.region,
                }
            },
            code="overlap",
        )
    if role == ShiftRole.MANAGER:
        taken = (
            Shift.objects.overlapping(starts_at, ends_at)
            .filter(region=region, role=ShiftRole.MANAGER)
            .exclude(pk__in=ignore)
            .select_related("user")
            .first()
        )
        if taken is not None:
            raise ValidationError(
                {
                    "role": _("%(name)s is already the manager on duty for part of this time.")
                    % {"name": taken.user}
                },
                code="manager_taken",
            )


def _require_office(by: User | None) -> None:
    if not _is_office(by):
        raise PermissionDenied(_("Only a service manager plans the roster."))


@transaction.atomic
def shift_create(
    *,
    region: ServiceRegion,
    role: str,
    user: User,
    starts_at: datetime,
    ends_at: datetime,
    by: User | None,
    note: str = "",
) -> Shift:
    _require_office(by)
    _lock_user(user)
    _check_shift(region=region, role=role, user=user, starts_at=starts_at, ends_at=ends_at)
    shift = Shift(
        region=region, role=role, user=user, starts_at=starts_at, ends_at=ends_at, note=note
    )
    shift._change_reason = "created"  # type: ignore[attr-defined]
    shift.full_clean()
    shift.save()
    return shift


SHIFT_FIELDS = ("user", "starts_at", "ends_at", "note")


@transaction.atomic
def shift_update(*, shift: Shift, by: User | None, **data: Any) -> Shift:
    """Change a shift's person, times or note (a manager); the history keeps the old."""
    _require_office(by)
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    changes = {k: v for k, v in data.items() if k in SHIFT_FIELDS}
    for field, value in changes.items():
        setattr(shift, field, value)
    _lock_user(shift.user)
    _check_shift(
        region=shift.region,
        role=shift.role,
        user=shift.user,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        ignore=(shift.pk,),
    )
    shift.full_clean()
    shift.save()
    return shift


@dataclass(frozen=True)
class Generated:
    created: int
    skipped: list[str]  # why planned shifts were not created (a person already busy)


@transaction.atomic
def rotation_generate(
    *, rotation: Rotation, days: int = GENERATE_DAYS, today: date | None = None
) -> Generated:
    """Create the rotation's shifts for the region's local days ``today`` .. ``today + days
    - 1``. Idempotent: a (slot, start) that exists is left alone, edited or swapped since
    or not, so running it twice creates nothing new. A planned shift whose person is busy
    then is skipped and reported (and shows as a gap)."""
    rotation = (
        Rotation.objects.select_for_update(of=("self",))
        .select_related("region")
        .get(pk=rotation.pk)
    )
    zone = ZoneInfo(rotation.region.time_zone)
    today = today or local_today(rotation.region.time_zone)
    slots = [
        Slot(s.pk, s.role, s.weekday, s.start_time, s.duration, s.offset)
        for s in rotation.slots.all()
    ]
    members: dict[str, list[int]] = defaultdict(list)
    for member in rotation.members.order_by("role", "position"):
        members[member.role].append(member.user_id)
    planned = list(
        planned_shifts(
            slots=slots,
            members=members,
            starts_on=rotation.starts_on,
            period=rotation.period,
            zone=zone,
            first_day=today,
            last_day=today + timedelta(days=days - 1),
        )
    )
    if not planned:
        return Generated(0, [])
    first, last = min(p.starts_at for p in planned), max(p.ends_at for p in planned)
    existing = set(
        Shift.objects.filter(
            slot__rotation=rotation, starts_at__gte=first, starts_at__lte=last
        ).values_list("slot_id", "starts_at")
    )
    planned = [p for p in planned if (p.slot_id, p.starts_at) not in existing]
    users = {u.pk: u for u in User.objects.filter(pk__in={p.user_id for p in planned})}
    for user in sorted(users.values(), key=lambda u: u.pk):
        _lock_user(user)
    # The rules of ``_check_shift``, checked in memory against the shifts already there
    # (one query) and the ones planned before: thousands of shifts in a second.
    busy: dict[int, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    managers: list[tuple[datetime, datetime, str]] = []
    for shift in (
        Shift.objects.overlapping(first, last)
        .filter(Q(user_id__in=users) | Q(region=rotation.region, role=ShiftRole.MANAGER))
        .select_related("region", "user")
    ):
        if shift.user_id in users:
            busy[shift.user_id].append((shift.starts_at, shift.ends_at, str(shift.region)))
        if shift.region_id == rotation.region_id and shift.role == ShiftRole.MANAGER:
            managers.append((shift.starts_at, shift.ends_at, str(shift.user)))
    zone_name = rotation.region.time_zone
    rows, skipped = [], []
    for plan in planned:
        user = users[plan.user_id]
        problem = _planned_problem(plan, user, busy[user.pk], managers, zone_name)
        if problem:
            skipped.append(problem)
            continue
        busy[user.pk].append((plan.starts_at, plan.ends_at, str(rotation.region)))
        if plan.role == ShiftRole.MANAGER:
            managers.append((plan.starts_at, plan.ends_at, str(user)))
        rows.append(
            Shift(
                region=rotation.region,
                role=plan.role,
                user=user,
                starts_at=plan.starts_at,
                ends_at=plan.ends_at,
                slot_id=plan.slot_id,
            )
        )
    bulk_create_with_history(rows, Shift, batch_size=500)
    return Generated(len(rows), skipped)


def _planned_problem(plan, user: User, busy, managers, zone_name: str) -> str:
    """Why a generated shift cannot be created (the words of ``_check_shift``), or ""."""
    if user.effective_vendor_role not in ROLE_OF_SHIFT[ShiftRole(plan.role)] or not (
        user.is_active
    ):
        return _("%(name)s cannot take this shift: it needs an active %(role)s.") % {
            "name": user,
            "role": ShiftRole(plan.role).label,
        }
    zone = ZoneInfo(zone_name)
    for start, end, region in busy:
        if start < plan.ends_at and plan.starts_at < end:
            return _("%(name)s is already on duty from %(start)s to %(end)s (%(region)s).") % {
                "name": user,
                "start": start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                "end": end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                "region": region,
            }
    if plan.role == ShiftRole.MANAGER:
        for start, end, name in managers:
            if start < plan.ends_at and plan.starts_at < end:
                return _("%(name)s is already the manager on duty for part of this time.") % {
                    "name": name
                }
    return ""


def rotations_generate_ahead(*, days: int = GENERATE_DAYS) -> int:
    """Keep every active rotation generated ``days`` ahead (the daily job)."""
    return sum(
        rotation_generate(rotation=rotation, days=days).created
        for rotation in Rotation.objects.filter(active=True)
    )


# --- swaps ------------------------------------------------------------------------------
def _check_swap_result(swap: ShiftSwap) -> None:
    """Refuse a swap whose result would put someone on two overlapping shifts."""
    shift, other = swap.shift, swap.other_shift
    ignore = tuple(s.pk for s in (shift, other) if s is not None)
    for user in sorted({swap.proposed_by, swap.to_user}, key=lambda u: u.pk):
        _lock_user(user)
    _check_shift(
        region=shift.region,
        role=shift.role,
        user=swap.to_user,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        ignore=ignore,
    )
    if other is not None:
        try:
            _check_shift(
                region=other.region,
                role=other.role,
                user=swap.proposed_by,
                starts_at=other.starts_at,
                ends_at=other.ends_at,
                ignore=ignore,
            )
        except ValidationError as exc:
            raise ValidationError({"other_shift": exc.messages}) from exc
    # The two shifts swapped must not overlap each other either.
    if other is not None and other.starts_at < shift.ends_at and shift.starts_at < other.ends_at:
        raise ValidationError(
            {"other_shift": _("The two shifts overlap: swapping them changes nothing.")}
        )


@transaction.atomic
def shift_swap_propose(
    *,
    shift: Shift,
    by: User,
    to_user: User,
    other_shift: Shift | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ShiftSwap:
    """``by`` (the shift's person) offers the shift to ``to_user``, in exchange for
    ``other_shift`` (one of theirs) or as a hand-over."""
    now = now or timezone.now()
    shift = (
        Shift.objects.select_for_update(of=("self",))
        .select_related("region", "user")
        .get(pk=shift.pk)
    )
    if shift.user_id != by.pk:
        raise PermissionDenied(_("Only the person on this shift can offer it."))
    if to_user.pk == by.pk:
        raise ValidationError({"to_user": _("Choose a colleague: you cannot swap with yourself.")})
    if shift.ends_at <= now:
        raise ValidationError({"shift": _("This shift is over.")})
    if other_shift is not None:
        if other_shift.user_id != to_user.pk:
            raise ValidationError(
                {"other_shift": _("The shift in exchange must be one of the colleague's.")}
            )
        if other_shift.role != shift.role:
            raise ValidationError(
                {"other_shift": _("Only shifts of the same role can be swapped.")}
            )
        if other_shift.ends_at <= now:
            raise ValidationError({"other_shift": _("This shift is over.")})
    if ShiftSwap.objects.filter(shift=shift, state__in=OPEN_SWAP_STATES).exists():
        raise ValidationError({"shift": _("This shift is already offered.")})
    swap = ShiftSwap(
        shift=shift, other_shift=other_shift, proposed_by=by, to_user=to_user, note=note
    )
    _check_swap_result(swap)
    swap.save()
    notices_send(
        [
            Notice(
                users=[to_user],
                kind="duty_swap",
                subject=_("%(name)s offers you a duty shift") % {"name": by},
                body=_swap_text(swap),
                url=reverse("duty:swaps"),
                dedupe_key_prefix=f"duty-swap-{swap.pk}-proposed",
            )
        ]
    )
    return swap


def _swap_text(swap: ShiftSwap) -> str:
    zone = ZoneInfo(swap.shift.region.time_zone)

    def when(shift: Shift) -> str:
        return (
            f"{shift.starts_at.astimezone(zone):%Y-%m-%d %H:%M} - "
            f"{shift.ends_at.astimezone(zone):%Y-%m-%d %H:%M} ({shift.region})"
        )

    lines = [_("Shift: %(when)s") % {"when": when(swap.shift)}]
    if swap.other_shift is not None:
        lines.append(_("In exchange for: %(when)s") % {"when": when(swap.other_shift)})
    else:
        lines.append(_("A hand-over: nothing in exchange."))
    return "\n".join(lines)


def _open_swap(swap: ShiftSwap, *states: str) -> ShiftSwap:
    swap = (
        ShiftSwap.objects.select_for_update(of=("self",))
        .select_related("shift__region", "other_shift__region", "proposed_by", "to_user")
        .get(pk=swap.pk)
    )
    if swap.state not in states:
        raise ValidationError(
            {"state": _("This swap is %(state)s already.") % {"state": swap.get_state_display()}}
        )
    return swap


@transaction.atomic
def shift_swap_accept(*, swap: ShiftSwap, by: User, now: datetime | None = None) -> ShiftSwap:
    swap = _open_swap(swap, SwapState.PROPOSED)
    if by.pk != swap.to_user_id:
        raise PermissionDenied(_("Only the colleague asked can accept this swap."))
    _check_swap_result(swap)
    swap.state = SwapState.ACCEPTED
    swap.accepted_at = now or timezone.now()
    swap.save(update_fields=["state", "accepted_at", "updated_at"])
    managers = User.objects.filter(is_active=True, vendor_role=VendorRole.MANAGER)
    notices_send(
        [
            Notice(
                users=list(managers),
                kind="duty_swap",
                subject=_("A duty swap waits for your approval"),
                body=f"{swap.proposed_by} → {swap.to_user}\n{_swap_text(swap)}",
                url=reverse("duty:swaps"),
                dedupe_key_prefix=f"duty-swap-{swap.pk}-accepted",
            )
        ]
    )
    return swap


@transaction.atomic
def shift_swap_decline(*, swap: ShiftSwap, by: User, now: datetime | None = None) -> ShiftSwap:
    """The colleague declines, the proposer withdraws, or a manager refuses."""
    swap = _open_swap(swap, *OPEN_SWAP_STATES)
    if by.pk == swap.to_user_id:
        swap.state = SwapState.DECLINED
    elif by.pk == swap.proposed_by_id:
        swap.state = SwapState.WITHDRAWN
    elif _is_office(by):
        swap.state = SwapState.REJECTED
    else:
        raise PermissionDenied(_("You are not part of this swap."))
    swap.decided_by = by
    swap.decided_at = now or timezone.now()
    swap.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
    return swap


@transaction.atomic
def shift_swap_approve(*, swap: ShiftSwap, by: User, now: datetime | None = None) -> ShiftSwap:
    """A manager approves an accepted swap: the shifts change hands (the history of each
    shift keeps who had it)."""
    if not _is_office(by):
        raise PermissionDenied(_("Only a service manager approves a swap."))
    swap = _open_swap(swap, SwapState.ACCEPTED)
    shift = Shift.objects.select_for_update().get(pk=swap.shift_id)
    other = (
        Shift.objects.select_for_update().get(pk=swap.other_shift_id)
        if swap.other_shift_id
        else None
    )
    if shift.user_id != swap.proposed_by_id or (other and other.user_id != swap.to_user_id):
        raise ValidationError({"state": _("The shifts changed hands since: propose again.")})
    swap.shift, swap.other_shift = shift, other
    _check_swap_result(swap)
    shift.user = swap.to_user
    shift._change_reason = f"swap {swap.pk}"  # type: ignore[attr-defined]
    shift.save(update_fields=["user", "updated_at"])
    if other is not None:
        other.user = swap.proposed_by
        other._change_reason = f"swap {swap.pk}"  # type: ignore[attr-defined]
        other.save(update_fields=["user", "updated_at"])
    swap.state = SwapState.APPROVED
    swap.decided_by = by
    swap.decided_at = now or timezone.now()
    swap.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
    notices_send(
        [
            Notice(
                users=[swap.proposed_by, swap.to_user],
                kind="duty_swap",
                subject=_("Your duty swap is approved"),
                body=_swap_text(swap),
                url=reverse("duty:my_shifts"),
                dedupe_key_prefix=f"duty-swap-{swap.pk}-approved",
            )
        ]
    )
    return swap


# --- gap alerts -------------------------------------------------------------------------
@transaction.atomic
def duty_gaps_alert(*, now: datetime | None = None) -> list[GapAlert]:
    """Tell the service managers of every roster gap of the next 60 days not told before
    (the daily check). A gap is told once: its key is stored with the alert, in the same
    transaction as the inbox rows and e-mails (outbox)."""
    from .selectors import roster_gaps

    now = now or timezone.now()
    found = [gap for region_gaps in roster_gaps(now=now).values() for gap in region_gaps]
    if not found:
        return []
    told = set(
        GapAlert.objects.filter(key__in=[g.key for g in found]).values_list("key", flat=True)
    )
    fresh = [gap for gap in found if gap.key not in told]
    if not fresh:
        return []
    regions = ServiceRegion.objects.in_bulk({g.region_id for g in fresh})
    managers = list(User.objects.filter(is_active=True, vendor_role=VendorRole.MANAGER))
    alerts, notices = [], []
    for gap in fresh:
        alert = GapAlert.objects.create(
            key=gap.key,
            region_id=gap.region_id,
            role=gap.role,
            starts_at=None if gap.open_start else gap.starts_at,
            ends_at=None if gap.open_end else gap.ends_at,
            alerted_at=now,
        )
        alerts.append(alert)
        region = regions[gap.region_id]
        zone = ZoneInfo(region.time_zone)
        start = max(gap.starts_at, now).astimezone(zone)
        end = gap.ends_at.astimezone(zone)
        notices.append(
            Notice(
                users=managers,
                kind="duty_gap",
                subject=_("Roster gap: no %(role)s in %(region)s from %(start)s")
                % {
                    "role": ShiftRole(gap.role).label,
                    "region": region,
                    "start": f"{start:%Y-%m-%d %H:%M}",
                },
                body=_("Nobody covers %(role)s in %(region)s from %(start)s to %(end)s.")
                % {
                    "role": ShiftRole(gap.role).label,
                    "region": region,
                    "start": f"{start:%Y-%m-%d %H:%M}",
                    "end": f"{end:%Y-%m-%d %H:%M}",
                },
                url=reverse("duty:roster") + f"?region={region.pk}&day={start:%Y-%m-%d}",
                dedupe_key_prefix=f"duty-gap-{alert.pk}",
            )
        )
    notices_send(notices, now=now)
    return alerts
