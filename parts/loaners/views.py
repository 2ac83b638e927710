"""Pages of the loaner units (备件先行, R-7.3): the list with state badges, a unit and its
loans, register a unit, install it for an open request, take it back; "Loaners out" and the
fragment the dispatch board loads with htmx. Vendor staff only: hospital users get 403 on
the lists and 404 on a unit (outside their scope)."""

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
from core.errors import Conflict
from core.forms import add_service_errors, id_from
from core.permissions import require_perm
from service.selectors import request_in_scope_or_404

from ..filters import LoanerFilterSet
from ..models import LoanerState, LoanerUnit
from . import services as loans
from .forms import (
    LoanerBackInServiceForm,
    LoanerForm,
    LoanerNoteForm,
    LoanInstallForm,
    LoanReturnForm,
)

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 50
STATE_BADGES = {
    LoanerState.AVAILABLE: "text-bg-success",
    LoanerState.ON_LOAN: "text-bg-warning",
    LoanerState.IN_REPAIR: "text-bg-secondary",
    LoanerState.RETIRED: "text-bg-light",
}


def _with_badges(units):
    for unit in units:
        unit.badge = STATE_BADGES.get(unit.state, "text-bg-light")
        unit.current_loan = loans.current_loan(unit)
    return units


def _unit(request: HttpRequest, pk: int) -> LoanerUnit:
    return get_object_or_404(LoanerUnit.objects.for_user(request.user), pk=pk)


@login_required
@require_GET
def loaner_list(request: HttpRequest) -> HttpResponse:
    require_perm(request, "parts.view_loanerunit")
    units = loans.loaners_with_loan(LoanerUnit.objects.for_user(request.user))
    filters = LoanerFilterSet(request.GET, units, request=request)
    # From a request's page: each available unit gets an "install" link for that request.
    for_request = request.GET.get("request", "")
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_badges(page.object_list)
    return render(
        request,
        "parts/loaner_list.html",
        {
            "page": page,
            "form": filters.form,
            "for_request": id_from(for_request) or "",
            "can_add": request.user.has_perm("parts.add_loanerunit"),
            "can_lend": request.user.has_perm("parts.add_loan"),
        },
    )


@login_required
@GET_POST
def loaner_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "parts.add_loanerunit")
    form = LoanerForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            unit = loans.loaner_create(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Loaner %(serial)s registered.") % {"serial": unit.serial_number}
            )
            return redirect("parts:loaner_detail", pk=unit.pk)
    return render(request, "parts/loaner_form.html", {"form": form})


@login_required
@require_GET
def loaner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    require_perm(request, "parts.view_loanerunit", unit)
    (unit,) = _with_badges([loans.loaners_with_loan(LoanerUnit.objects.filter(pk=unit.pk)).get()])
    history = unit.loans.select_related(
        "request", "hospital", "department", "installed_by", "returned_by", "returned_to"
    )
    return render(
        request,
        "parts/loaner_detail.html",
        {
            "unit": unit,
            "history": history,
            "can_lend": request.user.has_perm("parts.add_loan"),
            "return_form": LoanReturnForm(
                initial={"location": unit.current_loan.taken_from_id} if unit.current_loan else None
            ),
            "state_history": loans.loaner_state_history(unit),
            "can_change": request.user.has_perm("parts.change_loanerunit", unit),
            "can_retire": request.user.has_perm("parts.retire_loanerunit", unit),
            "back_form": LoanerBackInServiceForm(),
        },
    )


