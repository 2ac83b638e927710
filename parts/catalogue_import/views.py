"""Pages of the catalogue import (issue 5 §5): upload, the progress bar and row-by-row
report (polled with htmx every second), confirm or cancel, and the template workbook.
Office staff (admin, manager) only, like the catalogue's other writes."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.http import AuthenticatedHttpRequest
from assets.models import ProductModel
from core.forms import BootstrapFormMixin
from core.permissions import require_perm

from . import jobs as import_jobs
from .workbook import COLUMNS, MAX_ROWS, looks_like_workbook, template_workbook

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX_TYPE}"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() != ".xlsx":
            raise forms.ValidationError(
                _("Upload an Excel workbook (.xlsx); save an .xls or .csv file as .xlsx first.")
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB: split it into smaller files.")
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        if not looks_like_workbook(upload):
            raise forms.ValidationError(
                _("This file is not an Excel workbook (.xlsx). Save it as .xlsx and try again.")
            )
        return upload


def _job(request: HttpRequest) -> tuple[str | None, dict | None]:
    token = request.session.get(import_jobs.SESSION_KEY)
    return token, import_jobs.job_for(token, request.user)


@login_required
@require_http_methods(["GET", "POST"])
def import_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "parts.add_sparepart")
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        token = import_jobs.job_start(
            upload=form.cleaned_data["file"], user=request.user, language=get_language()
        )
        request.session[import_jobs.SESSION_KEY] = token
        return redirect("parts:import_review")
    _token, running = _job(request)
    return render(
        request,
        "parts/import_upload.html",
        {
            "form": form,
            "columns": COLUMNS,
            "max_rows": MAX_ROWS,
            "running": running if running and running["state"] in import_jobs.RUNNING else None,
        },
    )


@login_required
@require_GET
def import_review(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The job's page; asked by htmx (every second while it runs), only its status box."""
    require_perm(request, "parts.add_sparepart")
    _token, state = _job(request)
    if state is None:
        if request.htmx:
            return HttpResponseClientRedirect(reverse("parts:import_create"))
        return redirect("parts:import_create")
    if state["state"] == "failed":
        state["error"] = import_jobs.job_error(state)
    context = {
        "job": state,
        "running": state["state"] in import_jobs.RUNNING,
        "percent": import_jobs.job_percent(state),
    }
    template = "parts/_import_status.html" if request.htmx else "parts/import_review.html"
    return render(request, template, context)


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """``action``: ``all`` (every row is good), ``good`` (only the good rows), ``cancel``."""
    require_perm(request, "parts.add_sparepart")
    token, state = _job(request)
    if token is None or state is None:
        return redirect("parts:import_create")
    action = request.POST.get("action")
    if action == "cancel":
        if state["state"] not in {"confirmed", "importing"}:
            import_jobs.job_discard(token)
            request.session.pop(import_jobs.SESSION_KEY, None)
            messages.info(request, _("Import cancelled: nothing was imported."))
            return redirect("parts:part_list")
        messages.error(request, _("The import is already running."))
        return redirect("parts:import_review")
    report = state.get("report") or {}
    allowed = state["state"] == "validated" and (
        (action == "all" and report.get("bad") == 0 and report.get("good"))
        or (action == "good" and report.get("good"))
    )
    if not allowed:
        messages.error(request, _("This import cannot be started now."))
        return redirect("parts:import_review")
    if not import_jobs.job_confirm(token=token, only_good=action == "good"):
        messages.error(request, _("The import is already running."))
    return redirect("parts:import_review")


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """The workbook to fill in: the header row and one example row."""
    require_perm(request, "parts.view_sparepart")
    example = ProductModel.objects.order_by("pk").first()
    content = template_workbook(str(example) if example else "")
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="parts-import-template.xlsx"'
    return response
