"""The dossier as a zip: every original stored document, byte for byte (a signed PDF's
hash still matches), named ``date_kind_number.pdf`` (in a folder per device for a
hospital), and ``index.xlsx`` with one row per file."""

from __future__ import annotations

import io
import zipfile
from typing import IO

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .collect import Dossier, DossierRecord, safe_name

INDEX_NAME = "index.xlsx"
# A cell a spreadsheet would read as a formula (OWASP "CSV injection"): shown as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: str) -> str:
    """``value`` as text a spreadsheet never evaluates: a leading ``'`` before ``=``, ``+``,
    ``-``, ``@`` (and tab or carriage return)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def dossier_zip(dossier: Dossier, out: IO[bytes]) -> list[tuple[DossierRecord, str]]:
    """Write the zip to ``out``; answers each record with its path in the zip (a record
    whose stored file is gone is left out of the zip and marked in the index)."""
    named = _paths(dossier)
    written: list[tuple[DossierRecord, str]] = []
    with (
        translation.override(settings.LANGUAGE_CODE),  # a document: the site's language
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for record, path in named:
            try:
                with record.document.file.open("rb") as handle:
                    archive.writestr(path, handle.read())
            except OSError:
                path = ""
            written.append((record, path))
        archive.writestr(INDEX_NAME, _index(dossier, written))
    return written


def _paths(dossier: Dossier) -> list[tuple[DossierRecord, str]]:
    """Unique paths: ``[folder/]date_kind_number.ext``, ``…-2.ext`` for a second file of
    the same name."""
    taken: set[str] = set()
    found = []
    for record in dossier.records:
        name = record.file_name
        if dossier.grouped:
            name = f"{_folder(record)}/{name}"
        stem, dot, ext = name.rpartition(".")
        path, n = name, 1
        while path in taken:
            n += 1
            path = f"{stem}-{n}{dot}{ext}"
        taken.add(path)
        found.append((record, path))
    return found


def _folder(record: DossierRecord) -> str:
    device = record.device
    if device is None:
        return "hospital"
    return f"device-{device.pk}_{safe_name(device.serial_number)}".rstrip("_")


def _index(dossier: Dossier, written: list[tuple[DossierRecord, str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Index")[:31]
    sheet.append(
        [
            _("Date"),
            _("Kind"),
            _("Title"),
            _("Device"),
            _("File"),
            _("Signed by"),
            _("Signed at"),
        ]
    )
    zone = dossier.zone
    for record, path in written:
        signed_at = record.document.signed_at
        sheet.append(
            [
                neutral(f"{record.local_at:%Y-%m-%d %H:%M}"),
                neutral(record.kind_label),
                neutral(record.entry.title),
                neutral(dossier.device_label(record.entry.device_id)),
                neutral(path or _("(file missing)")),
                neutral(record.document.signed_by),
                neutral(f"{timezone.localtime(signed_at, zone):%Y-%m-%d %H:%M}")
                if signed_at
                else "",
            ]
        )
    for column, width in zip("ABCDEFG", (17, 16, 48, 36, 48, 24, 17), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
