"""Pages of the charge statements: the statement of a request (lines with why, totals,
accept/dispute for the hospital, the PDF once accepted) and the list of statements.

Every page first finds the request through ``ServiceRequest.objects.for_user``: another
hospital's request is a 404, never a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from core.errors import Conflict
from service.models import ServiceRequest
from service.selectors import request_in_scope_or_404

from . import services
from .filters import StatementFilterSet
from .models import ChargeStatement, StatementState
from .reasons import line_reason_text
from .selectors import current_total, statements_for


def _lines(lines, time_zone: str) -> list[dict]:
    return [
        {"line": line, "why": line_reason_text(line.reason_code, line.reason_params, time_zone)}
        for line in lines
    ]


def _render_statement(
    request: HttpRequest,
    service_request: ServiceRequest,
    statement: ChargeStatement | None,
    *,
    dispute_error: str = "",
    comment: str = "",
    status: int = 200,
) -> HttpResponse:
    time_zone = service_request.hospital.time_zone
    context: dict[str, Any] = {
        "service_request": service_request,
        "statement": statement,
        "dispute_error": dispute_error,
        "comment": comment,
    }
    if statement is not None:
        context |= {
            "lines": _lines(statement.lines.all(), time_zone),
            "credit_notes": [
                {"note": note, "lines": _lines(note.lines.all(), time_zone)}
                for note in statement.credit_notes.all()
            ],
            "current_total": current_total(statement),
            "can_answer": statement.state == StatementState.DRAFT
            and request.user.has_perm("charges.accept_chargestatement", statement),
            "can_credit": statement.is_frozen and request.user.has_perm("charges.add_creditnote"),
        }
    return render(request, "charges/statement.html", context, status=status)


@login_required
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = request_in_scope_or_404(request.user, pk)
    return _render_statement(
        request, service_request, services.charge_statement_for_read(request=service_request)
    )


def _statement_or_404(service_request: ServiceRequest) -> ChargeStatement:
    statement = services.charge_statement_for_read(request=service_request)
    if statement is None:
        raise Http404
    return statement


@login_required
@require_POST
def statement_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    service_request = request_in_scope_or_404(request.user, pk)
    statement = _statement_or_404(service_request)
    if not request.user.has_perm("charges.accept_chargestatement", statement):
        raise PermissionDenied
    try:
        services.charge_statement_accept(statement=statement, user=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Statement accepted."))
    return redirect("charges:statement", pk=service_request.pk)


@login_required
@require_POST
def statement_dispute(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    service_request = request_in_scope_or_404(request.user, pk)
    statement = _statement_or_404(service_request)
    if not request.user.has_perm("charges.dispute_chargestatement", statement):
        raise PermissionDenied
    comment = request.POST.get("comment", "")
    try:
        services.charge_statement_dispute(statement=statement, user=request.user, comment=comment)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        error = " ".join(fields.get("comment", exc.messages))
        return _render_statement(
            request, service_request, statement, dispute_error=error, comment=comment
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Statement disputed: the vendor will answer."))
    return redirect("charges:statement", pk=service_request.pk)


@login_required
def statement_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The stored PDF of the accepted statement, only for those who see the request."""
    service_request = request_in_scope_or_404(request.user, pk)
    statement = ChargeStatement.objects.filter(request=service_request).first()
    if statement is None or not statement.is_frozen:
        raise Http404
    if not statement.pdf:
        # Rendering after acceptance failed (it is logged): render it now.
        statement = services.charge_statement_render_pdf(statement_id=statement.pk)
    try:
        handle = statement.pdf.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, content_type="application/pdf", filename=f"{statement.number}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def statement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    # A state that does not exist is simply ignored.
    filters = StatementFilterSet(request.GET, statements_for(request.user), request=request)
    page_obj = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "charges/statement_list.html", {"page_obj": page_obj, "form": filters.form}
    )


@login_required
def credit_note_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The vendor's office re-prices an accepted statement by a credit note (e.g. after the
    fault cause was corrected by an amendment of the signed record)."""
    service_request = request_in_scope_or_404(request.user, pk)
    if not request.user.has_perm("charges.add_creditnote"):
        raise PermissionDenied
    statement = ChargeStatement.objects.filter(request=service_request).first()
    if statement is None or not statement.is_frozen:
        messages.info(request, _("Only an accepted statement needs a credit note."))
        return redirect("charges:statement", pk=service_request.pk)
    reason, error = "", ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            note = services.credit_note_issue(statement=statement, user=request.user, reason=reason)
        except ValidationError as exc:
            fields = exc.message_dict if hasattr(exc, "error_dict") else {}
            error = " ".join(fields.get("reason", exc.messages))
        except Conflict as exc:
            error = exc.message
        else:
            messages.success(request, _("Credit note %(number)s issued.") % {"number": note.number})
            return redirect("charges:statement", pk=service_request.pk)
    return render(
        request,
        "charges/credit_note_form.html",
        {
            "service_request": service_request,
            "statement": statement,
            "reason": reason,
            "error": error,
        },
    )
