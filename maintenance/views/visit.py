"""One visit: its page, the checklist an engineer fills in on a phone (photos uploaded in
place, findings raised as service requests, the hospital signing now or later), the
hospital's signature, and its photos."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from assets.models import DeviceOutOfUse
from core.permissions import require_perm
from core.signatures import signature_error_message
from core.signing import pages as signing_pages

from .. import selectors, visit_records
from ..forms import SIGN_LATER, SIGN_NOW, PhotoForm, VisitSignForm, checklist_form
from ..models import ChecklistItemType, VisitState
from ._common import kind_label, limits_text, result_rows, visit_or_404, with_state

GET_POST = require_http_methods(["GET", "POST"])


def _zone(visit) -> ZoneInfo:
    return ZoneInfo(visit.hospital.time_zone)


def _visit_context(request: HttpRequest, visit) -> dict[str, Any]:
    user = request.user
    (visit,) = with_state([visit])
    checklist = selectors.checklist_for(visit)
    is_signed = bool(visit.content_hash)
    return {
        "visit": visit,
        "rows": result_rows(visit, checklist),
        "obligations": [
            {"kind": kind_label(o.kind), "due_on": o.due_on, "fulfilled_at": o.fulfilled_at}
            for o in visit.obligations.all()
        ],
        "engineers": list(visit.engineers.all()),
        "findings": list(visit.findings.select_related("request")),
        "is_signed": is_signed,
        "signature_src": signing_pages.image_data_uri(visit.signature_image) if is_signed else "",
        "can_complete": visit.state == VisitState.PLANNED
        and user.has_perm("maintenance.complete_visit", visit),
        "can_sign": visit.state == VisitState.DONE
        and not is_signed
        and user.has_perm("maintenance.sign_visit", visit),
        "zone_name": visit.hospital.time_zone,
    }


@login_required
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = visit_or_404(request, pk)
    with timezone.override(_zone(visit)):
        return render(request, "maintenance/visit_detail.html", _visit_context(request, visit))


def _already_done(request: HttpRequest, visit) -> HttpResponse:
    messages.error(
        request,
        _("This visit is already completed: nothing was recorded a second time."),
    )
    return redirect("maintenance:visit_detail", pk=visit.pk)


@login_required
@GET_POST
def visit_checklist(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Fill in the checklist of a planned visit and complete it (one service call). A
    second submission (a double tap, a resent form) finds the visit done: the service
    refuses, and the engineer lands on the visit's page with a clear message."""
    visit = visit_or_404(request, pk)
    require_perm(request, "maintenance.complete_visit", visit)
    if visit.state != VisitState.PLANNED:
        if request.method == "POST":
            return _already_done(request, visit)
        messages.info(request, _("This visit is no longer planned."))
        return redirect("maintenance:visit_detail", pk=visit.pk)
    checklist = selectors.checklist_for(visit)
    status = 200
    with timezone.override(_zone(visit)):
        if request.method == "POST":
            form = checklist_form(checklist, request.POST)
            if form.is_valid():
                try:
                    visit_records.visit_complete(
                        visit=visit, user=request.user, **form.service_arguments()
                    )
                except ValidationError as exc:
                    if "state" in getattr(exc, "error_dict", {}):
                        return _already_done(request, visit)
                    form.add_service_errors(exc)
                    status = 422
                else:
                    visit.refresh_from_db()
                    if DeviceOutOfUse.objects.filter(visit_ref=visit.pk).exists():
                        messages.warning(
                            request,
                            _(
                                "A safety item failed: the device is now out of use until it "
                                "is repaired."
                            ),
                        )
                    if visit.content_hash:
                        messages.success(request, _("Visit completed and signed."))
                    else:
                        messages.success(
                            request, _("Visit completed: it awaits the hospital's signature.")
                        )
                    return redirect("maintenance:visit_detail", pk=visit.pk)
            else:
                status = 422
        else:
            form = checklist_form(checklist, initial={"sign_mode": SIGN_LATER})
        photos: dict[str, list] = {}
        for photo in visit.photos.all():
            photos.setdefault(photo.item_key, []).append(photo)
        rows = form.rows()
        for row in rows:
            row["limits"] = limits_text(row["item"])
            row["photos"] = photos.get(row["key"], [])
            row["is_photo"] = row["item"]["type"] == ChecklistItemType.PHOTO
        (visit,) = with_state([visit])
        context = {
            "visit": visit,
            "form": form,
            "rows": rows,
            "sign_now": SIGN_NOW,
            "empty_message": signature_error_message("blank"),
        }
        return render(request, "maintenance/visit_checklist.html", context, status=status)


