"""What an uploaded document may be: a few office, image and text formats, recognised by
their extension *and* their first bytes, and not too large. Domain-free: no models here;
regime versions and emergency procedures both check their files with it."""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

ZIP_MAGIC = (b"PK\x03\x04",)  # DOCX, XLSX, PPTX, ODT, ODS are ZIP containers
OLE_MAGIC = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # DOC, XLS of old Office
# Extension -> the first bytes such a file starts with (None: plain text, checked as UTF-8).
ALLOWED_TYPES: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": (b"%PDF-",),
    ".docx": ZIP_MAGIC,
    ".xlsx": ZIP_MAGIC,
    ".pptx": ZIP_MAGIC,
    ".odt": ZIP_MAGIC,
    ".ods": ZIP_MAGIC,
    ".doc": OLE_MAGIC,
    ".xls": OLE_MAGIC,
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".txt": None,
}
# Shown by the browser (in a sandbox); anything else is downloaded.
INLINE_TYPES = {".pdf", ".png", ".jpg", ".jpeg", ".txt"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_NAME_LENGTH = 150


class DocumentFileError(ValueError):
    """Why a file was refused. ``code``: ``empty``, ``too_large``, ``type`` or
    ``content``; ``document_file_error_message`` words it for people."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CheckedFile:
    name: str
    sha256: str
    size: int


def extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def clean_name(name: str) -> str:
    """The base name without directories, shortened (keeping the extension)."""
    name = os.path.basename((name or "").replace("\\", "/")).strip() or "document"
    stem, ext = os.path.splitext(name)
    return stem[: MAX_NAME_LENGTH - len(ext)] + ext


def _chunks(handle) -> Iterable[bytes]:
    if hasattr(handle, "chunks"):
        yield from handle.chunks()
    else:
        yield handle.read()


def check_document_file(
    handle,
    *,
    name: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allowed: Collection[str] | None = None,
) -> CheckedFile:
    """Read the uploaded ``handle`` once: size, type by extension and first bytes, hash.
    ``allowed`` narrows the accepted extensions (a certificate: a PDF or a photo)."""
    name = clean_name(name)
    ext = extension(name)
    if ext not in ALLOWED_TYPES or (allowed is not None and ext not in allowed):
        raise DocumentFileError("type")
    size = getattr(handle, "size", None)
    if size is not None and size > max_bytes:
        raise DocumentFileError("too_large")
    if hasattr(handle, "seek"):
        handle.seek(0)
    digest = hashlib.sha256()
    head = b""
    total = 0
    text_ok = True
    decoder = codecs.getincrementaldecoder("utf-8")() if ALLOWED_TYPES[ext] is None else None
    for chunk in _chunks(handle):
        total += len(chunk)
        if total > max_bytes:
            raise DocumentFileError("too_large")
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        digest.update(chunk)
        if decoder is not None and text_ok:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                text_ok = False
            if b"\x00" in chunk:
                text_ok = False
    if decoder is not None and text_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            text_ok = False
    if hasattr(handle, "seek"):
        handle.seek(0)
    if total == 0:
        raise DocumentFileError("empty")
    magic = ALLOWED_TYPES[ext]
    if magic is None:
        if not text_ok:
            raise DocumentFileError("content")
    elif not any(head.startswith(m) for m in magic):
        raise DocumentFileError("content")
    return CheckedFile(name=name, sha256=digest.hexdigest(), size=total)


def document_file_error_message(
    code: str, *, max_bytes: int = DEFAULT_MAX_BYTES, allowed: Collection[str] | None = None
) -> str:
    """Why the file was refused, in the user's language."""
    if code == "too_large":
        return _("The file is too large: at most %(size)s MB.") % {
            "size": f"{max_bytes / (1024 * 1024):g}"
        }
    if code == "empty":
        return _("The file is empty.")
    if code == "content":
        return _("The file's content does not match its type: upload the document itself.")
    return _("This file type is not accepted: upload one of %(types)s.") % {
        "types": accepted_types_text(allowed)
    }


def accepted_types_text(allowed: Collection[str] | None = None) -> str:
    """``DOC, DOCX, JPEG, …``: the accepted extensions, for messages and help texts."""
    return ", ".join(sorted(ext.lstrip(".").upper() for ext in (allowed or ALLOWED_TYPES)))


def accept_attribute(allowed: Collection[str] | None = None) -> str:
    """The file input's ``accept``: the browser offers only these files."""
    return ",".join(sorted(allowed or ALLOWED_TYPES))
