"""The regime pages (R-2.3, R-7.5): the hospital's regime (responsible persons and their
gaps, regime documents, who lacks the current version), a document's history, and the
forms to add a document, upload a version and record a receipt (phone-friendly).

Every page reads through ``for_user`` (another hospital's record is a 404), checks the
``rules`` permission before a write (403) and makes one service call per write. Files are
never served from MEDIA_URL: only through ``version_file`` / ``receipt_signature``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from core.forms import add_service_errors, id_from
from core.permissions import require_perm
from core.signing import pages as signing_pages
from core.uploads import INLINE_TYPES, extension
from customers.models import Hospital
from customers.scoping import scope_for

from . import selectors, services
from .forms import RegimeDocumentForm, RegimeReceiptForm, RegimeVersionForm
from .models import RegimeDocument, RegimeKind, RegimeReceipt, RegimeVersion

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 25


def _hospital_or_404(request: HttpRequest, pk: int) -> Hospital:
    return get_object_or_404(Hospital.objects.for_user(request.user), pk=pk)


def _document_or_404(request: HttpRequest, pk: int) -> RegimeDocument:
    return get_object_or_404(
        RegimeDocument.objects.for_user(request.user).select_related("hospital", "department"),
        pk=pk,
    )


def _permissions(user, hospital: Hospital) -> dict[str, bool]:
    return {
        "can_add_document": user.has_perm("regimes.add_regimedocument", hospital),
        "can_add_version": user.has_perm("regimes.add_regimeversion", hospital),
        "can_add_receipt": user.has_perm("regimes.add_regimereceipt", hospital),
    }


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Every hospital the viewer sees, with its regime's gaps; a hospital user goes
    straight to their own hospital's regime."""
    hospitals = Hospital.objects.for_user(request.user).order_by("name")
    scope = scope_for(request.user)
    if not scope.all_hospitals and len(scope.visible_hospital_ids) == 1:
        (only,) = scope.visible_hospital_ids
        return redirect("regimes:hospital_regime", hospital_pk=only)
    page = Paginator(hospitals, PAGE_SIZE).get_page(request.GET.get("page"))
    summaries = selectors.regime_overview(hospitals=list(page.object_list), user=request.user)
    return render(
        request,
        "regimes/overview.html",
        {"page_obj": page, "summaries": summaries},
    )


@login_required
@require_GET
def hospital_regime(request: HttpRequest, hospital_pk: int) -> HttpResponse:
    hospital = _hospital_or_404(request, hospital_pk)
    regime = selectors.hospital_regime(hospital=hospital, user=request.user)
    return render(
        request,
        "regimes/hospital_regime.html",
        {
            "hospital": hospital,
            "regime": regime,
            "can_name_for_department": request.user.has_perm(
                "customers.change_department", hospital
            ),
            "can_name_for_device": request.user.has_perm("assets.change_device", hospital),
            **_permissions(request.user, hospital),
        },
    )


@login_required
@GET_POST
def document_create(request: AuthenticatedHttpRequest, hospital_pk: int) -> HttpResponse:
    hospital = _hospital_or_404(request, hospital_pk)
    require_perm(request, "regimes.add_regimedocument", hospital)
    if request.method == "POST":
        form = RegimeDocumentForm(request.POST, user=request.user, hospital=hospital)
    else:
        kind = request.GET.get("kind")
        initial = {}
        if kind in RegimeKind.values:
            initial = {"kind": kind, "title": str(RegimeKind(kind).label)}
        form = RegimeDocumentForm(initial=initial, user=request.user, hospital=hospital)
    if form.is_bound and form.is_valid():
        try:
            document = services.regime_document_create(
                hospital=hospital, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Regime document saved: now upload its first version."))
            return redirect("regimes:version_create", pk=document.pk)
    return render(request, "regimes/document_form.html", {"form": form, "hospital": hospital})


@login_required
@require_GET
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document_or_404(request, pk)
    status = selectors.document_regime(document=document, user=request.user)
    return render(
        request,
        "regimes/document_detail.html",
        {
            "document": document,
            "hospital": document.hospital,
            "status": status,
            **_permissions(request.user, document.hospital),
        },
    )


@login_required
@GET_POST
def version_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    document = _document_or_404(request, pk)
    require_perm(request, "regimes.add_regimeversion", document)
    previous = document.versions.order_by("-number").first()
    if request.method == "POST":
        form = RegimeVersionForm(request.POST, request.FILES)
    else:
        today = selectors.hospital_today(document.hospital)
        start = max(today, previous.effective_from) if previous else today
        form = RegimeVersionForm(initial={"effective_from": start})
    if form.is_bound and form.is_valid():
        try:
            version = services.regime_version_add(
                document=document, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Version %(number)s saved.") % {"number": version.number})
            return redirect("regimes:document_detail", pk=document.pk)
    return render(
        request,
        "regimes/version_form.html",
        {"form": form, "document": document, "hospital": document.hospital, "previous": previous},
    )


@login_required
@GET_POST
def receipt_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    document = _document_or_404(request, pk)
    require_perm(request, "regimes.add_regimereceipt", document)
    hospital = document.hospital
    # The receipt time is typed in the hospital's zone.
    with timezone.override(ZoneInfo(hospital.time_zone)):
        if request.method == "POST":
            form = RegimeReceiptForm(request.POST, user=request.user, document=document)
        else:
            versions = list(document.versions.all())
            current = selectors.current_version(versions, selectors.hospital_today(hospital))
            initial = {
                "version": current or (versions[-1] if versions else None),
                "department": document.department,
                "received_at": timezone.localtime().replace(second=0, microsecond=0),
            }
            for name in ("department", "recipient_contact"):
                value = id_from(request.GET.get(name))
                if value is not None:
                    initial[name] = value
            form = RegimeReceiptForm(initial=initial, user=request.user, document=document)
        if form.is_bound and form.is_valid():
            data = dict(form.cleaned_data)
            data["signature_data_url"] = data.pop("signature", "")
            try:
                services.regime_receipt_record(document=document, recorded_by=request.user, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Receipt recorded."))
                return redirect("regimes:document_detail", pk=document.pk)
        return render(
            request,
            "regimes/receipt_form.html",
            {
                "form": form,
                "document": document,
                "hospital": hospital,
                "has_versions": document.versions.exists(),
            },
        )


def _private(response: FileResponse) -> FileResponse:
    # An uploaded HTML or SVG file must never run as one of our pages.
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def version_file(request: HttpRequest, pk: int) -> FileResponse:
    """A version's uploaded file, only for those who see its hospital's regime."""
    version = get_object_or_404(RegimeVersion.objects.for_user(request.user), pk=pk)
    if not version.file:
        raise Http404
    try:
        handle = version.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    name = version.file_name
    inline = extension(name) in INLINE_TYPES
    return _private(FileResponse(handle, as_attachment=not inline, filename=name))


@login_required
@require_GET
def receipt_signature(request: HttpRequest, pk: int) -> FileResponse:
    receipt = get_object_or_404(RegimeReceipt.objects.for_user(request.user), pk=pk)
    return signing_pages.signature_image_response(receipt.signature)