@login_required
@GET_POST
def visit_sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The hospital confirms a completed visit (R-2.4): a department user or the equipment
    administrator on their own account, or vendor staff collecting it on the spot."""
    visit = visit_or_404(request, pk)
    require_perm(request, "maintenance.sign_visit", visit)
    if visit.state != VisitState.DONE or visit_records.VISIT_RECORD.is_frozen(visit):
        if visit.content_hash:
            messages.info(request, _("This visit is already signed."))
        else:
            messages.info(request, _("Only a completed visit can be signed."))
        return redirect("maintenance:visit_detail", pk=visit.pk)
    with timezone.override(_zone(visit)):
        form, outcome = signing_pages.signature_form(
            request,
            own=not request.user.is_vendor_staff,
            form_class=VisitSignForm,
            # The hospital signs a visit on its own account or on the spot: no position asked.
            sign=lambda signer_role, **drawn: visit_records.visit_sign(
                visit=visit, user=request.user, **drawn
            ),
        )
        if outcome is not None and outcome.signed:
            messages.success(request, _("Signed: the visit's record is now frozen."))
            return redirect("maintenance:visit_detail", pk=visit.pk)
        context = _visit_context(request, visit)
        context.update(signing_pages.sign_page_context(visit_records.VISIT_RECORD, visit))
        context["form"] = form
        status = outcome.status if outcome else 200
        return render(request, "maintenance/visit_sign.html", context, status=status)


# --- photos -------------------------------------------------------------------------------
def _photo_box(request: HttpRequest, visit, item_key: str, *, error: str = "") -> HttpResponse:
    item = next(
        (i for i in selectors.checklist_for(visit) if i["key"] == item_key),
        None,
    )
    if item is None:
        raise Http404
    return render(
        request,
        "maintenance/_photo_box.html",
        {
            "visit": visit,
            "row": {
                "key": item_key,
                "item": item,
                "photos": list(visit.photos.filter(item_key=item_key)),
            },
            "photo_error": error,
            "editable": visit.state == VisitState.PLANNED,
        },
    )


@login_required
@require_POST
def visit_photo_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One photo of a photo item, uploaded in place (htmx) while the visit is planned; the
    item's box comes back with the photo or the reason it was refused."""
    visit = visit_or_404(request, pk)
    require_perm(request, "maintenance.complete_visit", visit)
    form = PhotoForm(request.POST, request.FILES)
    item_key = request.POST.get("item_key", "")
    error = ""
    if form.is_valid():
        try:
            visit_records.visit_photo_add(
                visit=visit,
                user=request.user,
                item_key=form.cleaned_data["item_key"],
                upload=form.cleaned_data["photo"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("maintenance:checklist_edit", pk=visit.pk)
    return _photo_box(request, visit, item_key, error=error)


@login_required
@require_POST
def visit_photo_remove(request: AuthenticatedHttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    visit = visit_or_404(request, pk)
    require_perm(request, "maintenance.complete_visit", visit)
    photo = get_object_or_404(visit.photos, pk=photo_pk)
    item_key = photo.item_key
    error = ""
    try:
        visit_records.visit_photo_remove(photo=photo, user=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("maintenance:checklist_edit", pk=visit.pk)
    return _photo_box(request, visit, item_key, error=error)


@login_required
@require_GET
def visit_photo(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    """A photo of a visit, only for those who see the visit."""
    visit = visit_or_404(request, pk)
    photo = get_object_or_404(visit.photos, pk=photo_pk)
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
