"""Pages of the charge statements: the statement of a request (lines with why, totals, its
history, the vendor's steps: edit, review, send, answer, correct, credit note; the
hospital's: accept, dispute; the PDF once accepted) and the list of statements.

Every page first finds the request through ``ServiceRequest.objects.for_user``: another
hospital's request is a 404, never a 403; a statement not sent yet is a 404 for the
hospital's users too (issue 12 §4).
"""

from __future__ import annotations

from collections.abc import Callable
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

from . import services, workflow
from .filters import StatementFilterSet
from .history import history_of, last_answer
from .models import ChargeStatement, StatementState, line_label, unit_label
from .reasons import line_reason_text
from .selectors import current_total, statement_visible_to, statements_for


def _lines(lines, time_zone: str) -> list[dict]:
    return [
        {"line": line, "why": line_reason_text(line.reason_code, line.reason_params, time_zone)}
        for line in lines
    ]


def _steps(user, statement: ChargeStatement) -> dict[str, bool]:
    state = statement.state

    def may(perm: str) -> bool:
        return user.has_perm(perm, statement)

    return {
        "can_accept": state == StatementState.SENT and may("charges.accept_chargestatement"),
        "can_dispute": state == StatementState.SENT and may("charges.dispute_chargestatement"),
        "can_edit": state == StatementState.DRAFT and may("charges.change_chargestatement"),
        "can_review": state == StatementState.DRAFT and may("charges.review_chargestatement"),
        "can_send": state == StatementState.REVIEWED and may("charges.send_chargestatement"),
        "can_reply": state == StatementState.DISPUTED and may("charges.answer_chargestatement"),
        "can_correct": state in (StatementState.SENT, StatementState.DISPUTED)
        and may("charges.change_chargestatement"),
        "can_credit": state in (StatementState.ACCEPTED, StatementState.DISPUTED)
        and user.has_perm("charges.add_creditnote"),
    }


def _render_statement(
    request: HttpRequest,
    service_request: ServiceRequest,
    statement: ChargeStatement | None,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    time_zone = service_request.hospital.time_zone
    context: dict[str, Any] = {
        "service_request": service_request,
        "statement": statement,
        "errors": errors or {},
        "values": values or {},
        # Kept for the templates that used them before the vendor's steps existed.
        "dispute_error": (errors or {}).get("comment", ""),
        "comment": (values or {}).get("comment", ""),
    }
    if statement is not None:
        context |= {
            "lines": _lines(statement.lines.all(), time_zone),
            "credit_notes": [
                {"note": note, "lines": _lines(note.lines.all(), time_zone)}
                for note in statement.credit_notes.all()
            ],
            "current_total": current_total(statement),
            "history": history_of(statement),
            "answer": last_answer(statement),
            "versions": [
                {
                    "version": old,
                    "lines": [
                        line
                        | {
                            "label": line_label(line["kind"], line["description"]),
                            "unit": unit_label(line["kind"]),
                        }
                        for line in old.content.get("lines", [])
                    ],
                }
                for old in statement.versions.order_by("-version")
            ],
            **_steps(request.user, statement),
        }
        # The hospital's two buttons, under their former name.
        context["can_answer"] = context["can_accept"]
    return render(request, "charges/statement.html", context, status=status)


def _visible(request: HttpRequest, service_request: ServiceRequest) -> ChargeStatement | None:
    statement = services.charge_statement_for_read(request=service_request)
    if statement is not None and not statement_visible_to(request.user, statement):
        raise Http404
    return statement


@login_required
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = request_in_scope_or_404(request.user, pk)
    try:
        statement = _visible(request, service_request)
    except Http404:
        # The hospital's user followed the request page's link before the vendor sent the
        # statement: still a 404, with words instead of the bare error page.
        return render(
            request,
            "charges/statement.html",
            {"service_request": service_request, "statement": None, "not_sent": True},
            status=404,
        )
    return _render_statement(request, service_request, statement)


def _statement_or_404(request: HttpRequest, service_request: ServiceRequest) -> ChargeStatement:
    statement = _visible(request, service_request)
    if statement is None:
        raise Http404
    return statement


def _step(
    request: AuthenticatedHttpRequest,
    pk: int,
    perm: str,
    do: Callable[[ChargeStatement], Any],
    done: str,
    field: str = "",
) -> HttpResponse:
    """One POSTed step: 404 outside scope (or not sent, for the hospital), 403 without the
    right, the field's error on the page (nothing changed), a 409 as a message."""
    service_request = request_in_scope_or_404(request.user, pk)
    statement = _statement_or_404(request, service_request)
    if not request.user.has_perm(perm, statement):
        raise PermissionDenied
    try:
        do(statement)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        error = " ".join(fields.get(field, exc.messages)) if field else " ".join(exc.messages)
        value = request.POST.get(field, "") if field else ""
        return _render_statement(
            request,
            service_request,
            statement,
            errors={field or "lines": error},
            values={field: value} if field else {},
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("charges:statement", pk=service_request.pk)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_POST
def statement_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "charges.accept_chargestatement",
        lambda s: workflow.charge_statement_accept(
            statement=s, user=request.user, version=_version(request)
        ),
        _("Statement accepted."),
    )


@login_required
@require_POST
def statement_dispute(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "charges.dispute_chargestatement",
        lambda s: workflow.charge_statement_dispute(
            statement=s, user=request.user, comment=request.POST.get("comment", "")
        ),
        _("Statement disputed: the vendor will answer."),
        field="comment",
    )


@login_required
@require_POST
def statement_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "charges.review_chargestatement",
        lambda s: workflow.charge_statement_review(statement=s, user=request.user),
        _("Statement reviewed: it can be sent to the hospital."),
    )


