"""The monthly reports: the list (a hospital's users see their hospital's), the PDF, the
link the hospital's contacts get by e-mail, and the service manager's "regenerate"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from core.permissions import require_perm

from . import services
from .forms import RegenerateForm
from .links import report_id_of
from .models import MonthlyReport
from .pdf import pdf_file_response

PAGE_SIZE = 25


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    reports = (
        MonthlyReport.objects.for_user(request.user)
        .latest_versions()
        .select_related("hospital", "generated_by")
    )
    hospital = request.GET.get("hospital", "")
    if hospital.isdigit() and len(hospital) < 12:
        reports = reports.filter(hospital_id=int(hospital))
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/report_list.html",
        {
            "page_obj": page,
            "can_regenerate": request.user.has_perm("reports.change_monthlyreport"),
        },
    )


@login_required
@require_GET
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    report = get_object_or_404(MonthlyReport.objects.for_user(request.user), pk=pk)
    return pdf_file_response(report)


@require_GET
def report_shared(request: HttpRequest, token: str) -> FileResponse:
    """The link in the e-mail to a hospital's contact: the signed token is the permission
    to read that one report (``reports.links``)."""
    report_id = report_id_of(token)
    if report_id is None:
        raise Http404
    return pdf_file_response(get_object_or_404(MonthlyReport, pk=report_id))


@login_required
@require_POST
def report_regenerate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(MonthlyReport.objects.for_user(request.user), pk=pk)
    require_perm(request, "reports.change_monthlyreport", report)
    form = RegenerateForm(request.POST)
    try:
        if not form.is_valid():  # a NUL or an overlong reason
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        new = services.monthly_report_regenerate(
            report=report, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Version %(version)s of the report was written; the hospital is told.")
            % {"version": new.version},
        )
    return redirect("reports:report_list")
