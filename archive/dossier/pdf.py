"""The dossier as one PDF: the cover and the timeline rendered by WeasyPrint (Chinese, the
hospital's zone), then every stored document appended with pypdf in the dossier's order (a
photographed certificate on a page of its own), with bookmarks: the cover, the timeline,
then one per document titled by date, kind and number, under its device for a hospital."""

from __future__ import annotations

import base64
import io
import logging
from typing import IO, Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from customers.services import service_organisation_get

from .collect import Dossier, DossierRecord

logger = logging.getLogger(__name__)
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def dossier_pdf(dossier: Dossier, out: IO[bytes]) -> list[DossierRecord]:
    """Write the dossier's PDF to ``out``. Answers the records whose stored file could not
    be read: the cover names them, so a gap is never silent."""
    from core.pdf import render_pdf  # loads WeasyPrint: only when a PDF is made

    zone = dossier.zone
    with translation.override(settings.LANGUAGE_CODE), timezone.override(zone):
        pages = [(record, _record_pdf(record, render_pdf)) for record in dossier.records]
        unreadable = [record for record, reader in pages if reader is None]
        context = _context(dossier, unreadable)
        cover = PdfReader(io.BytesIO(render_pdf("archive/dossier/cover_pdf.html", context)))
        timeline = PdfReader(io.BytesIO(render_pdf("archive/dossier/timeline_pdf.html", context)))
        writer = PdfWriter()
        writer.append(cover, import_outline=False)
        writer.add_outline_item(title=pgettext("dossier", "Cover"), page_number=0)
        writer.append(timeline, import_outline=False)
        writer.add_outline_item(title=pgettext("dossier", "Timeline"), page_number=len(cover.pages))
        parents: dict[Any, Any] = {}
        for record, reader in pages:
            if reader is None:
                continue
            start = len(writer.pages)
            writer.append(reader, import_outline=False)
            parent = None
            if dossier.grouped:
                key = record.entry.device_id if record.device else None
                if key not in parents:
                    title = dossier.device_label(key) or _("The whole department or hospital")
                    parents[key] = writer.add_outline_item(title=title, page_number=start)
                parent = parents[key]
            writer.add_outline_item(title=record.title, page_number=start, parent=parent)
        writer.add_metadata(
            {"/Title": context["title"], "/Author": context["organisation"].name or ""}
        )
        writer.write(out)
    return unreadable


def _record_pdf(record: DossierRecord, render_pdf) -> PdfReader | None:
    """The record's stored document as a PDF; a photo is put on an A4 page; None when the
    stored file is missing or unreadable (logged: a kept record should never be)."""
    try:
        with record.document.file.open("rb") as handle:
            raw = handle.read()
        if record.document.extension in IMAGE_TYPES:
            uri = f"data:{IMAGE_TYPES[record.document.extension]};base64,"
            uri += base64.b64encode(raw).decode("ascii")
            raw = render_pdf("archive/dossier/image_pdf.html", {"image": uri, "record": record})
        return PdfReader(io.BytesIO(raw))
    except (OSError, ValueError, PdfReadError):
        logger.exception("Dossier: the stored document of %s is unreadable", record.entry.pdf_url)
        return None


def _context(dossier: Dossier, unreadable: list[DossierRecord]) -> dict[str, Any]:
    if dossier.grouped:
        title = _("Service dossier of %(hospital)s") % {"hospital": dossier.hospital.name}
    else:
        title = _("Service dossier of %(device)s") % {
            "device": dossier.device_label(dossier.devices[0].pk)
        }
    rows = [
        {
            "at": timezone.localtime(entry.at, dossier.zone),
            "kind": dossier.kind_labels.get(entry.kind, entry.kind),
            "device": dossier.device_label(entry.device_id) if dossier.grouped else "",
            "entry": entry,
        }
        for entry in dossier.entries
    ]
    return {
        "title": title,
        "dossier": dossier,
        "organisation": service_organisation_get(),
        "hospital": dossier.hospital,
        "rows": rows,
        "counts": dossier.counts(),
        "unreadable": unreadable,
        "zone_name": dossier.hospital.time_zone,
        "generated_at": f"{dossier.generated_at:%Y-%m-%d %H:%M}",
    }
