"""The hotline desk's pages: the agent's main screen (log a call, find the caller by phone
and the device by hospital, department and model, today's calls, complaints per hospital),
its htmx fragments, and the page of one call. Thin: one service call per write."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.http import AuthenticatedHttpRequest
from assets.models import Device
from assets.selectors import device_search
from core.errors import Conflict
from core.forms import add_service_errors, id_from
from core.permissions import require_perm
from customers.models import Contact

from ..filters import CallFilterSet
from ..forms import STATUS_LABELS
from ..models import CallOutcome, ServiceRequest
from ..views._common import GET_POST, live_state, page_of
from . import selectors, services
from .forms import CallActionForm, CallForm, DeskSearchForm
from .services import DuplicateRequest

# The event after which the desk reloads who is on duty for the hospital chosen (the duty
# app's fragment, loaded by URL name): the hospital changed, or a phone lookup filled it in.
HOSPITAL_PICKED = "hospital-picked"
# Devices a search shows at once; the rest is "N more".
SEARCH_LIMIT = 8
DONE_MESSAGES = {
    "save": _("Call logged."),
    "open_request": _("Call logged; request %(number)s opened."),
    "open_request_anyway": _("Call logged; request %(number)s opened."),
    "add_to_request": _("Call logged and added to request %(number)s."),
    "solved": _("Call logged as solved by phone."),
    "close": _("Call logged and closed."),
}


def _zone() -> str:
    return timezone.get_current_timezone_name()


def _devices(request: HttpRequest):
    return Device.objects.for_user(request.user).select_related(
        "product_model", "hospital", "department"
    )


def _open_request(request: HttpRequest, device: Device | None) -> ServiceRequest | None:
    found = selectors.open_request_on(device.pk if device else None, user=request.user)
    if found is not None:
        found.live = live_state(list(found.milestones.all()), now=timezone.now())  # type: ignore[attr-defined]
        found.status_label = STATUS_LABELS.get(found.status, found.status)  # type: ignore[attr-defined]
    return found


def _caller(request: HttpRequest, phone: str) -> selectors.Caller | None:
    if not phone:
        return None
    caller = selectors.caller_lookup(user=request.user, text=phone)
    for item in caller.open_requests:
        item.status_label = STATUS_LABELS.get(item.status, item.status)  # type: ignore[attr-defined]
    return caller


def _desk_context(request: HttpRequest, form: CallForm, **extra: Any) -> dict[str, Any]:
    device = None
    if form.is_bound:
        device_id = id_from(form.data.get("device"))
        device = _devices(request).filter(pk=device_id).first() if device_id else None
    phone = (form.data.get("phone", "") if form.is_bound else "") or ""
    return {
        "form": form,
        "device": device,
        "open_request": extra.pop("open_request", None) or _open_request(request, device),
        "caller": _caller(request, phone),
        "calls": list(selectors.calls_today(user=request.user, zone=_zone())[:50]),
        "complaints": selectors.complaints_per_hospital(user=request.user),
        **extra,
    }


@login_required
@GET_POST
def desk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The agent's main screen: a call is logged, and in the same step becomes a request,
    joins the device's open request, or is closed as solved by phone."""
    require_perm(request, "service.add_call")
    if request.method != "POST":
        form = CallForm(
            user=request.user,
            initial={"started_at": timezone.localtime().replace(microsecond=0)},
        )
        return render(request, "service/hotline/desk.html", _desk_context(request, form))
    hospital_id = id_from(request.POST.get("hospital"))
    form = CallForm(request.POST, user=request.user, hospital_id=hospital_id)
    status = 422
    extra: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        action = request.POST.get("action") or "save"
        open_request = None
        if action == "add_to_request":
            open_request = (
                ServiceRequest.objects.for_user(request.user)
                .filter(pk=id_from(data.get("open_request")) or 0)
                .first()
            )
        call_fields = {
            key: data[key]
            for key in ("phone", "caller_name", "contact", "hospital", "department", "device")
        } | {"kind": data["kind"], "said": data["said"], "guidance": data["guidance"]}
        call_fields["started_at"] = data.get("started_at")
        try:
            call = services.call_take(
                user=request.user,
                action=action,
                call_fields=call_fields,
                severity=data["severity"],
                guidance=data["guidance"],
                open_request=open_request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DuplicateRequest as exc:
            status, extra["duplicate"] = 409, exc.message
            extra["open_request"] = _open_request(request, data["device"])
        except (Conflict, PermissionDenied) as exc:
            status = 409 if isinstance(exc, Conflict) else 403
            form.add_error(None, str(exc))
        else:
            number = call.request.number if call.request else ""
            messages.success(request, str(DONE_MESSAGES.get(action, "")) % {"number": number})
            return redirect("service:hotline_call", pk=call.pk)
    return render(
        request, "service/hotline/desk.html", _desk_context(request, form, **extra), status=status
    )


@login_required
@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """htmx: who is calling from this phone, their hospital, department and open requests.
    One contact found (or one picked) fills in the caller's part of the form."""
    require_perm(request, "service.add_call")
    search = DeskSearchForm(request.GET)
    search.is_valid()
    phone = search.cleaned_data.get("phone", "")
    caller = _caller(request, phone)
    picked = None
    contact_id = id_from(request.GET.get("contact"))
    if contact_id is not None:
        picked = (
            Contact.objects.for_user(request.user)
            .select_related("hospital", "department")
            .filter(pk=contact_id)
            .first()
        )
    elif caller is not None:
        picked = caller.contact
    form = None
    if picked is not None:
        form = CallForm(
            user=request.user,
            hospital_id=picked.hospital_id,
            initial={
                "contact": picked.pk,
                "caller_name": picked.name,
                "hospital": picked.hospital_id,
                "department": picked.department_id,
            },
        )
    response = render(
        request,
        "service/hotline/_caller.html",
        {"caller": caller, "picked": picked, "who_form": form, "oob": True},
    )
    if picked is not None:
        trigger_client_event(response, HOSPITAL_PICKED, after="settle")
    return response


@login_required
@require_GET
def departments(request: HttpRequest) -> HttpResponse:
    """htmx: the department choice for the hospital chosen."""
    require_perm(request, "service.add_call")
    hospital_id = id_from(request.GET.get("hospital"))
    form = CallForm(user=request.user, hospital_id=hospital_id)
    response = render(request, "service/hotline/_department.html", {"form": form})
    return trigger_client_event(response, HOSPITAL_PICKED, after="settle")


@login_required
@require_GET
def devices(request: HttpRequest) -> HttpResponse:
    """htmx: the devices matching the words typed, within the hospital and department
    chosen; the first few and "N more". A new search clears the device picked before,
    unless it finds exactly one."""
    require_perm(request, "service.add_call")
    search = DeskSearchForm(request.GET)
    search.is_valid()
    text = search.cleaned_data.get("q", "")
    hospital_id = id_from(request.GET.get("hospital"))
    department_id = id_from(request.GET.get("department"))
    found: list[Device] = []
    more = 0
    if text or department_id:
        matches = device_search(
            devices=_devices(request),
            text=text,
            hospital_id=hospital_id,
            department_id=department_id,
        )
        found = list(matches[: SEARCH_LIMIT + 1])
        if len(found) > SEARCH_LIMIT:
            more = matches.count() - SEARCH_LIMIT
            found = found[:SEARCH_LIMIT]
    device = found[0] if len(found) == 1 else None
    return render(
        request,
        "service/hotline/_devices.html",
        {
            "q": text,
            "searched": bool(text or department_id),
            "found": found,
            "more": more,
            "device": device,
            "open_request": _open_request(request, device),
            "oob": True,
        },
    )


@login_required
@require_GET
def device(request: HttpRequest) -> HttpResponse:
    """htmx: the device picked, and the warning when it already has an open request."""
    require_perm(request, "service.add_call")
    device_id = id_from(request.GET.get("device"))
    picked = _devices(request).filter(pk=device_id).first() if device_id else None
    return render(
        request,
        "service/hotline/_picked.html",
        {"device": picked, "open_request": _open_request(request, picked)},
    )


@login_required
@require_GET
def call_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The calls by day (today unless another day, or none, is asked for), kind, hospital
    and outcome: the vendor's log, which the hotline's home counts."""
    require_perm(request, "service.add_call")
    params = request.GET.copy()
    if "day" not in params:
        params.update(selectors.calls_today_params())
    filters = CallFilterSet(params, selectors.calls_for(request.user), request=request)
    page = page_of(request, filters.qs)
    return render(
        request,
        "service/hotline/call_list.html",
        {
            "form": filters.form,
            "page": page,
            "calls": page.object_list,
            "zone": settings.TIME_ZONE,
        },
    )


def _call_or_404(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.calls_for(request.user), pk=pk)


@login_required
@require_GET
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One call: read-only for a hospital's users (their own hospital's calls only)."""
    call = _call_or_404(request, pk)
    may_act = request.user.has_perm("service.change_call", call) and (
        call.outcome in (CallOutcome.OPEN, CallOutcome.REQUEST_OPENED, CallOutcome.ADDED_TO_REQUEST)
    )
    return render(
        request,
        "service/hotline/call_detail.html",
        {
            "call": call,
            "may_act": may_act,
            "action_form": CallActionForm(),
            "open_request": _open_request(request, call.device) if call.is_open else None,
        },
    )


@login_required
@require_POST
def call_action(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A button of the call page on a logged call."""
    call = _call_or_404(request, pk)
    require_perm(request, "service.change_call", call)
    form = CallActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing done: choose an action."))
        return redirect("service:hotline_call", pk=call.pk)
    data = form.cleaned_data
    open_request = None
    if data["action"] == "add_to_request":
        open_request = (
            ServiceRequest.objects.for_user(request.user)
            .filter(pk=data.get("open_request") or 0)
            .first()
        )
    try:
        services.call_act(
            call=call,
            user=request.user,
            action=data["action"],
            severity=data.get("severity") or "normal",
            guidance=data.get("guidance", ""),
            open_request=open_request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    except (Conflict, PermissionDenied) as exc:
        messages.error(request, str(exc) or _("You may not do this."))
    else:
        call.refresh_from_db()
        number = call.request.number if call.request else ""
        done = _("Done: request %(number)s.") % {"number": number} if number else _("Done.")
        messages.success(request, done)
    return redirect("service:hotline_call", pk=call.pk)


__all__ = [
    "call_action",
    "call_detail",
    "call_list",
    "departments",
    "desk",
    "device",
    "devices",
    "lookup",
]
