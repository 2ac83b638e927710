"""The request page's "Spare parts" card (issue 5 §1), loaded with htmx from the service
app by URL name: what the request holds reserved, what was issued to it, and the parts its
symptom and device call for, with buttons to reserve and release. Vendor staff only: a
request outside the user's scope is 404, then hospital users are refused (403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from core.permissions import require_perm
from service.forms import new_idempotency_key
from service.models import ServiceRequest
from service.selectors import request_in_scope_or_404

from .. import selectors, services
from ..forms import RequestReserveForm, RequestUnreserveForm
from ..models import SparePart, StockLocation
from . import services as dispatch

TOP_PROPOSALS = 5


def _service_request(request: HttpRequest, request_id: int, perm: str) -> ServiceRequest:
    service_request = request_in_scope_or_404(request.user, request_id)
    require_perm(request, perm)
    return service_request


def _fragment(
    request: HttpRequest, service_request: ServiceRequest, errors: list[str] | None = None
) -> HttpResponse:
    engineer = dispatch.dispatch_engineer(service_request) or request.user
    bag = selectors.bag_of(engineer)
    proposals = []
    for proposal in selectors.proposed_parts(request=service_request, engineer=engineer)[
        :TOP_PROPOSALS
    ]:
        source = dispatch.reserve_source(part=proposal.part, bag=bag)
        proposals.append({"p": proposal, "source": source, "key": new_idempotency_key()})
    reserved = [
        {"line": line, "key": new_idempotency_key()}
        for line in selectors.reserved_lines(service_request)
    ]
    return render(
        request,
        "parts/_request_parts.html",
        {
            "sr": service_request,
            "engineer": engineer,
            "bag": bag,
            "proposals": proposals,
            "reserved": reserved,
            "issued": selectors.parts_issued_to(service_request),
            "can_move": request.user.has_perm("parts.add_stockmovement")
            and service_request.is_open,
            "errors": errors or [],
        },
    )


def _answer(
    request: AuthenticatedHttpRequest, service_request: ServiceRequest, errors: list[str], done: str
) -> HttpResponse:
    """htmx gets the refreshed card (errors inside it); a plain form post goes back to the
    request page with a message."""
    if request.htmx:
        return _fragment(request, service_request, errors)
    if errors:
        messages.error(request, " ".join(errors))
    else:
        messages.success(request, done)
    return redirect("service:request_detail", service_request.pk)


@login_required
@require_GET
def request_parts(request: HttpRequest, request_id: int) -> HttpResponse:
    service_request = _service_request(request, request_id, "parts.view_sparepart")
    return _fragment(request, service_request)


@login_required
@require_POST
def request_reserve(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """Reserve one unit of a part for the request: at the posted location, or by default in
    the engineer's bag, else at the store with most free units."""
    service_request = _service_request(request, request_id, "parts.add_stockmovement")
    form = RequestReserveForm(request.POST)
    if not form.is_valid():
        return _answer(request, service_request, [_("Choose a part to reserve.")], "")
    data = form.cleaned_data
    part = get_object_or_404(SparePart.objects.for_user(request.user), pk=data["part"])
    serial = ""
    if data["location"]:
        location = get_object_or_404(
            StockLocation.objects.for_user(request.user), pk=data["location"]
        )
    else:
        engineer = dispatch.dispatch_engineer(service_request) or request.user
        source = dispatch.reserve_source(part=part, bag=selectors.bag_of(engineer))
        if source is None:
            error = _("No unit of %(part)s is free in a bag or store.") % {"part": part.part_number}
            return _answer(request, service_request, [error], "")
        location, serial = source.location, source.serial
    try:
        services.stock_reserve(
            request=service_request,
            part=part,
            location=location,
            quantity=1,
            serial=serial,
            user=request.user,
            idempotency_key=data["idempotency_key"],
        )
    except services.StockPowerDenied as exc:
        return _answer(request, service_request, [exc.message], "")
    except ValidationError as exc:
        return _answer(request, service_request, exc.messages, "")
    done = _("%(part)s reserved at %(location)s.") % {
        "part": part.part_number,
        "location": location.name,
    }
    return _answer(request, service_request, [], done)


@login_required
@require_POST
def request_unreserve(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """Give back one reserved line of the request."""
    service_request = _service_request(request, request_id, "parts.add_stockmovement")
    form = RequestUnreserveForm(request.POST)
    if not form.is_valid():
        return _answer(request, service_request, [_("Choose a reserved line.")], "")
    data = form.cleaned_data
    part = get_object_or_404(SparePart.objects.for_user(request.user), pk=data["part"])
    location = get_object_or_404(StockLocation.objects.for_user(request.user), pk=data["location"])
    try:
        services.stock_unreserve(
            request=service_request,
            part=part,
            location=location,
            quantity=data["quantity"],
            serial=data["serial"],
            user=request.user,
            idempotency_key=data["idempotency_key"],
        )
    except services.StockPowerDenied as exc:
        return _answer(request, service_request, [exc.message], "")
    except ValidationError as exc:
        return _answer(request, service_request, exc.messages, "")
    done = _("Reservation of %(part)s released.") % {"part": part.part_number}
    return _answer(request, service_request, [], done)
