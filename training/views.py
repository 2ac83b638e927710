"""Web pages of customer training (R-2.1, R-2.2): plans per contract, sessions, the sign-in
page for a tablet or a phone, the paper sheet, materials, certificates and attendance lists.

Every page finds its record through ``for_user`` first: another hospital's record is a 404,
never a 403. Uploaded files and signatures are served only here, after that check.
"""

from __future__ import annotations

import os
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from contracts.models import Contract
from core.errors import Conflict
from core.forms import add_service_errors, id_from
from core.permissions import require_perm
from core.signatures import signature_error_message
from core.signing import pages as signing_pages

from . import selectors, services
from .filters import UPCOMING, TrainingPlanFilterSet, TrainingSessionFilterSet, chosen
from .forms import AttendanceForm, MaterialForm, PlanForm, ScoreForm, SessionForm, SheetForm
from .models import (
    Attendance,
    SessionState,
    TrainingMaterial,
    TrainingPlan,
    TrainingSession,
)

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 50
INLINE_TYPES = {".pdf", ".png", ".jpg", ".jpeg", ".mp4", ".txt"}


def _plan_or_404(request: HttpRequest, pk: int) -> TrainingPlan:
    return get_object_or_404(selectors.plans_for(request.user), pk=pk)


def _session_or_404(request: HttpRequest, pk: int) -> TrainingSession:
    return get_object_or_404(selectors.sessions_for(request.user), pk=pk)


def _attendance_or_404(request: HttpRequest, pk: int) -> Attendance:
    attendances = Attendance.objects.for_user(request.user).select_related(
        "session__hospital", "session__plan__contract", "session__lecturer", "department"
    )
    return get_object_or_404(attendances, pk=pk)


def _file_response(field, *, inline_types=INLINE_TYPES, content_type=None) -> FileResponse:
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    filename = os.path.basename(field.name)
    inline = os.path.splitext(filename)[1].lower() in inline_types
    kwargs: dict[str, Any] = {"as_attachment": not inline, "filename": filename}
    if content_type:
        kwargs["content_type"] = content_type
    response = FileResponse(handle, **kwargs)
    # An uploaded file must never run as one of our pages.
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- plans ------------------------------------------------------------------------------
@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    filters = TrainingPlanFilterSet(request.GET, selectors.plans_for(request.user), request=request)
    context = {
        "page_obj": Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page")),
        "form": filters.form,
        "hospital": chosen(filters, "hospital"),
        "can_add": request.user.has_perm("training.add_trainingplan"),
    }
    return render(request, "training/plan_list.html", context)


