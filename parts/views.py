"""Pages of the parts app: the catalogue, stock by location, the movement form and an
engineer's bag on the phone. Vendor staff only: hospital users get 403 on the lists and
404 on a part (it is outside their scope). One service call per write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from core.forms import add_service_errors
from core.permissions import require_perm
from service.forms import new_idempotency_key

from . import selectors, services
from .filters import MovementFilterSet, PartFilterSet, StockFilterSet
from .forms import BagIssueForm, MovementForm, PartForm
from .models import PART_STATES_ON_SHELF, SparePart

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 50


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_GET
def part_list(request: HttpRequest) -> HttpResponse:
    require_perm(request, "parts.view_sparepart")
    parts = SparePart.objects.for_user(request.user).prefetch_related("product_models")
    filters = PartFilterSet(request.GET, parts, request=request)
    return render(
        request,
        "parts/part_list.html",
        {
            "page": _page(request, filters.qs),
            "form": filters.form,
            "can_add": request.user.has_perm("parts.add_sparepart"),
        },
    )


@login_required
@require_GET
def part_detail(request: HttpRequest, pk: int) -> HttpResponse:
    part = get_object_or_404(SparePart.objects.for_user(request.user), pk=pk)
    require_perm(request, "parts.view_sparepart", part)
    return render(
        request,
        "parts/part_detail.html",
        {
            "part": part,
            "levels": selectors.stock_levels(part=part),
            "units": part.units.select_related("location", "device").filter(
                state__in=PART_STATES_ON_SHELF
            ),
            "movements": part.movements.select_related(
                "from_location", "to_location", "request", "serial_unit", "created_by"
            )[:50],
            "can_edit": request.user.has_perm("parts.change_sparepart", part),
            "can_move": request.user.has_perm("parts.add_stockmovement"),
        },
    )


@login_required
@GET_POST
def part_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "parts.add_sparepart")
    form = PartForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = dict(form.cleaned_data)
        models = data.pop("product_models")
        try:
            part = services.part_create(product_models=models, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Part %(part)s created.") % {"part": part.part_number})
            return redirect("parts:part_detail", pk=part.pk)
    return render(request, "parts/part_form.html", {"form": form})


@login_required
@GET_POST
def part_edit(request: HttpRequest, pk: int) -> HttpResponse:
    part = get_object_or_404(SparePart.objects.for_user(request.user), pk=pk)
    require_perm(request, "parts.change_sparepart", part)
    form = PartForm(request.POST if request.method == "POST" else None, instance=part)
    if form.is_bound and form.is_valid():
        data = dict(form.cleaned_data)
        models = data.pop("product_models")
        try:
            services.part_update(part=part, data=data, product_models=models)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Part saved."))
            return redirect("parts:part_detail", pk=part.pk)
    return render(request, "parts/part_form.html", {"form": form, "part": part})


@login_required
@require_GET
def stock(request: HttpRequest) -> HttpResponse:
    """Stock by location; rows under their reorder point are highlighted."""
    require_perm(request, "parts.view_stocklevel")
    filters = StockFilterSet(request.GET, selectors.stock_levels(), request=request)
    levels = filters.qs  # a location that is not active or not there is left out
    return render(
        request,
        "parts/stock.html",
        {
            "page": _page(request, levels),
            "form": filters.form,
            "location": filters.form.cleaned_data.get("location"),
            "can_move": request.user.has_perm("parts.add_stockmovement"),
        },
    )


@login_required
@require_GET
def movement_list(request: HttpRequest) -> HttpResponse:
    """The stock ledger, the latest first: into or out of a place, of a part, of a kind."""
    require_perm(request, "parts.view_stocklevel")
    filters = MovementFilterSet(request.GET, selectors.stock_movements(), request=request)
    return render(
        request,
        "parts/movement_list.html",
        {"page": _page(request, filters.qs), "form": filters.form},
    )


@login_required
@GET_POST
def movement_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_perm(request, "parts.add_stockmovement")
    if request.method == "POST":
        form = MovementForm(request.POST, user=request.user)
    else:
        initial = {k: request.GET[k] for k in ("kind", "part", "location") if k in request.GET}
        form = MovementForm(initial=initial, user=request.user)
    if form.is_bound and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.stock_movement_record(user=request.user, **data)
        except services.StockPowerDenied as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Stock movement recorded."))
            return redirect("parts:part_detail", pk=data["part"].pk)
    return render(request, "parts/movement_form.html", {"form": form})


@login_required
@require_GET
def my_bag(request: HttpRequest) -> HttpResponse:
    """An engineer's bag on the phone: what is in it, and a large button to issue a part
    to one of my open requests."""
    require_perm(request, "parts.view_stocklevel")
    bag = selectors.bag_of(request.user)
    levels = []
    if bag is not None:
        levels = list(selectors.stock_levels(location=bag).filter(on_hand__gt=0))
        for level in levels:
            # Attributes the template reads (mypy sees only the model's fields).
            level.units = (  # type: ignore[attr-defined]
                list(level.part.units.filter(location=bag).order_by("serial_number"))
                if level.part.is_main_component
                else []
            )
            level.key = new_idempotency_key()  # type: ignore[attr-defined]
    jobs = list(selectors.open_requests_of(request.user))
    for job in jobs:
        # What fits the device, my bag first: the parts to take along and hold for the job.
        # (Attributes the template reads; mypy sees only the model's fields.)
        job.proposals = selectors.proposed_parts(request=job, engineer=request.user)[:5]  # type: ignore[attr-defined]
        job.key = new_idempotency_key()  # type: ignore[attr-defined]
    return render(request, "parts/my_bag.html", {"bag": bag, "levels": levels, "jobs": jobs})


def _bag_post(request: HttpRequest):
    """The bag, the form's data, the part and the open request of a bag action, or None when
    the form is bad or the engineer has no bag. Out-of-scope ids answer 404."""
    require_perm(request, "parts.add_stockmovement")
    bag = selectors.bag_of(request.user)
    form = BagIssueForm(request.POST)
    if bag is None or not form.is_valid():
        return None
    data = form.cleaned_data
    part = get_object_or_404(SparePart.objects.for_user(request.user), pk=data["part"])
    job = get_object_or_404(selectors.open_requests_of(request.user), pk=data["request"])
    return bag, data, part, job


@login_required
@require_POST
def bag_reserve(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Hold one unit of a proposed part in my bag for one of my open requests."""
    posted = _bag_post(request)
    if posted is None:
        messages.error(request, _("Choose a request and a quantity of at least 1."))
        return redirect("parts:my_bag")
    bag, data, part, job = posted
    try:
        services.stock_reserve(
            request=job,
            part=part,
            location=bag,
            quantity=data["quantity"],
            user=request.user,
            idempotency_key=data["idempotency_key"],
        )
    except services.StockPowerDenied as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(part)s reserved for %(number)s.")
            % {"part": part.part_number, "number": job.number},
        )
    return redirect("parts:my_bag")


@login_required
@require_POST
def bag_issue(request: AuthenticatedHttpRequest) -> HttpResponse:
    posted = _bag_post(request)
    if posted is None:
        messages.error(request, _("Choose a request and a quantity of at least 1."))
        return redirect("parts:my_bag")
    bag, data, part, job = posted
    try:
        services.stock_issue(
            request=job,
            part=part,
            location=bag,
            quantity=data["quantity"],
            serial=data["serial"],
            user=request.user,
            idempotency_key=data["idempotency_key"],
        )
    except services.StockPowerDenied as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(quantity)s × %(part)s issued to %(number)s.")
            % {"quantity": data["quantity"], "part": part.part_number, "number": job.number},
        )
    return redirect("parts:my_bag")