@login_required
@require_POST
def statement_send(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "charges.send_chargestatement",
        lambda s: workflow.charge_statement_send(statement=s, user=request.user),
        _("Statement sent to the hospital."),
    )


@login_required
@require_POST
def statement_reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "charges.answer_chargestatement",
        lambda s: workflow.charge_statement_answer(
            statement=s, user=request.user, message=request.POST.get("message", "")
        ),
        _("Answer sent to the hospital."),
        field="message",
    )


@login_required
@require_POST
def statement_correct(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        "charges.change_chargestatement",
        lambda s: workflow.charge_statement_correct(
            statement=s, user=request.user, message=request.POST.get("correction", "")
        ),
        _("New version drafted: edit it if needed, review it and send it."),
        field="correction",
    )


def _line_changes(request: HttpRequest, statement: ChargeStatement) -> list[dict[str, Any]]:
    return [
        {
            "position": line.position,
            "quantity": request.POST.get(f"quantity-{line.position}", ""),
            "unit_price": request.POST.get(f"unit_price-{line.position}", ""),
        }
        for line in statement.lines.all()
    ]


@login_required
@require_POST
def statement_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if request.POST.get("reprice"):
        return _step(
            request,
            pk,
            "charges.change_chargestatement",
            lambda s: workflow.charge_statement_reprice_from_record(statement=s, user=request.user),
            _("Statement priced from the record again."),
        )
    return _step(
        request,
        pk,
        "charges.change_chargestatement",
        lambda s: workflow.charge_statement_lines_edit(
            statement=s, user=request.user, changes=_line_changes(request, s)
        ),
        _("Lines saved."),
    )


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
        handle, content_type="application/pdf", filename=f"{statement.display_number}.pdf"
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
    fault cause was corrected by an amendment of the signed record), or answers a dispute
    so: the disputed statement goes back to the hospital with the credit note."""
    service_request = request_in_scope_or_404(request.user, pk)
    if not request.user.has_perm("charges.add_creditnote"):
        raise PermissionDenied
    statement = ChargeStatement.objects.filter(request=service_request).first()
    if statement is None or statement.state not in (
        StatementState.ACCEPTED,
        StatementState.DISPUTED,
    ):
        messages.info(request, _("Only an accepted or disputed statement needs a credit note."))
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
