"""Pages of the duty roster (R-6.2): the roster of a region for a week or a month (gaps in
red; the office edits, adds and generates), my shifts (cards, for a phone), swaps, and two
fragments other pages load by URL name: the roster-gaps panel (a manager's home) and who is
on duty now for a hospital (the service request page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from core.forms import add_service_errors, id_from
from core.http import safe_next
from core.permissions import require_perm
from customers.models import Hospital, ServiceRegion

from . import rotation_templates, selectors, services
from .forms import (
    MemberFormSet,
    RotationForm,
    ShiftForm,
    SlotFormSet,
    SwapForm,
    member_initial,
    slot_initial,
)
from .gaps import Gap
from .models import OPEN_SWAP_STATES, Rotation, Shift, ShiftRole, ShiftSwap

GET_POST = require_http_methods(["GET", "POST"])


@dataclass
class RosterDay:
    day: date
    engineers: list[Shift] = field(default_factory=list)
    managers: list[Shift] = field(default_factory=list)
    gaps: list[tuple[str, datetime, datetime]] = field(default_factory=list)


def _parse_day(value: str | None, default: date) -> date:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return default
    return day if date(2000, 1, 1) <= day <= date(2100, 1, 1) else default


def _region(request: AuthenticatedHttpRequest) -> ServiceRegion | None:
    regions = ServiceRegion.objects.all()
    wanted = id_from(request.GET.get("region"))
    return (regions.filter(pk=wanted).first() if wanted else None) or regions.first()


def _days(region: ServiceRegion, first: date, count: int, gaps: list[Gap]) -> list[RosterDay]:
    zone = ZoneInfo(region.time_zone)
    start, end = selectors.local_window(region, first, count)
    days = {first + timedelta(days=n): RosterDay(first + timedelta(days=n)) for n in range(count)}
    for shift in selectors.region_shifts(region=region, start=start, end=end):
        day = max(shift.starts_at.astimezone(zone).date(), first)
        if day in days:
            target = days[day].managers if shift.role == ShiftRole.MANAGER else days[day].engineers
            target.append(shift)
    for gap in gaps:
        # A gap is shown on every local day it touches, clipped to that day.
        cursor = max(gap.starts_at, start)
        while cursor < min(gap.ends_at, end):
            local = cursor.astimezone(zone)
            day_end = datetime.combine(local.date() + timedelta(days=1), local.time().min, zone)
            piece_end = min(gap.ends_at, day_end)
            if local.date() in days:
                days[local.date()].gaps.append((gap.role, cursor, piece_end))
            cursor = piece_end
    return list(days.values())


@login_required
@require_GET
def roster(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A region's roster for a week (default) or a month, one row per local day."""
    require_perm(request, "duty.view_shift")
    region = _region(request)
    if region is None:
        return render(request, "duty/roster.html", {"region": None})
    today = timezone.now().astimezone(ZoneInfo(region.time_zone)).date()
    span = "month" if request.GET.get("span") == "month" else "week"
    day = _parse_day(request.GET.get("day"), today)
    if span == "month":
        first = day.replace(day=1)
        count = ((first + timedelta(days=32)).replace(day=1) - first).days
        previous, following = (
            (first - timedelta(days=1)).replace(day=1),
            first + timedelta(days=count),
        )
    else:
        first = day - timedelta(days=day.weekday())
        count = 7
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    start, end = selectors.local_window(region, first, count)
    now = timezone.now()
    # Gaps are judged from now on: the past is not a gap any more.
    window_start = max(start, now)
    gaps = (
        selectors.gaps_in(region_ids=[region.pk], start=window_start, end=end)[region.pk]
        if window_start < end
        else []
    )
    return render(
        request,
        "duty/roster.html",
        {
            "region": region,
            "regions": ServiceRegion.objects.all(),
            "span": span,
            "first": first,
            "previous": previous,
            "following": following,
            "today": today,
            "days": _days(region, first, count, gaps),
            "gap_count": len(gaps),
            "rotations": Rotation.objects.filter(region=region),
            "can_edit": request.user.has_perm("duty.change_shift"),
            "zone": region.time_zone,
        },
    )


def _shift_form_page(request, form, shift=None) -> HttpResponse:
    return render(request, "duty/shift_form.html", {"form": form, "shift": shift})


@login_required
@GET_POST
def shift_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "duty.add_shift")
    initial = {"region": id_from(request.GET.get("region"))}
    form = ShiftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            shift = services.shift_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The shift is on the roster."))
            return _back_to_roster(shift)
    return _shift_form_page(request, form)


def _back_to_roster(shift: Shift):
    zone = ZoneInfo(shift.region.time_zone)
    return redirect(
        f"{_roster_url()}?region={shift.region_id}&day={shift.starts_at.astimezone(zone):%Y-%m-%d}"
    )


