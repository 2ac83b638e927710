"""Factories and helpers for planned maintenance: visits made directly (with the obligations
they fulfil, for numbers counted by hand), drawn signatures, photos and a checklist with a
photo item."""

from __future__ import annotations

import base64
import datetime as dt
import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from assets.tests.factories import DeviceFactory
from maintenance.models import MaintenancePlanTemplate, Visit, VisitObligation
from maintenance.services import plan_template_create

PHOTO_CHECKLIST = [
    {"key": "appearance", "label": "外观及连接线检查", "type": "pass_fail"},
    {"key": "leakage_current", "label": "漏电流", "type": "number", "unit": "µA", "max": 100},
    {"key": "panel_photo", "label": "面板照片", "type": "photo"},
    {"key": "remarks", "label": "备注", "type": "text"},
]


class VisitFactory(factory.django.DjangoModelFactory[Visit]):
    """A planned visit due on ``due_on`` with a ±``tolerance`` window, fulfilling one
    obligation of its kind on its due date (``obligations=[(kind, due_on), ...]`` for more)."""

    class Meta:
        model = Visit
        skip_postgeneration_save = True

    class Params:
        tolerance = 7

    device = factory.SubFactory(DeviceFactory)
    hospital = factory.SelfAttribute("device.hospital")
    department = factory.SelfAttribute("device.department")
    key = factory.Sequence(lambda n: f"test-visit-{n}")
    main_kind = "patrol"
    kinds = factory.LazyAttribute(lambda v: [v.main_kind])
    due_on = dt.date(2026, 3, 10)
    window_start = factory.LazyAttribute(lambda v: v.due_on - dt.timedelta(days=v.tolerance))
    window_end = factory.LazyAttribute(lambda v: v.due_on + dt.timedelta(days=v.tolerance))

    @factory.post_generation
    def obligations(self: Visit, create, extracted, **kwargs):  # self: the visit made
        if self.main_kind == "special":
            return
        for kind, due_on in extracted if extracted is not None else [(self.main_kind, self.due_on)]:
            VisitObligation.objects.create(visit=self, kind=kind, due_on=due_on)


def signature_data_url() -> str:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(10, 80), (60, 20), (120, 70), (200, 15), (280, 60)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    ImageDraw.Draw(image).rectangle([4, 4, size[0] // 2, size[1] // 2], fill=(20, 20, 220))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def photo_upload(fmt: str = "JPEG", name: str = "photo.jpg", data: bytes | None = None):
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}.get(
        fmt, "application/octet-stream"
    )
    raw = image_bytes(fmt) if data is None else data
    return SimpleUploadedFile(name, raw, content_type=content_type)


def photo_template(device, kind: str = "patrol") -> MaintenancePlanTemplate:
    """A template of ``kind`` for the device's product model whose checklist takes a photo."""
    return plan_template_create(
        kind=kind, product_model=device.product_model, checklist=PHOTO_CHECKLIST
    )
