"""The parts panel of the repair record page (issue 5 §2): what was issued to the request,
give back an unused consumable, use a part (a main component replaces a serial). An htmx
fragment that the record page loads; its POSTs answer with the refreshed fragment (and the
record's parts lines, swapped out of band), or redirect to the record page without htmx.

Vendor engineers and managers only: a request outside the user's scope is a 404 and a
hospital user of the request's hospital gets 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import Conflict
from core.forms import add_service_errors
from core.permissions import require_perm
from service.models import RepairRecord, ServiceRequest
from service.repair_records.forms import PartFormSet
from service.repair_records.services import part_line_text, stored_parts
from service.selectors import request_in_scope_or_404

from ..models import StockMovement
from ..selectors import parts_issued_to
from ..services import NotEnoughStock, StockPowerDenied
from . import services as part_uses
from .forms import RepairPartUseForm

FORM_FIELDS = (
    "part",
    "quantity",
    "location",
    "serial",
    "removed_component",
    "removed_serial",
    "removal_fate",
    "idempotency_key",
)


def _render(
    request: HttpRequest,
    service_request: ServiceRequest,
    form: RepairPartUseForm | None = None,
    *,
    success: str = "",
    error: str = "",
) -> HttpResponse:
    user = request.user
    can_use = user.has_perm("parts.add_stockmovement")
    record = RepairRecord.objects.filter(request=service_request).first()
    if form is None and can_use:
        form = RepairPartUseForm(service_request=service_request, user=user)  # type: ignore[arg-type]
    returnable: dict[int, list[StockMovement]] = {}
    for movement in part_uses.returnable_issues(service_request):
        returnable.setdefault(movement.part_id, []).append(movement)
    context: dict[str, Any] = {
        "sr": service_request,
        "record": record,
        # Each line with the issues of it that can still be given back (consumables).
        "issued": [
            (line, [] if line.serial_number else returnable.get(line.part_id, []))
            for line in parts_issued_to(service_request)
        ],
        "form": form,
        "can_use": can_use,
        "writable": part_uses.record_takes_parts(service_request, record),
        "success": success,
        "error": error,
    }
    if success and record is not None and not record.is_frozen:
        # The record's own formset on the page would otherwise save the old lines back.
        context["parts_formset"] = PartFormSet(prefix="parts", initial=stored_parts(record))
    return render(request, "parts/_repair_parts.html", context)


@login_required
@require_GET
def repair_parts(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel; ``?part=&location=`` (sent by htmx when those change) lists that part's
    units on the shelf at that location."""
    service_request = request_in_scope_or_404(request.user, pk)
    require_perm(request, "parts.view_sparepart")
    form = None
    if request.user.has_perm("parts.add_stockmovement") and request.GET:
        initial = {name: request.GET[name] for name in FORM_FIELDS if request.GET.get(name)}
        form = RepairPartUseForm(
            initial=initial,
            service_request=service_request,
            user=request.user,  # type: ignore[arg-type]
        )
    return _render(request, service_request, form)


def _answer(
    request: HttpRequest,
    service_request: ServiceRequest,
    *,
    form: RepairPartUseForm | None = None,
    error: str = "",
    success: str = "",
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]  # django-htmx
        # 200 even with errors: htmx swaps only 2xx answers, and the errors are in the form.
        # A form with errors shows them itself; other errors (a return) go on top.
        shown = "" if form is not None else error
        return _render(request, service_request, form, success=success, error=shown)
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return redirect("records:record_edit", pk=service_request.pk)


def _errors_text(form: RepairPartUseForm) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


@login_required
@require_POST
def repair_part_use(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = request_in_scope_or_404(request.user, pk)
    require_perm(request, "parts.add_stockmovement", service_request)
    user: Any = request.user
    form = RepairPartUseForm(request.POST, service_request=service_request, user=user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            use = part_uses.repair_part_use(
                request=service_request,
                part=data["part"],
                quantity=data["quantity"],
                user=user,
                location=data["location"],
                serial=data["serial"],
                removed_component=data["removed_component"],
                removed_serial=data["removed_serial"],
                removal_fate=data["removal_fate"],
                idempotency_key=data["idempotency_key"] or None,
            )
        except StockPowerDenied as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except NotEnoughStock as exc:
            form.add_error("quantity", exc.text)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            return _answer(
                request,
                service_request,
                success=_("%(line)s added to the repair record.")
                % {"line": part_line_text(use.line)},
            )
    return _answer(request, service_request, form=form, error=_errors_text(form))


@login_required
@require_POST
def repair_part_return(request: HttpRequest, pk: int, movement_pk: int) -> HttpResponse:
    service_request = request_in_scope_or_404(request.user, pk)
    require_perm(request, "parts.add_stockmovement", service_request)
    movement = get_object_or_404(
        StockMovement.objects.select_related("part", "from_location"),
        pk=movement_pk,
        request=service_request,
    )
    try:
        part_uses.repair_part_return(
            request=service_request,
            movement=movement,
            user=request.user,  # type: ignore[arg-type]
        )
    except StockPowerDenied as exc:
        text = exc.message
    except ValidationError as exc:
        text = " ".join(exc.messages)
    except Conflict as exc:
        text = exc.message
    else:
        return _answer(
            request,
            service_request,
            success=_("%(part)s given back to stock.") % {"part": movement.part},
        )
    return _answer(request, service_request, error=text)
