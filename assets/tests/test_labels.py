"""QR label rendering (segno itself is trusted; we check what we hand to browsers)."""

import struct
import xml.etree.ElementTree as ET

from assets.labels import qr_png, qr_png_size, qr_svg

URL = "https://service.example.com/d/6f1c2b7e-1d7c-4a55-9d0e-3c8f0f6f2a11/"
SVG_NS = "{http://www.w3.org/2000/svg}"


def test_svg_is_a_valid_svg_document_with_a_path():
    svg = qr_svg(URL)
    assert svg.startswith("<?xml")
    root = ET.fromstring(svg.encode())  # noqa: S314 -- our own output
    assert root.tag == f"{SVG_NS}svg"
    assert int(root.attrib["width"]) == int(root.attrib["height"]) > 0
    paths = root.findall(f".//{SVG_NS}path")
    assert paths
    assert any(p.get("d") for p in paths)


def test_inline_svg_has_no_declaration_and_scales_by_css():
    svg = qr_svg(URL, inline=True)
    assert svg.startswith("<svg")
    root = ET.fromstring(svg)  # noqa: S314 -- our own output
    assert root.get("width") is None
    assert root.get("viewBox")
    assert "qr-code" in root.get("class", "")


def test_png_has_the_png_signature_and_the_expected_size():
    png = qr_png(URL, scale=8, border=4)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width == height == qr_png_size(URL, scale=8, border=4)
    # The URL needs a version-4 symbol at least (33 modules), plus the quiet zone.
    assert width >= (33 + 2 * 4) * 8


def test_a_longer_url_gives_a_bigger_symbol():
    assert qr_png_size(URL + "x" * 100) > qr_png_size(URL)
