"""Signatures for the demo's signed records, as signature_pad posts them."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw


def drawn_signature(seed: int = 0) -> str:
    """A PNG data URL of a pen stroke; a different ``seed`` draws a different signer."""
    image = Image.new("RGBA", (320, 110), (0, 0, 0, 0))
    points = [(12 + 38 * i, 85 - ((i * 37 + seed * 11) % 60)) for i in range(8)]
    ImageDraw.Draw(image).line(points, fill="black", width=4, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
