"""The service archive (R-7.6): one timeline, newest first, filtered by kind and local
days, 50 entries a page; of a device (the device page loads it with htmx, the fragment;
alone it is a page of its own), of a hospital and of a contract (every device of it the
viewer sees, filtered by device and, for a hospital, by department)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from assets.models import Device
from contracts.models import Contract
from core.bounds import MAX_OFFSET
from customers.models import Hospital

from .dossier.collect import MAX_DAYS
from .dossier.forms import DossierForm
from .filters import (
    PAGE_SIZE,
    ArchiveFilterForm,
    Subject,
    archive_query,
    contract_subject,
    hospital_subject,
)
from .selectors import timeline


@login_required
@require_GET
def device_archive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(
        Device.objects.for_user(request.user).select_related("hospital", "product_model"), pk=pk
    )
    form = ArchiveFilterForm(request.GET or None)
    query = form.query(device=device, visible_to=request.user) if form.is_bound else None
    if query is None:  # unfiltered, or a filter with errors (shown on the form)
        query = archive_query(device=device, visible_to=request.user)
    template = "archive/_timeline.html" if request.htmx else "archive/device_archive.html"
    context = {
        "device": device,
        "archive_url": reverse("archive:device_archive", args=[device.pk]),
        "dossier_url": reverse("archive:device_dossier", args=[device.pk]),
    }
    return _render(request, template, form, query, device.hospital.time_zone, context)


@login_required
@require_GET
def hospital_archive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    hospital = get_object_or_404(Hospital.objects.for_user(request.user), pk=pk)
    subject = hospital_subject(hospital, visible_to=request.user)
    context = {
        "hospital": hospital,
        "archive_url": reverse("archive:hospital_archive", args=[hospital.pk]),
        "dossier_url": reverse("archive:hospital_dossier", args=[hospital.pk]),
    }
    return _group_archive(request, subject, context)


@login_required
@require_GET
def contract_archive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(
        Contract.objects.for_user(request.user).select_related("hospital"), pk=pk
    )
    subject = contract_subject(contract, visible_to=request.user)
    context = {
        "contract": contract,
        "hospital": contract.hospital,
        "archive_url": reverse("archive:contract_archive", args=[contract.pk]),
    }
    return _group_archive(request, subject, context)


def _group_archive(request: AuthenticatedHttpRequest, subject: Subject, context: dict):
    form = ArchiveFilterForm(request.GET or None, subject=subject)
    query = form.query(subject=subject, visible_to=request.user) if form.is_bound else None
    if query is None:
        query = archive_query(subject=subject, visible_to=request.user)
    template = "archive/_timeline.html" if request.htmx else "archive/group_archive.html"
    return _render(request, template, form, query, subject.time_zone, context, subject=subject)


def _render(request, template, form, query, time_zone, context, *, subject=None):
    page = _page_number(request.GET.get("page"))
    found = timeline(query, offset=(page - 1) * PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    names: dict[int, str] = {}
    if subject is not None:
        # Which device each entry is about: a group's timeline mixes them.
        shown = {e.device_id for e in found.entries if e.device_id is not None}
        names = {
            d.pk: f"{d.product_model} · {d.serial_number}"
            for d in Device.objects.filter(pk__in=shown).select_related("product_model")
        }
    with timezone.override(ZoneInfo(time_zone)):
        return render(
            request,
            template,
            {
                **context,
                "subject": subject,
                "form": form if form.is_bound else ArchiveFilterForm(subject=subject),
                "selected_kinds": request.GET.getlist("kind"),
                "dossier_form": DossierForm(),
                "max_days": MAX_DAYS,
                "timeline": found,
                "rows": [(e, names.get(e.device_id or 0, "")) for e in found.entries],
                "page": page,
                "filter_query": params.urlencode(),
            },
        )


def _page_number(value: str | None) -> int:
    """A page number as typed in the address: anything else is the first page."""
    if value is None or not value.isdigit() or not 1 <= int(value) <= MAX_OFFSET // PAGE_SIZE:
        return 1
    return int(value)
