"""Signatures drawn on screen and the hash that binds a signature to what was signed.

A phone posts what signature_pad's ``toDataURL()`` gives: ``data:image/png;base64,...``.
It is untrusted input: only a small, real, non-blank PNG is accepted. A signature's hash
is the SHA-256 of the signed content (canonical JSON: sorted keys, no spaces, UTF-8) and
of the image bytes, so a later change to either no longer matches the stored hash.
Domain-free: no models here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"
# A signature is a few strokes: ~10-60 KB from a phone at 3x pixel density.
MAX_SIGNATURE_BYTES = 500 * 1024
# Larger than any phone or tablet canvas; refuses decompression bombs before decoding.
MAX_SIGNATURE_SIDE = 4096
# A dot or an accidental tap is not a signature.
MIN_INK_PIXELS = 30


class SignatureImageError(ValueError):
    """Why a posted signature was refused. ``code``: ``missing``, ``not_png``,
    ``too_large``, ``malformed`` or ``blank``; the web layer words it for people."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def decode_signature_data_url(
    data_url: str | None, *, max_bytes: int = MAX_SIGNATURE_BYTES
) -> bytes:
    """The PNG bytes of a ``data:image/png;base64,...`` URL, or ``SignatureImageError``."""
    if not data_url or not data_url.strip():
        raise SignatureImageError("missing")
    data_url = data_url.strip()
    if not data_url[: len(DATA_URL_PREFIX)].lower() == DATA_URL_PREFIX:
        raise SignatureImageError("not_png")
    payload = data_url[len(DATA_URL_PREFIX) :]
    # Refuse by length before decoding anything: base64 is 4 characters per 3 bytes.
    if len(payload) > (max_bytes + 2) // 3 * 4:
        raise SignatureImageError("too_large")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureImageError("malformed") from exc
    if len(raw) > max_bytes:
        raise SignatureImageError("too_large")
    if not raw.startswith(PNG_MAGIC):
        raise SignatureImageError("not_png")
    _check_ink(raw)
    return raw


def _check_ink(raw: bytes) -> None:
    """Decode the PNG (Pillow comes with WeasyPrint) and refuse it when nothing is drawn."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format != "PNG":
                raise SignatureImageError("not_png")
            width, height = probe.size
            if not (0 < width <= MAX_SIGNATURE_SIDE and 0 < height <= MAX_SIGNATURE_SIDE):
                raise SignatureImageError("too_large")
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            rgba = image.convert("RGBA")
    except SignatureImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise SignatureImageError("malformed") from exc
    # Ink is a visible pixel that is not near-white: strokes on a transparent or a white
    # background both count, an empty canvas of either kind does not.
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(white, rgba).convert("L")
    histogram = flat.histogram()
    if sum(histogram[:200]) < MIN_INK_PIXELS:
        raise SignatureImageError("blank")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime in signed content")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """One byte string per content: sorted keys, no whitespace, UTF-8, UTC times."""
    return json.dumps(
        content,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_json_default,
    ).encode("utf-8")


def content_hash(content: Mapping[str, Any], image: bytes = b"") -> str:
    """SHA-256 (hex) of the canonical content followed by the signature image bytes."""
    digest = hashlib.sha256(canonical_json(content))
    digest.update(image)
    return digest.hexdigest()


def _person(name: str) -> str:
    return "".join(name.split()).casefold()


def handed_over_errors(
    *, signer_name: str, signer_role: str, vendor_names: Iterable[str]
) -> dict[str, str]:
    """What is wrong with a signature for the hospital given on the vendor's device: the
    signer's position must be written, and the signer cannot be the vendor's own people
    (``vendor_names``: the signing engineer, the engineer who signed for the vendor)."""
    errors: dict[str, str] = {}
    role = (signer_role or "").strip()
    if not role:
        errors["signer_role"] = _(
            "Write the position of the hospital's person who signs (for example head nurse)."
        )
    elif len(role) > 100:
        errors["signer_role"] = _("The position is too long.")
    if _person(signer_name) in {_person(name) for name in vendor_names if name}:
        errors["signer_name"] = _(
            "The hospital signs for itself: write the name of the hospital's person who signs."
        )
    return errors


def signature_error_message(code: str) -> str:
    """The message for a ``SignatureImageError`` code, for any page that takes a signature."""
    messages = {
        "missing": _("Sign in the box before saving."),
        "blank": _("The signature box is empty: sign in the box before saving."),
        "not_png": _("The signature must be a PNG image drawn in the box."),
        "too_large": _("The signature image is too large."),
        "malformed": _("The signature image could not be read: clear the box and sign again."),
    }
    return messages.get(code, messages["malformed"])
