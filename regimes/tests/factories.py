"""Regime documents built through the services, so every test sees what users would make."""

from __future__ import annotations

import base64
import datetime as dt
import io

import factory
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from customers.tests.factories import HospitalFactory
from regimes import services
from regimes.models import RegimeDocument, RegimeKind, RegimeVersion

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
DOCX_BYTES = b"PK\x03\x04" + b"\x00" * 40


class RegimeDocumentFactory(factory.django.DjangoModelFactory[RegimeDocument]):
    class Meta:
        model = RegimeDocument

    hospital = factory.SubFactory(HospitalFactory)
    kind = RegimeKind.INSPECTION
    title = factory.Sequence(lambda n: f"Inspection regime {n}")


def pdf_file(name: str = "regime.pdf", content: bytes = PDF_BYTES) -> ContentFile:
    return ContentFile(content, name=name)


def add_version(
    document: RegimeDocument,
    effective_from: dt.date,
    *,
    text: str = "1. Inspect every device monthly.",
    file=None,
    summary: str = "",
    user=None,
) -> RegimeVersion:
    return services.regime_version_add(
        document=document,
        effective_from=effective_from,
        text=text,
        file=file,
        summary=summary,
        created_by=user,
    )


def signature_data_url() -> str:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (60, 20), (200, 15), (280, 60)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def blank_signature_data_url() -> str:
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 100), (0, 0, 0, 0)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
