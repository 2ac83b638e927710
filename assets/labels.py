"""QR labels: the code on a device's sticker opens the device's page (``/d/<public_id>/``).

Pure helpers on top of segno; the views decide which URL a label encodes.
"""

from __future__ import annotations

import io

import segno

# "M" recovers ~15 % of a scuffed or partly covered sticker and still keeps a
# ~60-character URL at version 4 (33 modules), readable by a phone at 30 mm.
ERROR_LEVEL = "m"


def _qr(url: str) -> segno.QRCode:
    return segno.make_qr(url, error=ERROR_LEVEL, boost_error=False)


def qr_svg(url: str, *, scale: int = 4, border: int = 4, inline: bool = False) -> str:
    """The QR code of ``url`` as an SVG document. ``inline=True`` leaves out the XML
    declaration and the fixed size, so the ``<svg>`` can sit in an HTML page and be sized
    by CSS (the label sheet)."""
    buffer = io.BytesIO()
    _qr(url).save(
        buffer,
        kind="svg",
        scale=scale,
        border=border,
        xmldecl=not inline,
        svgns=True,
        omitsize=inline,
        light="#fff",
        svgclass="qr-code",
        lineclass=None,
    )
    return buffer.getvalue().decode("utf-8")


def qr_png(url: str, *, scale: int = 8, border: int = 4) -> bytes:
    """The QR code of ``url`` as a PNG image of ``qr_png_size(url, ...)`` pixels square."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def qr_png_size(url: str, *, scale: int = 8, border: int = 4) -> int:
    """Width (= height) in pixels of ``qr_png(url, scale=scale, border=border)``."""
    width, _height = _qr(url).symbol_size(scale=scale, border=border)
    return int(width)
