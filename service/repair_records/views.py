"""Pages of the repair record: fill it in on a phone, sign it on screen (engineer and
customer), serve its PDF, correct it by an amendment, file it, write the root-cause report.

Every page first finds the request through ``ServiceRequest.objects.for_user``: another
hospital's request is a 404, never a 403.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from core.forms import add_service_errors, id_from
from core.permissions import require_perm
from core.signing import SignatureRole
from core.signing import pages as signing_pages
from core.signing.forms import mark_required_to_sign

from .. import rules as record_rules
from ..models import (
    RepairRecord,
    RepairRecordAmendment,
    RootCauseReport,
    ServiceEvent,
    ServiceRequest,
    Severity,
    Signature,
)
from ..selectors import request_in_scope_or_404
from ..services import TimelineConflict, root_cause_report_save
from ..timeline import EventType
from . import services as records
from .forms import (
    RECORD_FORM_FIELDS,
    AmendmentForm,
    PartFormSet,
    RepairRecordForm,
    RootCauseForm,
    parts_from,
)
from .pdf import repair_record_context, request_facts, zone_of
from .services import REPAIR_RECORD, REQUIRED_TO_SIGN

# The hospital's role was called "customer" here before one vocabulary: a page opened then
# still posts it.
LEGACY_ROLES = {"customer": SignatureRole.HOSPITAL}

GET_POST = require_http_methods(["GET", "POST"])


def _record_or_404(service_request: ServiceRequest) -> RepairRecord:
    record = get_object_or_404(RepairRecord, request=service_request)
    record.request = service_request
    return record


def _require(predicate: Any, request: HttpRequest, obj: Any) -> None:
    if not predicate.test(request.user, obj):
        raise PermissionDenied


def _request_page_url(service_request: ServiceRequest) -> str:
    """The request's own page, once the service pages provide it."""
    try:
        return reverse("service:request_detail", args=[service_request.pk])
    except NoReverseMatch:
        return ""


def _hub(service_request: ServiceRequest) -> HttpResponse:
    return redirect("records:record_edit", pk=service_request.pk)


def _zone(service_request: ServiceRequest) -> ZoneInfo:
    return ZoneInfo(service_request.hospital.time_zone)


def _is_filed(service_request: ServiceRequest) -> bool:
    return ServiceEvent.objects.filter(request=service_request, type=EventType.FILED).exists()


def _page_context(
    request: HttpRequest, service_request: ServiceRequest, record: RepairRecord | None
) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = (
        repair_record_context(record, with_images=False)
        if record
        else request_facts(service_request)
    )
    context.update(
        {
            "service_request": service_request,
            "record": record,
            "request_page_url": _request_page_url(service_request),
            "zone_name": service_request.hospital.time_zone,
            "can_fill": record_rules.can_fill_record.test(user, service_request),
            "can_sign_customer": record_rules.can_sign_as_customer.test(user, service_request),
            "can_file": record_rules.can_file_record.test(user, service_request),
            "can_root_cause": user.has_perm("service.add_rootcausereport", service_request),
            "is_emergency": service_request.severity == Severity.EMERGENCY,
            "filed": _is_filed(service_request),
            "missing": REPAIR_RECORD.missing(record) if record else [],
        }
    )
    return context


