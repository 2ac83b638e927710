"""The regime document list as a file (issue 14 §5): ``GET /regime-documents`` with
``format=csv|xlsx``, the same filters and scope; the version in effect is judged on each
hospital's own today, as in the list."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exports import Column, ListExport, label_of, text_of

from . import selectors
from .filters import RegimeDocumentFilterSet
from .models import RegimeDocument


def _documents(request: HttpRequest):
    return RegimeDocument.objects.for_user(request.user).order_by("pk")


def _current_version(document: RegimeDocument) -> int | None:
    today = selectors.hospital_today(document.hospital)
    current = selectors.current_version(document.versions.all(), today)
    return current.number if current else None


DOCUMENTS = ListExport(
    name="regime-documents",
    title=_("Regime documents"),
    filterset=RegimeDocumentFilterSet,
    rows=_documents,
    select_related=("hospital", "department"),
    prefetch_related=("versions",),
    columns=(
        Column(_("Title"), lambda d: d.title, 28),
        Column(_("Kind"), label_of("kind"), 14),
        Column(_("Hospital"), lambda d: d.hospital.name, 24),
        Column(_("Department"), lambda d: text_of(d.department), 16),
        Column(_("Version in effect"), _current_version, 10),
        Column(_("Versions"), lambda d: len(d.versions.all()), 8),
    ),
)