def _roster_url() -> str:
    return reverse("duty:roster")


@login_required
@GET_POST
def shift_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    shift = get_object_or_404(
        Shift.objects.for_user(request.user).select_related("region", "user"), pk=pk
    )
    require_perm(request, "duty.change_shift", shift)
    form = ShiftForm(request.POST or None, shift=shift)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("user", "starts_at", "ends_at", "note")}
        try:
            shift = services.shift_update(shift=shift, by=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The shift is changed."))
            return _back_to_roster(shift)
    history = shift.history.select_related("user").order_by("-history_date")[:20]  # type: ignore[attr-defined]
    return render(
        request, "duty/shift_form.html", {"form": form, "shift": shift, "history": history}
    )


@login_required
@require_POST
def generate(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Generate a rotation's shifts for the next 60 days (idempotent)."""
    require_perm(request, "duty.generate_rotation")
    rotation = get_object_or_404(Rotation, pk=id_from(request.POST.get("rotation")) or 0)
    result = services.rotation_generate(rotation=rotation)
    messages.success(
        request,
        _("%(count)d new shifts generated for the next %(days)d days.")
        % {"count": result.created, "days": services.GENERATE_DAYS},
    )
    for reason in result.skipped[:5]:
        messages.warning(request, reason)
    return redirect(safe_next(request, f"{_roster_url()}?region={rotation.region_id}"))


@login_required
@require_GET
def my_shifts(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "duty.view_shift")
    shifts = selectors.my_shifts(user=request.user)
    offered = set(
        ShiftSwap.objects.filter(shift__in=shifts, state__in=OPEN_SWAP_STATES).values_list(
            "shift_id", flat=True
        )
    )
    waiting = ShiftSwap.objects.filter(to_user=request.user, state="proposed").count()
    return render(
        request,
        "duty/my_shifts.html",
        {
            "shifts": shifts,
            "offered": offered,
            "waiting": waiting,
            "now": timezone.now(),
            "can_swap": request.user.has_perm("duty.propose_swap"),
        },
    )


@login_required
@GET_POST
def swap_propose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Offer a shift to a colleague (the shift's own person only; others see the shift)."""
    shift = get_object_or_404(
        Shift.objects.for_user(request.user).select_related("region", "user"), pk=pk
    )
    own = shift.user_id == request.user.pk and request.user.has_perm("duty.propose_swap")
    form = SwapForm(request.POST or None, shift=shift)
    if request.method == "POST":
        if not own:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.shift_swap_propose(shift=shift, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your colleague is asked; then a manager approves."))
                return redirect("duty:swaps")
    return render(request, "duty/swap_form.html", {"form": form, "shift": shift, "own": own})


@login_required
@require_GET
def swaps(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "duty.view_shift")
    user = request.user
    visible = ShiftSwap.objects.for_user(user).select_related(
        "shift__region", "other_shift__region", "proposed_by", "to_user", "decided_by"
    )
    can_approve = user.has_perm("duty.approve_swap")
    return render(
        request,
        "duty/swaps.html",
        {
            "to_answer": visible.filter(to_user=user, state="proposed"),
            "to_approve": visible.filter(state="accepted") if can_approve else [],
            "mine": visible.filter(proposed_by=user)[:30],
            "recent": visible.exclude(state__in=OPEN_SWAP_STATES)[:30] if can_approve else [],
            "can_approve": can_approve,
            "swap_answer": [
                ("accept", _("Accept"), "btn-success"),
                ("decline", _("Decline"), "btn-outline-secondary"),
            ],
            "swap_approve": [
                ("approve", _("Approve"), "btn-success"),
                ("decline", _("Refuse"), "btn-outline-danger"),
            ],
            "swap_withdraw": [("decline", _("Withdraw"), "btn-outline-secondary")],
        },
    )


SWAP_ACTIONS = {
    "accept": services.shift_swap_accept,
    "decline": services.shift_swap_decline,
    "approve": services.shift_swap_approve,
}


@login_required
@require_POST
def swap_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    swap = get_object_or_404(ShiftSwap.objects.for_user(request.user), pk=pk)
    act = SWAP_ACTIONS.get(action)
    if act is None:
        return redirect("duty:swaps")
    try:
        act(swap=swap, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Done."))
    return redirect("duty:swaps")


@login_required
@require_GET
def gaps_panel(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Fragment: the roster gaps of the next 60 days in every region (a manager's home)."""
    require_perm(request, "duty.view_shift")
    now = timezone.now()
    regions = list(ServiceRegion.objects.filter(hospitals__isnull=False).distinct())
    found = selectors.roster_gaps(now=now, regions=regions)
    rows: list[dict] = [
        {
            "region": region,
            "role": ShiftRole(gap.role).label,
            "starts_at": max(gap.starts_at, now),
            "ends_at": gap.ends_at,
            "zone": region.time_zone,
        }
        for region in regions
        for gap in found.get(region.pk, [])
    ]
    rows.sort(key=lambda row: row["starts_at"])
    return render(request, "duty/_gaps_panel.html", {"rows": rows[:20], "total": len(rows)})


@login_required
@require_GET
def on_duty_panel(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Fragment: who is on duty now for a hospital (its region), for the request page and
    the hotline desk (which asks before a hospital is chosen: a hint, not a 404)."""
    if not request.GET.get("hospital"):
        return render(request, "duty/_on_duty.html", {"on_duty": None, "hospital": None})
    hospital = get_object_or_404(
        Hospital.objects.for_user(request.user).select_related("region"),
        pk=id_from(request.GET.get("hospital")) or 0,
    )
    found = selectors.on_duty(hospital=hospital)
    return render(request, "duty/_on_duty.html", {"on_duty": found, "hospital": hospital})


# --- rotation templates (the manager's page) ----------------------------------------------
@login_required
@require_GET
def rotation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every rotation, per region, with its slots and people in order; edit, generate."""
    require_perm(request, "duty.change_rotation")
    rotations = Rotation.objects.select_related("region").prefetch_related("slots", "members__user")
    regions: dict[ServiceRegion, list[Rotation]] = {
        region: [] for region in ServiceRegion.objects.all()
    }
    for rotation in rotations:
        for slot in rotation.slots.all():
            hours = slot.duration.total_seconds() / 3600
            slot.hours_text = _("%(hours)s h") % {"hours": f"{hours:g}"}  # type: ignore[attr-defined]
        regions.setdefault(rotation.region, []).append(rotation)
    return render(
        request,
        "duty/rotation_list.html",
        {"regions": regions.items(), "generate_days": services.GENERATE_DAYS},
    )


def _rotation_forms(request: AuthenticatedHttpRequest, rotation: Rotation | None):
    data = request.POST if request.method == "POST" else None
    form = RotationForm(
        data,
        rotation=rotation,
        initial=None if rotation else {"region": id_from(request.GET.get("region"))},
    )
    slots = SlotFormSet(data, prefix="slots", initial=slot_initial(rotation) if rotation else None)
    members = {
        role: MemberFormSet(
            data,
            prefix=role,
            form_kwargs={"role": role},
            initial=member_initial(rotation, role) if rotation else None,
        )
        for role in ShiftRole.values
    }
    return form, slots, members


def _kept(formset) -> list:
    """The rows of a formset that say something and are not marked for removal, in order."""
    return [row for row in formset.forms if row.cleaned_data and not row.cleaned_data.get("DELETE")]


def _rotation_page(request: AuthenticatedHttpRequest, rotation: Rotation | None) -> HttpResponse:
    require_perm(request, "duty.change_rotation")
    form, slots, members = _rotation_forms(request, rotation)
    list_errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        status = 422
        # Every part is checked (no short cut), so every error shows at once.
        checked = [form.is_valid(), slots.is_valid()]
        checked += [formset.is_valid() for formset in members.values()]
        if all(checked):
            try:
                saved = rotation_templates.rotation_save(
                    by=request.user,
                    rotation=rotation,
                    slots=[row.slot() for row in _kept(slots)],
                    members={
                        role: [
                            row.cleaned_data["user"]
                            for row in _kept(formset)
                            if row.cleaned_data.get("user")
                        ]
                        for role, formset in members.items()
                    },
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                # The service names a field for every refusal: the lists' own go above them.
                found = exc.message_dict
                for key in list(found):
                    if key == "slots" or key.startswith("members_"):
                        list_errors[key] = found.pop(key)
                for name, problems in found.items():
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
            else:
                messages.success(request, _("The rotation is saved."))
                return redirect(f"{reverse('duty:rotation_list')}#rotation-{saved.pk}")
    return render(
        request,
        "duty/rotation_form.html",
        {
            "rotation": rotation,
            "form": form,
            "slots": slots,
            "member_sets": [
                (role, ShiftRole(role).label, formset, list_errors.get(f"members_{role}", []))
                for role, formset in members.items()
            ],
            "slot_errors": list_errors.get("slots", []),
        },
        status=status,
    )


@login_required
@GET_POST
def rotation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _rotation_page(request, None)


@login_required
@GET_POST
def rotation_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    rotation = get_object_or_404(
        Rotation.objects.for_user(request.user).select_related("region"), pk=pk
    )
    return _rotation_page(request, rotation)