@login_required
@GET_POST
def plan_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "training.add_trainingplan")
    initial = {}
    contract_pk = id_from(request.GET.get("contract"))
    if contract_pk is not None:
        initial["contract"] = contract_pk
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = services.training_plan_create(**form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The training plan was created."))
                return redirect("training:plan_detail", pk=plan.pk)
        status = 422
    return render(request, "training/plan_form.html", {"form": form, "plan": None}, status=status)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_or_404(request, pk)
    sessions = selectors.sessions_for(request.user).filter(plan=plan).order_by("starts_at", "pk")
    context = {
        "plan": plan,
        "sessions": _with_local_times(sessions),
        "can_see_contract": Contract.objects.for_user(request.user)
        .filter(pk=plan.contract_id)
        .exists(),
        "can_edit": request.user.has_perm("training.change_trainingplan", plan),
        "can_add_session": request.user.has_perm("training.add_trainingsession", plan),
    }
    return render(request, "training/plan_detail.html", context)


@login_required
@GET_POST
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_or_404(request, pk)
    require_perm(request, "training.change_trainingplan", plan)
    form = PlanForm(request.POST or None, user=request.user, plan=plan)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.training_plan_update(plan=plan, **form.cleaned_data)
            except ValidationError as exc:
                plan.refresh_from_db()
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The training plan was saved."))
                return redirect("training:plan_detail", pk=plan.pk)
        status = 422
    return render(request, "training/plan_form.html", {"form": form, "plan": plan}, status=status)


# --- sessions ---------------------------------------------------------------------------
def _with_local_times(sessions) -> list[TrainingSession]:
    """Each session with its start in its hospital's zone (a list may mix zones)."""
    rows = list(sessions)
    for session in rows:
        zone = selectors.session_zone(session)
        session.local_start = selectors.local_text(session.starts_at, zone)  # type: ignore[attr-defined]
        session.duration_text = selectors.duration_text(session.duration)  # type: ignore[attr-defined]
    return rows


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    filters = TrainingSessionFilterSet(
        request.GET, selectors.sessions_for(request.user), request=request
    )
    # The next sessions first; looking back, the latest first.
    upcoming = chosen(filters, "when") == UPCOMING
    sessions = filters.qs.order_by(*(("starts_at", "pk") if upcoming else ("-starts_at", "-pk")))
    page_obj = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    page_obj.object_list = _with_local_times(page_obj.object_list)
    context = {
        "page_obj": page_obj,
        "form": filters.form,
        "hospital": chosen(filters, "hospital"),
    }
    return render(request, "training/session_list.html", context)


@login_required
@GET_POST
def session_create(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = _plan_or_404(request, plan_pk)
    require_perm(request, "training.add_trainingsession", plan)
    status = 200
    with timezone.override(ZoneInfo(plan.hospital.time_zone)):
        form = SessionForm(request.POST or None, plan=plan)
        if request.method == "POST":
            if form.is_valid():
                try:
                    session = services.training_session_create(plan=plan, **form.service_data())
                except ValidationError as exc:
                    add_service_errors(form, _duration_errors(exc))
                else:
                    messages.success(
                        request, _("Session %(number)s was planned.") % {"number": session.number}
                    )
                    return redirect("training:session_detail", pk=session.pk)
            status = 422
        context = {
            "form": form,
            "plan": plan,
            "session": None,
            "zone_name": plan.hospital.time_zone,
        }
        return render(request, "training/session_form.html", context, status=status)


def _duration_errors(exc: ValidationError) -> ValidationError:
    """The service says ``duration``; the form asks for ``duration_minutes``."""
    if hasattr(exc, "error_dict") and "duration" in exc.error_dict:
        errors = dict(exc.error_dict)
        errors["duration_minutes"] = errors.pop("duration")
        return ValidationError(errors)
    return exc


@login_required
@GET_POST
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session_or_404(request, pk)
    require_perm(request, "training.change_trainingsession", session)
    if session.state == SessionState.CANCELLED:
        messages.info(request, _("The session is cancelled: it can no longer change."))
        return redirect("training:session_detail", pk=session.pk)
    status = 200
    with timezone.override(selectors.session_zone(session)):
        form = SessionForm(request.POST or None, plan=session.plan, session=session)
        if request.method == "POST":
            if form.is_valid():
                try:
                    services.training_session_update(session=session, **form.service_data())
                except ValidationError as exc:
                    add_service_errors(form, _duration_errors(exc))
                else:
                    messages.success(request, _("The session was saved."))
                    return redirect("training:session_detail", pk=session.pk)
            status = 422
        context = {
            "form": form,
            "plan": session.plan,
            "session": session,
            "zone_name": session.hospital.time_zone,
            "frozen": services.TRAINING_SESSION.is_frozen(session),
        }
        return render(request, "training/session_form.html", context, status=status)


def _detail(
    request: HttpRequest,
    session: TrainingSession,
    *,
    material_form: MaterialForm | None = None,
    sheet_form: SheetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    zone = selectors.session_zone(session)
    attendances = list(selectors.attendances_of(session))
    for attendance in attendances:
        attendance.local_signed_at = selectors.local_text(attendance.signed_at, zone)  # type: ignore[attr-defined]
    sign_in_url = reverse("training:attendance_sign", args=[session.pk])
    context = {
        "session": session,
        "plan": session.plan,
        "topics": session.topic_names(),
        "local_start": selectors.local_text(session.starts_at, zone),
        "local_end": selectors.local_text(session.ends_at, zone),
        "duration_text": selectors.duration_text(session.duration),
        "zone_name": session.hospital.time_zone,
        "audience": list(session.audience_departments.all()),
        "materials": list(session.materials.all()),
        "attendances": attendances,
        "sign_in_url": sign_in_url,
        "sign_in_absolute_url": request.build_absolute_uri(sign_in_url),
        "can_edit": user.has_perm("training.change_trainingsession", session)
        and session.state != SessionState.CANCELLED,
        "can_sign_in": user.has_perm("training.add_attendance", session)
        and session.state != SessionState.CANCELLED,
        "can_add_material": user.has_perm("training.add_trainingmaterial", session),
        "can_hold": user.has_perm("training.hold_trainingsession", session)
        and session.state == SessionState.PLANNED
        and session.starts_at <= timezone.now(),
        "can_cancel": user.has_perm("training.cancel_trainingsession", session)
        and session.state == SessionState.PLANNED
        and not attendances,
        "can_score": user.has_perm("training.change_attendance", session),
        "material_form": material_form or MaterialForm(),
        "sheet_form": sheet_form or SheetForm(),
    }
    return render(request, "training/session_detail.html", context, status=status)


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _session_or_404(request, pk))


@login_required
@require_POST
def session_state(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session_or_404(request, pk)
    state = request.POST.get("state", "")
    perm = {
        SessionState.HELD.value: "training.hold_trainingsession",
        SessionState.CANCELLED.value: "training.cancel_trainingsession",
    }.get(state)
    if perm is None:
        raise Http404
    require_perm(request, perm, session)
    try:
        services.training_session_set_state(session=session, state=state)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        text = _("The session is marked held.") if state == SessionState.HELD else None
        messages.success(request, text or _("The session is cancelled."))
    return redirect("training:session_detail", pk=session.pk)


@login_required
@require_POST
def material_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _session_or_404(request, pk)
    require_perm(request, "training.add_trainingmaterial", session)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.training_material_add(
                session=session,
                file=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
                uploaded_by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The material was added."))
            return redirect("training:session_detail", pk=session.pk)
    return _detail(request, session, material_form=form, status=422)


@login_required
def material_file(request: HttpRequest, pk: int) -> FileResponse:
    material = get_object_or_404(
        TrainingMaterial.objects.filter(session__in=TrainingSession.objects.for_user(request.user)),
        pk=pk,
    )
    return _file_response(material.file)


@login_required
@require_POST
def sheet_upload(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session_or_404(request, pk)
    require_perm(request, "training.add_attendance", session)
    form = SheetForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.training_sheet_upload(session=session, file=form.cleaned_data["sign_in_sheet"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "The sign-in sheet was uploaded: attendees on it can be entered without "
                    "a signature."
                ),
            )
            return redirect("training:session_detail", pk=session.pk)
    return _detail(request, session, sheet_form=form, status=422)


@login_required
def sheet_file(request: HttpRequest, pk: int) -> FileResponse:
    session = _session_or_404(request, pk)
    return _file_response(session.sign_in_sheet)


# --- attendance -------------------------------------------------------------------------
@login_required
@GET_POST
def attendance_sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The sign-in page on a tablet or a phone: one attendee after the other, each with a
    signature (or none once the paper sheet is uploaded). It stays here after each one."""
    session = _session_or_404(request, pk)
    require_perm(request, "training.add_attendance", session)
    zone = selectors.session_zone(session)
    opens_on = services.local_day(session, session.starts_at)
    closed = ""
    if session.state == SessionState.CANCELLED:
        closed = _("The session is cancelled.")
    elif services.local_day(session, timezone.now()) < opens_on:
        closed = _("Sign-in opens on the day of the session (%(day)s).") % {"day": opens_on}
    status = 200
    form = AttendanceForm(request.POST or None, session=session)
    if request.method == "POST":
        if closed:
            form.add_error(None, closed)
            status = 409
        else:
            outcome = signing_pages.submit(
                form,
                lambda data: services.attendance_record(
                    session=session,
                    name=data["name"],
                    department=data["department"],
                    department_text=data["department_text"],
                    role=data["role"],
                    signature_data_url=data["signature"] or None,
                    recorded_by=request.user,
                ),
            )
            if outcome.signed:
                messages.success(
                    request,
                    _("Thank you, %(name)s: you are signed in. Next attendee, please.")
                    % {"name": outcome.result.name},
                )
                return redirect("training:attendance_sign", pk=session.pk)
            status = outcome.status
    context = {
        "session": session,
        "form": form,
        "closed": closed,
        "topics": session.topic_names(),
        "local_start": selectors.local_text(session.starts_at, zone),
        "zone_name": session.hospital.time_zone,
        "signature_optional": bool(session.sign_in_sheet),
        "attendee_count": session.attendances.count(),
        "empty_message": signature_error_message("blank"),
    }
    return render(request, "training/attendance_sign.html", context, status=status)


@login_required
@require_POST
def attendance_score(request: HttpRequest, pk: int) -> HttpResponse:
    attendance = _attendance_or_404(request, pk)
    require_perm(request, "training.change_attendance", attendance.session)
    form = ScoreForm(request.POST)
    if form.is_valid():
        try:
            services.attendance_set_score(attendance=attendance, score=form.cleaned_data["score"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Score saved for %(name)s.") % {"name": attendance.name})
    else:
        messages.error(
            request,
            _("%(name)s: %(errors)s")
            % {"name": attendance.name, "errors": " ".join(map(str, form.errors.get("score", [])))},
        )
    return redirect("training:session_detail", pk=attendance.session_id)


@login_required
def signature_image(request: HttpRequest, pk: int) -> FileResponse:
    attendance = _attendance_or_404(request, pk)
    return _file_response(
        attendance.signature_image, inline_types={".png"}, content_type="image/png"
    )


@login_required
def attendance_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    from .documents import certificate_pdf_bytes

    attendance = _attendance_or_404(request, pk)
    return _pdf_response(certificate_pdf_bytes(attendance), f"{attendance.certificate_no}.pdf")


@login_required
def attendance_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from .documents import attendance_pdf_bytes

    session = _session_or_404(request, pk)
    return _pdf_response(attendance_pdf_bytes(session), f"{session.number}-attendance.pdf")
