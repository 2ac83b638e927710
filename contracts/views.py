"""Web pages for contracts, maintenance agreements, and the coverage fragment of a device.

Contracts and agreements are commercial documents: ``for_user`` shows them to vendor staff
and to the hospital's equipment administrator only (anyone else gets a 404); writes are
for the vendor's office (``rules``, 403) and go through one service each.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from assets.models import Device
from core.forms import add_service_errors
from core.permissions import require_perm
from core.timeutil import local_today
from customers.models import Hospital

from . import selectors, services
from .coverage import Cause, Cover, WarrantyTerms, warranty_days
from .filters import AgreementFilterSet, ContractFilterSet
from .forms import AgreementForm, ContractForm, CoverageQueryForm, HospitalChoiceForm
from .models import Contract, MaintenanceAgreement
from .reasons import CAUSE_LABELS, COVER_LABELS, PRICING_LABELS, coverage_reason_text

PAGE_SIZE = 50
DEDICATED_ENGINEERS = services.DEDICATED_ENGINEERS


def _filtered(request: HttpRequest, filterset_class: type[ContractFilterSet], queryset):
    """A list narrowed by its filters, and what its page shows of them."""
    filters = filterset_class(request.GET, queryset, request=request)
    queryset = filters.qs  # a hospital outside the viewer's scope is simply ignored
    return queryset, {"form": filters.form, "hospital": filters.form.cleaned_data.get("hospital")}


def _chosen_hospital(request: HttpRequest) -> tuple[Hospital | None, HospitalChoiceForm]:
    """The hospital of a new contract or agreement, from ``?hospital=`` (kept in the
    form's URL when it is posted)."""
    data = request.GET if "hospital" in request.GET else None
    form = HospitalChoiceForm(data, user=request.user)
    hospital = form.cleaned_data["hospital"] if data is not None and form.is_valid() else None
    return hospital, form


# --- contracts --------------------------------------------------------------------------
@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    contracts = (
        Contract.objects.for_user(request.user)
        .select_related("hospital", "service_manager")
        .prefetch_related("dedicated_engineers")
    )
    contracts, context = _filtered(request, ContractFilterSet, contracts)
    context["page_obj"] = Paginator(contracts, PAGE_SIZE).get_page(request.GET.get("page"))
    context["can_add"] = request.user.has_perm("contracts.add_contract")
    context["dedicated_engineers_expected"] = DEDICATED_ENGINEERS
    return render(request, "contracts/contract_list.html", context)


@login_required
def contract_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "contracts.add_contract")
    hospital, choice = _chosen_hospital(request)
    if hospital is None:
        return render(
            request,
            "contracts/choose_hospital.html",
            {"form": choice, "title": _("New contract")},
        )
    require_perm(request, "contracts.add_contract", hospital)
    form = ContractForm(request.POST or None, hospital=hospital, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            contract = services.contract_create(
                hospital=hospital,
                devices=data.pop("devices"),
                dedicated_engineers=data.pop("dedicated_engineers"),
                **data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contract %(number)s was created.") % {"number": contract})
            return redirect("contracts:contract_detail", pk=contract.pk)
    return render(
        request,
        "contracts/contract_form.html",
        {"form": form, "hospital": hospital, "contract": None},
    )


def _warranty_row(device: Device, contract: Contract, today: date) -> dict:
    """The device's last day of warranty (and of extended warranty) under ``contract``."""
    terms = WarrantyTerms(
        accepted_on=device.accepted_on,
        warranty_months=contract.warranty_months,
        extended_months=contract.extended_warranty_months,
    )
    return {"device": device, **asdict(warranty_days(terms, today))}


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(
        Contract.objects.for_user(request.user).select_related("hospital", "service_manager"),
        pk=pk,
    )
    devices = (
        Device.objects.for_user(request.user)
        .filter(contract_line__contract=contract)
        .select_related("product_model", "department")
        .order_by("department__name", "serial_number")
    )
    today = local_today(contract.hospital.time_zone)
    engineers = list(contract.dedicated_engineers.order_by("first_name", "username"))
    context = {
        "contract": contract,
        "hospital": contract.hospital,
        "engineers": engineers,
        "missing_engineers": max(DEDICATED_ENGINEERS - len(engineers), 0),
        "rows": [_warranty_row(device, contract, today) for device in devices],
        "today": today,
        "can_edit": request.user.has_perm("contracts.change_contract", contract),
    }
    return render(request, "contracts/contract_detail.html", context)


@login_required
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(
        Contract.objects.for_user(request.user).select_related("hospital"), pk=pk
    )
    require_perm(request, "contracts.change_contract", contract)
    form = ContractForm(
        request.POST or None, instance=contract, hospital=contract.hospital, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.contract_update(
                contract=contract,
                devices=data.pop("devices"),
                dedicated_engineers=data.pop("dedicated_engineers"),
                **data,
            )
        except ValidationError as exc:
            contract.refresh_from_db()  # the service set the fields before refusing
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The contract was saved."))
            return redirect("contracts:contract_detail", pk=contract.pk)
    return render(
        request,
        "contracts/contract_form.html",
        {"form": form, "hospital": contract.hospital, "contract": contract},
    )


# --- maintenance agreements (R-7.8) -----------------------------------------------------
@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    agreements = MaintenanceAgreement.objects.for_user(request.user).select_related("hospital")
    agreements, context = _filtered(request, AgreementFilterSet, agreements)
    context["page_obj"] = Paginator(agreements, PAGE_SIZE).get_page(request.GET.get("page"))
    context["can_add"] = request.user.has_perm("contracts.add_maintenanceagreement")
    return render(request, "contracts/agreement_list.html", context)


@login_required
def agreement_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "contracts.add_maintenanceagreement")
    hospital, choice = _chosen_hospital(request)
    if hospital is None:
        return render(
            request,
            "contracts/choose_hospital.html",
            {"form": choice, "title": _("New maintenance agreement")},
        )
    require_perm(request, "contracts.add_maintenanceagreement", hospital)
    form = AgreementForm(request.POST or None, hospital=hospital, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            agreement = services.maintenance_agreement_create(
                hospital=hospital, devices=data.pop("devices"), **data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Maintenance agreement %(number)s was created.") % {"number": agreement}
            )
            return redirect("contracts:agreement_detail", pk=agreement.pk)
    return render(
        request,
        "contracts/agreement_form.html",
        {"form": form, "hospital": hospital, "agreement": None},
    )


@login_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_object_or_404(
        MaintenanceAgreement.objects.for_user(request.user).select_related("hospital"), pk=pk
    )
    today = local_today(agreement.hospital.time_zone)
    if today < agreement.starts_on:
        state = "future"
    elif today <= agreement.ends_on:
        state = "running"
    else:
        state = "ended"
    devices = (
        Device.objects.for_user(request.user)
        .filter(maintenance_agreements=agreement)
        .select_related("product_model", "department")
        .order_by("department__name", "serial_number")
    )
    context = {
        "agreement": agreement,
        "hospital": agreement.hospital,
        "devices": devices,
        "state": state,
        "can_edit": request.user.has_perm("contracts.change_maintenanceagreement", agreement),
    }
    return render(request, "contracts/agreement_detail.html", context)


@login_required
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_object_or_404(
        MaintenanceAgreement.objects.for_user(request.user).select_related("hospital"), pk=pk
    )
    require_perm(request, "contracts.change_maintenanceagreement", agreement)
    form = AgreementForm(
        request.POST or None, instance=agreement, hospital=agreement.hospital, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.maintenance_agreement_update(
                agreement=agreement, devices=data.pop("devices"), **data
            )
        except ValidationError as exc:
            agreement.refresh_from_db()  # the service set the fields before refusing
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The maintenance agreement was saved."))
            return redirect("contracts:agreement_detail", pk=agreement.pk)
    return render(
        request,
        "contracts/agreement_form.html",
        {"form": form, "hospital": agreement.hospital, "agreement": agreement},
    )


# --- coverage (an htmx fragment of the device page) -------------------------------------
COVER_BADGES = {
    Cover.WARRANTY: "text-bg-success",
    Cover.EXTENDED_WARRANTY: "text-bg-info",
    Cover.AGREEMENT: "text-bg-primary",
    Cover.NONE: "text-bg-secondary",
}


def _last_covered_day(ends_at: datetime | None, zone: ZoneInfo) -> date | None:
    # ``ends_at`` is the first instant no longer covered, a local midnight.
    if ends_at is None:
        return None
    return (ends_at.astimezone(zone) - timedelta(seconds=1)).date()


@login_required
@require_GET
def device_coverage(request: HttpRequest, device_pk: int) -> HttpResponse:
    """Which cover the device has and how a repair would be charged; a fragment that the
    device page loads with htmx and that asks again in place."""
    device = get_object_or_404(
        Device.objects.for_user(request.user).select_related("hospital"), pk=device_pk
    )
    zone = ZoneInfo(device.hospital.time_zone)
    asked = {key: request.GET[key] for key in ("at", "cause", "component") if key in request.GET}
    # The moment typed in is local time of the hospital, and so is every time shown.
    with timezone.override(zone):
        form = CoverageQueryForm(
            asked or None,
            device=device,
            initial={"cause": Cause.UNDETERMINED},
            auto_id=f"coverage-{device.pk}-%s",  # unique ids inside the device page
        )
        context: dict = {"device": device, "form": form, "answer": None}
        if not form.is_bound or form.is_valid():
            data = form.cleaned_data if form.is_bound else {}
            at = data.get("at") or timezone.now()
            answer = selectors.device_coverage(
                device=device,
                at=at,
                cause=data.get("cause") or Cause.UNDETERMINED,
                component=data.get("component"),
            )
            context |= {
                "answer": answer,
                "at": at,
                "cover_label": COVER_LABELS[answer.cover],
                "cover_badge": COVER_BADGES[answer.cover],
                "cause_label": CAUSE_LABELS[answer.cause],
                "last_day": _last_covered_day(answer.ends_at, zone),
                "pricing": [
                    (_("Parts"), PRICING_LABELS[answer.parts], answer.parts),
                    (_("Labor"), PRICING_LABELS[answer.labor], answer.labor),
                    (_("Travel"), PRICING_LABELS[answer.travel], answer.travel),
                ],
                "reason": coverage_reason_text(answer, device.hospital.time_zone),
                "component": data.get("component"),
            }
        context["own_warranty"] = [
            (component, _last_covered_day(ends_at, zone))
            for component, ends_at in selectors.components_under_own_warranty(
                device=device, at=timezone.now()
            )
        ]
        context["contract"] = (
            Contract.objects.for_user(request.user).filter(lines__device=device).first()
        )
        context["agreements"] = MaintenanceAgreement.objects.for_user(request.user).filter(
            devices=device
        )
        return render(request, "contracts/_device_coverage.html", context)