@login_required
@GET_POST
def loan_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Install the unit for an open request (the request's ``loaner_installed`` step)."""
    unit = _unit(request, pk)
    require_perm(request, "parts.add_loan", unit)
    initial = {"request": request.GET["request"]} if request.GET.get("request") else None
    form = LoanInstallForm(
        request.POST if request.method == "POST" else None, initial=initial, user=request.user
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            loan = loans.loaner_install(
                loaner=unit,
                request=data["request"],
                user=request.user,
                installed_at=data["installed_at"],
                notes=data["notes"],
                late_reason=data["late_reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Loaner %(serial)s installed for %(number)s.")
                % {"serial": unit.serial_number, "number": loan.request.number},
            )
            return redirect("parts:loaner_detail", pk=unit.pk)
    return render(request, "parts/loan_form.html", {"form": form, "unit": unit})


@login_required
@require_POST
def loan_return(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The unit is back: close its open loan (the return button on the unit's page)."""
    unit = _unit(request, pk)
    require_perm(request, "parts.add_loan", unit)
    form = LoanReturnForm(request.POST)
    loan = loans.current_loan(unit)
    if loan is None:
        messages.error(request, _("This loaner is not on loan."))
        return redirect("parts:loaner_detail", pk=unit.pk)
    location = form.cleaned_data.get("location") if form.is_valid() else None
    try:
        loans.loaner_return(loan=loan, user=request.user, location=location)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Loaner %(serial)s is back.") % {"serial": unit.serial_number})
    return redirect("parts:loaner_detail", pk=unit.pk)


@login_required
@require_GET
def loans_out(request: HttpRequest) -> HttpResponse:
    """Loaners out: who has which loaner since when, the longest out first."""
    require_perm(request, "parts.view_loanerunit")
    return render(request, "parts/loans_out.html", {"loans": loans.loans_open()})


@login_required
@require_GET
def loans_board(request: HttpRequest) -> HttpResponse:
    """The same list as a fragment: the dispatch board loads it with htmx."""
    require_perm(request, "parts.view_loanerunit")
    return render(request, "parts/_loans_board.html", {"loans": loans.loans_open()})


def _state_change(request: HttpRequest, pk: int, *, perm: str, form_class, change, done: str):
    """One of the unit's state buttons: parse, call the service, say how it went, back to
    the unit's page (a refusal changes nothing and says why)."""
    unit = _unit(request, pk)
    require_perm(request, perm, unit)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("parts:loaner_detail", pk=unit.pk)
    try:
        change(unit, form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"serial": unit.serial_number})
    return redirect("parts:loaner_detail", pk=unit.pk)


@login_required
@require_POST
def loaner_send_to_repair(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _state_change(
        request,
        pk,
        perm="parts.change_loanerunit",
        form_class=LoanerNoteForm,
        change=lambda unit, data: loans.loaner_send_to_repair(
            loaner=unit, user=request.user, note=data["note"]
        ),
        done=_("Loaner %(serial)s is in repair."),
    )


@login_required
@require_POST
def loaner_back_in_service(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _state_change(
        request,
        pk,
        perm="parts.change_loanerunit",
        form_class=LoanerBackInServiceForm,
        change=lambda unit, data: loans.loaner_back_in_service(
            loaner=unit, location=data["location"], user=request.user, note=data["note"]
        ),
        done=_("Loaner %(serial)s is available again."),
    )


@login_required
@require_POST
def loaner_retire(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _state_change(
        request,
        pk,
        perm="parts.retire_loanerunit",
        form_class=LoanerNoteForm,
        change=lambda unit, data: loans.loaner_retire(
            loaner=unit, user=request.user, note=data["note"]
        ),
        done=_("Loaner %(serial)s is retired."),
    )


@login_required
@require_GET
def request_loans(request: HttpRequest, request_id: int) -> HttpResponse:
    """The loaners of one request: the fragment the request's page loads with htmx."""
    # Scope first: another hospital's request is a 404 to anyone, even without the right.
    service_request = request_in_scope_or_404(request.user, request_id)
    require_perm(request, "parts.view_loanerunit")
    return render(
        request,
        "parts/_request_loans.html",
        {
            "sr": service_request,
            "loans": loans.loans_for_request(service_request),
            "can_lend": request.user.has_perm("parts.add_loan"),
        },
    )