@login_required
@GET_POST
def record_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The record's page: the form while unsigned (vendor engineers), otherwise the record
    as signed, its signatures, amendments and actions."""
    service_request = request_in_scope_or_404(request.user, pk)
    record = RepairRecord.objects.filter(request=service_request).first()
    if record is not None:
        record.request = service_request
    can_fill = record_rules.can_fill_record.test(request.user, service_request)
    editable = can_fill and not (record is not None and REPAIR_RECORD.is_frozen(record))
    form = parts = None
    status = 200
    with timezone.override(_zone(service_request)):
        if request.method == "POST":
            if not can_fill:
                raise PermissionDenied
            if not editable:
                messages.error(request, str(records.frozen_error().messages[0]))
                return _hub(service_request)
            form = RepairRecordForm(request.POST, instance=record)
            parts = PartFormSet(request.POST, prefix="parts")
            if form.is_valid() and parts.is_valid():
                fields = {name: form.cleaned_data[name] for name in RECORD_FORM_FIELDS}
                try:
                    records.repair_record_save(
                        request=service_request,
                        author=request.user,
                        parts_replaced=parts_from(parts),
                        **fields,
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                    status = 422
                else:
                    messages.success(request, _("Repair record saved."))
                    return _hub(service_request)
            else:
                status = 422
        elif editable:
            initial = {} if record else records.repair_record_initial(request=service_request)
            if initial.get("fault_at"):  # the form shows minutes
                initial["fault_at"] = initial["fault_at"].replace(second=0, microsecond=0)
            form = RepairRecordForm(instance=record, initial=initial)
            parts = PartFormSet(
                prefix="parts", initial=records.stored_parts(record) if record else []
            )
        if form is not None:
            mark_required_to_sign(form, REQUIRED_TO_SIGN)
        context = _page_context(request, service_request, record)
        context.update({"form": form, "parts_formset": parts, "editable": editable})
        return render(request, "records/record_edit.html", context, status=status)


@login_required
@GET_POST
def record_sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A signature drawn on screen: ``?role=engineer`` or ``?role=hospital`` (the customer
    on their own account, or on the engineer's phone; ``customer`` is its old name);
    ``&amendment=<id>`` signs a correction. An incomplete record offers no pad."""
    service_request = request_in_scope_or_404(request.user, pk)
    record = _record_or_404(service_request)
    role = request.POST.get("role") or request.GET.get("role") or ""
    role = LEGACY_ROLES.get(role, role)
    if role not in REPAIR_RECORD.roles:
        raise Http404
    predicate = (
        record_rules.can_fill_record
        if role == SignatureRole.ENGINEER
        else record_rules.can_sign_as_customer
    )
    _require(predicate, request, service_request)
    amendment = None
    amendment_id = request.POST.get("amendment") or request.GET.get("amendment")
    if amendment_id:
        if id_from(amendment_id) is None:
            raise Http404
        amendment = get_object_or_404(RepairRecordAmendment, record=record, pk=amendment_id)
    already = (
        amendment is None
        and REPAIR_RECORD.is_frozen(record)
        and (
            role == SignatureRole.HOSPITAL
            or REPAIR_RECORD.signatures(record).filter(role=role).exists()
        )
    )
    if already and request.method == "GET":
        messages.info(request, _("The record is already signed in this role."))
        return _hub(service_request)
    own = role == SignatureRole.ENGINEER or record_rules.is_request_customer(
        request.user, service_request
    )
    form, outcome = signing_pages.signature_form(
        request,
        own=own,
        sign=partial(
            records.repair_record_sign,
            record=record,
            role=role,
            user=request.user,
            amendment=amendment,
        ),
    )
    if outcome is not None and outcome.signed:
        if role == SignatureRole.HOSPITAL and amendment is None:
            messages.success(request, _("Signed by the customer: the record is now frozen."))
        else:
            messages.success(request, _("Signature saved."))
        return _hub(service_request)
    context = _page_context(request, service_request, record)
    context.update(signing_pages.sign_page_context(REPAIR_RECORD, record, role=role, own=own))
    context.update({"form": form, "amendment": amendment})
    if amendment is not None:
        context["missing"] = []  # an amendment corrects a complete, frozen record
    status = outcome.status if outcome else 200
    return render(request, "records/record_sign.html", context, status=status)


