"""Pages of the monthly return visits: the list, a visit's page, the sheet form (made for a
phone), the signature pad of each side, the archived PDF, cancelling.

Every page first finds the visit through ``ReturnVisit.objects.for_user``: another
hospital's visit is a 404, never a 403. A write checks its ``rules`` permission (403) and
makes one service call.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from core.errors import Conflict
from core.forms import add_service_errors
from core.permissions import require_perm
from core.signing import SignatureRole
from core.signing import pages as signing_pages
from core.timeutil import local_today

from . import services
from .filters import ReturnVisitFilterSet
from .forms import (
    STATE_BADGES,
    STATE_LABELS,
    CancelForm,
    DeviceCheckFormSet,
    FindingFormSet,
    ParticipantFormSet,
    SheetForm,
    rows_of,
)
from .models import ReturnVisit, ReturnVisitState
from .pdf import sheet_context
from .rules import SIGN_PERMS, is_return_visit_customer
from .selectors import department_devices, department_people, display_state, return_visits_for
from .sheet import RETURN_VISIT_SHEET

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 50


def _visit_or_404(request: HttpRequest, pk: int) -> ReturnVisit:
    visits = ReturnVisit.objects.for_user(request.user).select_related("hospital", "department")
    return get_object_or_404(visits, pk=pk)


def _state(visit: ReturnVisit) -> dict[str, str]:
    state = display_state(visit, local_today(visit.hospital.time_zone))
    return {"code": state, "label": str(STATE_LABELS[state]), "badge": STATE_BADGES[state]}


def _hub(visit: ReturnVisit) -> HttpResponse:
    return redirect("return_visits:return_visit_detail", pk=visit.pk)


# --- the list and the page ------------------------------------------------------------------
@login_required
@require_GET
def return_visit_list(request: HttpRequest) -> HttpResponse:
    filters = ReturnVisitFilterSet(request.GET, return_visits_for(request.user), request=request)
    # A filter value outside the viewer's scope is simply left out.
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "return_visits/list.html",
        {"form": filters.form, "page": page, "rows": [(v, _state(v)) for v in page.object_list]},
    )


@login_required
@require_GET
def return_visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    user = request.user
    context = sheet_context(visit)
    context.update(
        {
            "state": _state(visit),
            "engineers": list(visit.engineers.all()),
            "can_record": user.has_perm("return_visits.record_sheet", visit),
            "can_sign": {role: user.has_perm(perm, visit) for role, perm in SIGN_PERMS.items()},
            "can_cancel": user.has_perm("return_visits.cancel_returnvisit", visit),
            "cancel_form": CancelForm(),
            "open": visit.state == ReturnVisitState.PLANNED,
        }
    )
    return render(request, "return_visits/detail.html", context)


# --- the sheet ------------------------------------------------------------------------------
def _sheet_forms(visit: ReturnVisit, data=None) -> dict[str, Any]:
    devices = list(department_devices(visit.department))
    checks = {c.device_id: c for c in visit.device_checks.all()}
    findings = list(visit.findings.select_related("device__product_model", "request"))
    if visit.is_recorded:
        people = [{"name": p.name, "role": p.role} for p in visit.participants.all()]
    else:
        people = department_people(visit.department)
    device_initial = [
        {
            "device": d.pk,
            "state": checks[d.pk].state if d.pk in checks else "normal",
            "note": checks[d.pk].note if d.pk in checks else "",
        }
        for d in devices
    ]
    choices = [(d.pk, f"{d.product_model.name} · {d.serial_number}") for d in devices]
    open_findings = [
        {"device": f.device_id, "kind": f.kind, "description": f.description}
        for f in findings
        if f.request_id is None
    ]
    sheet_initial = {
        "visited_on": visit.visited_on,
        "training_given": visit.training_given,
        "satisfaction": visit.satisfaction,
        "comments": visit.comments,
    }
    device_formset = DeviceCheckFormSet(data, prefix="devices", initial=device_initial)
    return {
        "form": SheetForm(data, initial=sheet_initial),
        "participants": ParticipantFormSet(data, prefix="participants", initial=people),
        "devices": device_formset,
        "device_rows": list(zip(device_formset.forms, devices, strict=False)),
        "findings": FindingFormSet(
            data,
            prefix="findings",
            initial=open_findings,
            form_kwargs={"device_choices": choices},
        ),
        "raised_findings": [f for f in findings if f.request_id is not None],
    }


def _add_sheet_errors(forms: dict[str, Any], exc: ValidationError) -> dict[str, list[str]]:
    """Put each service error next to its field: ``devices.2.state`` on the third device's
    row; a whole section's error (``participants``) is returned for the section's head."""
    sections: dict[str, list[str]] = {}
    if not hasattr(exc, "error_dict"):
        add_service_errors(forms["form"], exc)
        return sections
    for key, errors in exc.error_dict.items():
        head, _dot, rest = key.partition(".")
        formset = forms.get(head) if head in {"participants", "devices", "findings"} else None
        if formset is None:
            add_service_errors(forms["form"], ValidationError({key: errors}))
            continue
        index, _dot, field = rest.partition(".")
        if index.isdigit() and int(index) < len(formset.forms):
            row = formset.forms[int(index)]
            for error in errors:
                row.add_error(field if field in row.fields else None, error)
        else:
            sections.setdefault(head, []).extend(m for e in errors for m in e.messages)
    return sections


@login_required
@GET_POST
def sheet_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The return-visit sheet, filled in on a phone: the department's people, every device
    with its state, the training, what was found, the satisfaction."""
    visit = _visit_or_404(request, pk)
    require_perm(request, "return_visits.record_sheet", visit)
    if visit.state != ReturnVisitState.PLANNED:
        messages.info(request, _("This return visit can no longer change."))
        return _hub(visit)
    forms = _sheet_forms(visit, request.POST if request.method == "POST" else None)
    sections: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        parts = [forms[k] for k in ("form", "participants", "devices", "findings")]
        if all(part.is_valid() for part in parts):
            data = forms["form"].cleaned_data
            try:
                services.return_visit_record(
                    visit=visit,
                    user=request.user,
                    visited_on=data.get("visited_on"),
                    participants=rows_of(forms["participants"], ("name", "role")),
                    devices=rows_of(forms["devices"], ("device", "state", "note")),
                    training_given=data.get("training_given") or "",
                    findings=rows_of(
                        forms["findings"], ("device", "kind", "description", "raise_request")
                    ),
                    satisfaction=data.get("satisfaction"),
                    comments=data.get("comments") or "",
                )
            except Conflict as exc:
                messages.error(request, exc.message)
                return _hub(visit)
            except ValidationError as exc:
                sections = _add_sheet_errors(forms, exc)
                status = 422
            else:
                messages.success(request, _("Return-visit sheet saved. Both sides sign it next."))
                return _hub(visit)
        else:
            status = 422
    context = {"visit": visit, "state": _state(visit), "sections": sections, **forms}
    return render(request, "return_visits/sheet_form.html", context, status=status)


