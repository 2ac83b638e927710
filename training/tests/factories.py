"""Training test data, built through the services like the real thing."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from contracts.tests.factories import ContractFactory
from customers.models import Department
from customers.tests.factories import DepartmentFactory
from training import services
from training.models import TrainingTopic


def signature_png(*, ink: bool = True, seed: int = 0) -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    if ink:
        draw = ImageDraw.Draw(image)
        points = [(10, 80), (60, 20 + seed % 30), (120, 70), (200, 15), (280, 60 - seed % 20)]
        draw.line(points, fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(raw: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


SIGNATURE = data_url(signature_png())


def standard_topics() -> list[TrainingTopic]:
    return list(TrainingTopic.objects.filter(standard=True).order_by("sort_order"))


def make_plan(*, hospital=None, contract=None, title="设备培训计划"):
    if contract is None:
        contract = ContractFactory(**({"hospital": hospital} if hospital else {}))
    return services.training_plan_create(contract=contract, title=title)


def make_session(
    *,
    plan=None,
    lecturer=None,
    starts_at=None,
    duration=timedelta(hours=2),
    place="示教室 3 楼",
    topics=None,
    **kwargs,
):
    plan = plan or make_plan()
    lecturer = lecturer or vendor_user(VendorRole.ENGINEER, first_name="伟", last_name="张")
    starts_at = starts_at or timezone.now().replace(microsecond=0) - timedelta(hours=1)
    return services.training_session_create(
        plan=plan,
        lecturer=lecturer,
        starts_at=starts_at,
        duration=duration,
        place=place,
        topics=standard_topics()[:2] if topics is None else topics,
        **kwargs,
    )


def department_of(session, name="重症医学科"):
    found = Department.objects.filter(hospital=session.hospital, name=name).first()
    return found or DepartmentFactory(hospital=session.hospital, name=name)


def sign_in(session, name="李护士", *, department=None, signature=SIGNATURE, **kwargs):
    if department is None and "department_text" not in kwargs:
        department = department_of(session, name=f"科室 {name}")
    return services.attendance_record(
        session=session,
        name=name,
        department=department,
        signature_data_url=signature,
        **kwargs,
    )
