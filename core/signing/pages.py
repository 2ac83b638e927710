"""The web side of signing, the same on every sign page.

- Ready to sign: a page offers the pad only for a complete document; otherwise it lists what
  is missing (``sign_page_context``, ``templates/_sign_form.html``). For an ``ordered`` kind
  it also waits for the roles that sign first (``waiting_for``).
- A refused submit keeps the drawing: the form is rendered again with the posted data URL,
  which ``static/js/signature-field.js`` puts back into the pad.
- The signatures as shown, the signature image and the archived PDF as served.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone

from core.errors import Conflict
from core.forms import add_service_errors
from core.signatures import signature_error_message
from core.signing.forms import SignatureForm
from core.signing.kinds import D, SignatureRole, SignedDocument
from core.signing.workflow import archive_pdf

TIME_FORMAT = "%Y-%m-%d %H:%M"


def sign_page_context(
    kind: SignedDocument[D], document: D, *, role: str = SignatureRole.HOSPITAL, own: bool = True
) -> dict[str, Any]:
    """What every sign page needs: what is missing before anyone may sign (the pad is not
    offered then), the role in the kind's words, whether the hospital signs on the vendor's
    device (``own``: on a hospital user's own account), the empty pad's message, and for an
    ``ordered`` kind the roles that sign before this one and have not yet (``waiting_for``,
    in the kind's words: the pad is not offered then either)."""
    return {
        "missing": kind.missing(document),
        "waiting_for": waiting_for(kind, document, role),
        "role": role,
        "role_label": kind.role_label(role),
        "handed_over": role == SignatureRole.HOSPITAL and not own,
        "empty_message": signature_error_message("blank"),
    }


def waiting_for(kind: SignedDocument[D], document: D, role: str) -> list[str]:
    """The roles of an ``ordered`` kind that sign before ``role`` and have not signed yet,
    in the kind's words (empty: ``role`` may sign now, as far as the order goes)."""
    if not kind.ordered or role not in kind.roles or kind.is_frozen(document):
        return []
    signed = set(kind.signatures(document).values_list("role", flat=True))
    earlier = kind.roles[: kind.roles.index(role)]
    return [kind.role_label(r) for r in earlier if r not in signed]


@dataclass(frozen=True)
class Submitted:
    """How a sign page's submit went: ``signed`` (the caller says so and redirects, with
    ``result``, what the service returned), or refused with the page's ``status``."""

    status: int
    result: Any = None

    @property
    def signed(self) -> bool:
        return self.status == 200


def submit(form: forms.BaseForm, sign: Callable[[dict[str, Any]], Any]) -> Submitted:
    """Sign with a bound form: ``sign(form.cleaned_data)`` when it is valid. A refusal goes
    on the form: 422 for input the form or the service refuses, 409 for a conflict with the
    document's state. The form keeps the posted drawing either way, and the pad shows it."""
    if not form.is_valid():
        return Submitted(422)
    try:
        result = sign(form.cleaned_data)
    except Conflict as exc:
        form.add_error(None, exc.message)
        return Submitted(409)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return Submitted(422)
    return Submitted(200, result)


def signature_form(
    request: HttpRequest,
    *,
    own: bool,
    sign: Callable[..., Any],
    form_class: type[SignatureForm] = SignatureForm,
) -> tuple[SignatureForm, Submitted | None]:
    """The form of a sign page and, on a POST, how signing went: ``sign`` is the kind's
    service with its document bound (``functools.partial``), called with ``signer_name``,
    ``signer_role`` and ``signature_data_url``. On a GET the name is filled in when the user
    signs for themself (``own``)."""
    if request.method != "POST":
        user: Any = request.user
        name = (user.get_full_name() or user.get_username()) if own else ""
        return form_class(initial={"signer_name": name}), None
    form = form_class(request.POST)
    return form, submit(
        form,
        lambda data: sign(
            signer_name=data["signer_name"],
            signer_role=data["signer_role"],
            signature_data_url=data["signature"],
        ),
    )


def local_text(value: datetime | None, zone: ZoneInfo) -> str:
    return timezone.localtime(value, zone).strftime(TIME_FORMAT) if value else ""


def image_data_uri(image: FieldFile | None) -> str:
    """A stored signature inline (a data URL): a few kilobytes, and no second door to guard."""
    if not image:
        return ""
    try:
        with image.open("rb") as handle:
            raw = handle.read()
    except (FileNotFoundError, ValueError):
        return ""
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


def signature_row(
    kind: SignedDocument[Any], signature: Any, zone: ZoneInfo, *, with_image: bool
) -> dict[str, Any]:
    """A signature row as the pages and the PDFs show it, its time in the hospital's zone."""
    return {
        "signature": signature,
        "role": kind.role_label(signature.role),
        "signer_name": signature.signer_name,
        "signer_role": signature.signer_role,
        "handed_over": signature.on_vendor_device,
        "signed_at": local_text(signature.signed_at, zone),
        "content_hash": signature.content_hash,
        "image": image_data_uri(signature.image) if with_image else "",
    }


def _file_response(field: FieldFile, **kwargs: Any) -> FileResponse:
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, **kwargs)
    response["Cache-Control"] = "private, no-store"
    return response


def signature_image_response(image: FieldFile | None) -> FileResponse:
    """A signature image, for a viewer the caller has checked (404 when there is none)."""
    if not image:
        raise Http404
    response = _file_response(image, content_type="image/png")
    response["Content-Security-Policy"] = "sandbox"
    return response


def archived_pdf_response(kind: SignedDocument[D], document: D, *, filename: str) -> FileResponse:
    """The archived PDF of a frozen document (404 before the freeze); archived now when the
    archiving after the last signature failed (it is logged)."""
    if not getattr(document, kind.pdf_field):
        if not kind.is_frozen(document):
            raise Http404
        document = archive_pdf(kind, document)
    field: FieldFile = getattr(document, kind.pdf_field)
    return _file_response(
        field, content_type="application/pdf", filename=filename, as_attachment=False
    )


def model_label(model: type[models.Model], name: str) -> str:
    """A field's label, for the list of what is missing."""
    return str(getattr(model._meta.get_field(name), "verbose_name", name))