# --- signatures -----------------------------------------------------------------------------
@login_required
@GET_POST
def return_visit_sign(request: AuthenticatedHttpRequest, pk: int, role: str) -> HttpResponse:
    """A signature drawn on screen: the vendor's engineer, or the hospital's representative
    (on their own account, or on the engineer's phone)."""
    visit = _visit_or_404(request, pk)
    if role not in RETURN_VISIT_SHEET.roles:
        raise Http404
    require_perm(request, SIGN_PERMS[role], visit)
    if visit.state != ReturnVisitState.PLANNED:
        messages.info(request, _("This return visit can no longer be signed."))
        return _hub(visit)
    if not visit.is_recorded:
        messages.info(request, _("Record the sheet before signing it."))
        if request.user.has_perm("return_visits.record_sheet", visit):
            return redirect("return_visits:sheet_edit", pk=visit.pk)
        return _hub(visit)
    own = role == SignatureRole.ENGINEER or is_return_visit_customer(request.user, visit)
    form, outcome = signing_pages.signature_form(
        request,
        own=own,
        sign=partial(services.return_visit_sign, visit=visit, role=role, user=request.user),
    )
    if outcome is not None and outcome.signed:
        visit.refresh_from_db()
        if visit.is_frozen:
            messages.success(request, _("Signed by both sides: the sheet is archived."))
        else:
            messages.success(request, _("Signature saved."))
        return _hub(visit)
    context = sheet_context(visit, with_images=False)
    context.update(signing_pages.sign_page_context(RETURN_VISIT_SHEET, visit, role=role, own=own))
    context.update(
        {"state": _state(visit), "form": form, "already": role in context["signed_roles"]}
    )
    status = outcome.status if outcome else 200
    return render(request, "return_visits/sign.html", context, status=status)


@login_required
@require_GET
def return_visit_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The archived PDF of the signed sheet, only for those who see the visit."""
    visit = _visit_or_404(request, pk)
    return signing_pages.archived_pdf_response(
        RETURN_VISIT_SHEET, visit, filename=f"return-visit-{visit.month:%Y-%m}-{visit.pk}.pdf"
    )


@login_required
@require_POST
def return_visit_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(request, pk)
    require_perm(request, "return_visits.cancel_returnvisit", visit)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the return visit is cancelled."))
        return _hub(visit)
    try:
        services.return_visit_cancel(
            visit=visit, user=request.user, reason=form.cleaned_data["reason"]
        )
    except (Conflict, ValidationError) as exc:
        messages.error(request, exc.message if isinstance(exc, Conflict) else exc.messages[0])
    else:
        messages.success(request, _("Return visit cancelled."))
    return _hub(visit)
