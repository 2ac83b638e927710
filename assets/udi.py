"""UDI (GS1) parsing for scanned or typed device identifiers, on top of biip.

Accepts the human-readable form with bracketed application identifiers
(``(01)06971234567895(11)240115(21)SN123``), the raw scanner form with a GS (0x1D) or
``]d2``/``]C1``/``]Q3`` symbology prefix, and a GS1 Digital Link URI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from biip import ParseError, parse
from biip.gs1_messages import GS1Message
from django.utils.translation import gettext as _

GS = "\x1d"


class UdiError(ValueError):
    pass


@dataclass(frozen=True)
class ParsedUdi:
    device_identifier: str  # GTIN-14 (AI 01)
    lot: str = ""
    serial: str = ""
    production_date: date | None = None
    expiry_date: date | None = None
    hri: str = ""


_HRI = re.compile(r"^\s*\(\d{2,4}\)")


def looks_like_udi(text: str) -> bool:
    text = text.strip()
    return bool(
        _HRI.match(text)
        or GS in text
        or text.startswith(("]d2", "]C1", "]Q3", "]e0"))
        or (text.startswith("01") and len(text) > 16 and text[2:16].isdigit())
        or "/01/" in text
    )


def parse_udi(text: str) -> ParsedUdi:
    text = (text or "").strip()
    if not text:
        raise UdiError(_("The UDI is empty."))
    try:
        if _HRI.match(text):
            message = GS1Message.parse_hri(text)
        else:
            result = parse(text)
            if result.gs1_message is None:
                raise UdiError(_("This is not a GS1 UDI: it has no (01) device identifier."))
            message = result.gs1_message
    except ParseError as exc:
        raise UdiError(_("This UDI cannot be read: %(error)s") % {"error": exc}) from exc

    fields = {es.ai.ai: es for es in message.element_strings}
    gtin = fields.get("01")
    if gtin is None:
        raise UdiError(_("The UDI has no (01) device identifier."))
    if gtin.gtin_error or gtin.gtin is None:
        raise UdiError(
            _("The device identifier %(gtin)s has a wrong GTIN check digit.") % {"gtin": gtin.value}
        )

    def value(ai: str) -> str:
        return fields[ai].value if ai in fields else ""

    def day(ai: str) -> date | None:
        return fields[ai].date if ai in fields else None

    return ParsedUdi(
        device_identifier=gtin.value,
        lot=value("10"),
        serial=value("21"),
        production_date=day("11"),
        expiry_date=day("17"),
        hri=message.as_hri(),
    )