@login_required
def record_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The stored PDF of the signed record, only for those who see the request."""
    service_request = request_in_scope_or_404(request.user, pk)
    record = _record_or_404(service_request)
    return signing_pages.archived_pdf_response(
        REPAIR_RECORD, record, filename=f"{service_request.number}.pdf"
    )


@login_required
def signature_image(request: HttpRequest, pk: int, signature_pk: int) -> FileResponse:
    service_request = request_in_scope_or_404(request.user, pk)
    record = _record_or_404(service_request)
    signature = get_object_or_404(Signature, record=record, pk=signature_pk)
    return signing_pages.signature_image_response(signature.image)


def _amendment_initial(record: RepairRecord) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    content = records.effective_content(record)
    initial = {name: content[name] for name in RECORD_FORM_FIELDS}
    fault_at = parse_datetime(content["fault_at"]) if content["fault_at"] else None
    # The form shows minutes: seconds in the initial value would look like a change.
    initial["fault_at"] = fault_at.replace(second=0, microsecond=0) if fault_at else None
    try:  # one line per part with its quantity, as the form edits it
        parts = records.clean_parts(content["parts_replaced"])
    except ValidationError:
        parts = list(content["parts_replaced"])
    return initial, parts


@login_required
@GET_POST
def record_amend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Correct a signed record: the record stays as signed, the correction points at it."""
    service_request = request_in_scope_or_404(request.user, pk)
    record = _record_or_404(service_request)
    _require(record_rules.can_fill_record, request, service_request)
    if not record.is_frozen:
        return _hub(service_request)
    status = 200
    with timezone.override(zone_of(record)):
        initial, parts_initial = _amendment_initial(record)
        if request.method == "POST":
            form = AmendmentForm(request.POST, initial=initial)
            parts = PartFormSet(request.POST, prefix="parts")
            if form.is_valid() and parts.is_valid():
                # Only what the person changed: a time shown to the minute is not a change.
                changes = {
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name in RECORD_FORM_FIELDS
                }
                if parts_from(parts) != parts_initial:
                    changes["parts_replaced"] = parts_from(parts)
                try:
                    records.repair_record_amend(
                        record=record,
                        author=request.user,
                        reason=form.cleaned_data["reason"],
                        changes=changes,
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                    status = 422
                else:
                    messages.success(request, _("Amendment saved."))
                    return _hub(service_request)
            else:
                status = 422
        else:
            form = AmendmentForm(initial=initial)
            parts = PartFormSet(prefix="parts", initial=parts_initial)
        context = _page_context(request, service_request, record)
        context.update({"form": form, "parts_formset": parts})
        return render(request, "records/record_amend.html", context, status=status)


@login_required
@require_POST
def record_file(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The company archived the signed record (备案, R-3.6)."""
    service_request = request_in_scope_or_404(request.user, pk)
    record = _record_or_404(service_request)
    _require(record_rules.can_file_record, request, service_request)
    try:
        records.repair_record_file(record=record, actor=request.user)
    except TimelineConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The signed record is filed."))
    return _hub(service_request)


@login_required
@GET_POST
def root_cause(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """故障成因分析 (R-5.5): the cause and the measures, explained to the hospital's staff."""
    service_request = request_in_scope_or_404(request.user, pk)
    require_perm(request, "service.add_rootcausereport", service_request)
    report = RootCauseReport.objects.filter(request=service_request).first()
    status = 200
    with timezone.override(_zone(service_request)):
        if request.method == "POST":
            form = RootCauseForm(request.POST, instance=report)
            if form.is_valid():
                try:
                    root_cause_report_save(
                        request=service_request, author=request.user, **form.cleaned_data
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                    status = 422
                else:
                    messages.success(request, _("Root-cause report saved."))
                    return _hub(service_request)
            else:
                status = 422
        else:
            initial = {} if report else {"explained_at": timezone.localtime().replace(second=0)}
            form = RootCauseForm(instance=report, initial=initial)
        context = {
            "service_request": service_request,
            "form": form,
            "report": report,
            "request_page_url": _request_page_url(service_request),
            "zone_name": service_request.hospital.time_zone,
        }
        return render(request, "records/root_cause.html", context, status=status)
