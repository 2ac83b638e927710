"""The operation log (issue 14 §1, R-5.4): the hospital's staff record start-up checks,
usage and events of their own devices; the vendor's staff read; an abnormal start-up check
offers a fault report pre-filled from the entry; the entries are in the device's archive."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.archive import OPERATION_LOG, entries
from assets.models import OperationLogEntry
from assets.operation_log.services import operation_log_record
from assets.tests.factories import DeviceFactory
from core.archive import ArchiveQuery
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from service.models import ServiceRequest
from service.services import service_request_open

pytestmark = pytest.mark.django_db


def png(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def world():
    hospital = HospitalFactory(name="东海市人民医院", time_zone="Asia/Shanghai")
    icu = DepartmentFactory(hospital=hospital, name="重症医学科")
    radiology = DepartmentFactory(hospital=hospital, name="放射科")
    device = DeviceFactory(department=icu)
    other = DeviceFactory()  # another hospital's
    return {
        "device": device,
        "other": other,
        "nurse": hospital_user(
            hospital, HospitalRole.DEPARTMENT_USER, departments=[icu], username="nurse"
        ),
        "radiographer": hospital_user(
            hospital, HospitalRole.DEPARTMENT_USER, departments=[radiology], username="rad"
        ),
        "admin": hospital_user(hospital, username="admin"),
        "stranger": hospital_user(other.hospital, username="stranger"),
        "engineer": vendor_user(VendorRole.ENGINEER, username="eng"),
    }


# --- services ---------------------------------------------------------------------------
def test_a_startup_check_keeps_the_devices_hospital_and_department(world):
    device, nurse = world["device"], world["nurse"]
    entry = operation_log_record(
        device=device, recorded_by=nurse, kind="startup_check", result="abnormal",
        note=" 开机自检报错 E12 ", photo=png(),
    )  # fmt: skip
    entry.refresh_from_db()
    assert (entry.hospital_id, entry.department_id) == (device.hospital_id, device.department_id)
    assert entry.note == "开机自检报错 E12" and entry.is_abnormal
    assert entry.photo.name.endswith(".png") and entry.recorded_at.tzinfo is not None
    assert entry.usage_value is None and entry.event == ""


def test_usage_and_events_record_their_own_fields_only(world):
    device, admin = world["device"], world["admin"]
    usage = operation_log_record(
        device=device, recorded_by=admin, kind="usage", usage_value="1234.5",
        usage_unit="hours", result="abnormal",
    )  # fmt: skip
    assert usage.usage_value == Decimal("1234.5") and usage.result == ""
    assert usage.summary == "1234.5 hours"
    event = operation_log_record(device=device, recorded_by=admin, kind="event", event="dropped")
    assert event.summary == "Dropped" and not event.is_abnormal


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"kind": "startup_check"}, {"result"}),
        ({"kind": "startup_check", "result": "abnormal"}, {"note"}),
        ({"kind": "usage", "usage_unit": "hours"}, {"usage_value"}),
        ({"kind": "usage", "usage_value": "-1", "usage_unit": "hours"}, {"usage_value"}),
        (
            {"kind": "usage", "usage_value": "1e12", "usage_unit": "days"},
            {"usage_value", "usage_unit"},
        ),
        ({"kind": "usage", "usage_value": "1.25", "usage_unit": "counts"}, {"usage_value"}),
        ({"kind": "event", "event": "flood"}, {"event"}),
        ({"kind": "event", "event": "other"}, {"note"}),
        ({"kind": "party"}, {"kind"}),
        ({"kind": "event", "event": "moved", "note": "x" * 2001}, {"note"}),
    ],
)  # fmt: skip
def test_bad_entries_are_refused_on_their_fields_and_store_nothing(world, data, fields):
    with pytest.raises(ValidationError) as caught:
        operation_log_record(device=world["device"], recorded_by=world["nurse"], **data)
    assert set(caught.value.message_dict) == fields
    assert not OperationLogEntry.objects.exists()


def test_a_photo_that_is_not_a_jpeg_or_png_is_refused(world):
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 not an image")
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.7 a document")
    for photo in (fake, pdf):
        with pytest.raises(ValidationError) as caught:
            operation_log_record(
                device=world["device"], recorded_by=world["nurse"], kind="event",
                event="moved", photo=photo,
            )  # fmt: skip
        assert set(caught.value.message_dict) == {"photo"}
    assert not OperationLogEntry.objects.exists()


@pytest.mark.parametrize("who", ["engineer", "radiographer", "stranger"])
def test_only_the_devices_hospital_staff_may_record(world, who):
    with pytest.raises(PermissionDenied):
        operation_log_record(
            device=world["device"], recorded_by=world[who], kind="event", event="moved"
        )


def test_scoping_the_log(world):
    entry = operation_log_record(
        device=world["device"], recorded_by=world["nurse"], kind="event", event="power_cut"
    )
    visible = {
        who: list(OperationLogEntry.objects.for_user(world[who]))
        for who in ("nurse", "admin", "engineer", "radiographer", "stranger")
    }
    assert visible == {
        "nurse": [entry], "admin": [entry], "engineer": [entry], "radiographer": [],
        "stranger": [],
    }  # fmt: skip


# --- archive ----------------------------------------------------------------------------
def test_the_log_is_in_the_devices_archive(world):
    device, nurse = world["device"], world["nurse"]
    at = dt.datetime(2026, 3, 5, 1, 0, tzinfo=dt.UTC)
    operation_log_record(
        device=device, recorded_by=nurse, kind="startup_check", result="abnormal",
        note="屏幕不亮", now=at,
    )  # fmt: skip
    operation_log_record(
        device=device, recorded_by=nurse, kind="usage", usage_value=12, usage_unit="counts",
        now=at + dt.timedelta(hours=1),
    )  # fmt: skip
    page = entries(
        ArchiveQuery(
            visible_to=world["engineer"], device_id=device.pk, kinds=frozenset({OPERATION_LOG})
        )
    )
    assert page.count == 2
    assert [(e.title, e.detail, e.at) for e in page.entries] == [
        ("Usage recorded", "12 counts", at + dt.timedelta(hours=1)),
        ("Start-up check", "Abnormal · 屏幕不亮", at),
    ]
    assert page.entries[0].url == reverse("assets:operation_log", args=[device.pk])
    window = ArchiveQuery(
        visible_to=world["engineer"], device_id=device.pk, kinds=frozenset({OPERATION_LOG}),
        end=at + dt.timedelta(minutes=30),
    )  # fmt: skip
    assert [e.title for e in entries(window).entries] == ["Start-up check"]
    hidden = ArchiveQuery(visible_to=world["radiographer"], device_id=device.pk)
    assert entries(hidden).count == 0


# --- pages ------------------------------------------------------------------------------
def _token(page: str) -> str:
    found = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_a_nurse_records_an_abnormal_check_once_and_is_offered_a_prefilled_report(client, world):
    device = world["device"]
    client.force_login(world["nurse"])
    url = reverse("assets:operation_log_create", args=[device.pk])
    chooser = client.get(url)
    assert chooser.status_code == 200 and "?kind=startup_check" in chooser.content.decode()
    form = client.get(url, {"kind": "startup_check"})
    assert form.status_code == 200
    data = {
        "kind": "startup_check", "result": "abnormal", "note": "开机报警 E12",
        "submission_token": _token(form.content.decode()), "photo": png(),
    }  # fmt: skip
    first = client.post(url, data)
    data["photo"] = png()
    again = client.post(url, data)  # a double tap
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    entry = OperationLogEntry.objects.get()
    assert first.headers["Location"].endswith(f"?recorded={entry.pk}")
    listing = client.get(first.headers["Location"]).content.decode()
    link = re.search(r'id="fault-report-offer".*?href="([^"]+)"', listing, re.S)
    assert link
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert query["device"] == [str(device.pk)]
    assert query["description"][0].endswith("开机报警 E12")
    report = client.get(link.group(1).replace("&amp;", "&"))
    assert report.status_code == 200
    assert report.context["form"].initial["description"] == query["description"][0]
    assert str(report.context["form"].initial["device"]) == str(device.pk)
    photo = client.get(reverse("assets:operation_log_photo", args=[entry.pk]))
    assert photo.status_code == 200 and photo["Content-Security-Policy"] == "sandbox"


def test_a_normal_check_offers_no_report(client, world):
    client.force_login(world["nurse"])
    url = reverse("assets:operation_log_create", args=[world["device"].pk])
    response = client.post(url, {"kind": "startup_check", "result": "normal"}, follow=True)
    assert response.status_code == 200
    assert 'id="fault-report-offer"' not in response.content.decode()
    assert OperationLogEntry.objects.get().result == "normal"


def test_a_bad_form_answers_422_with_the_field_error(client, world):
    client.force_login(world["nurse"])
    url = reverse("assets:operation_log_create", args=[world["device"].pk])
    response = client.post(url, {"kind": "usage", "usage_value": "-3", "usage_unit": "hours"})
    assert response.status_code == 422
    assert response.context["form"].errors["usage_value"]
    response = client.post(url, {"kind": "startup_check", "result": "abnormal"})
    assert response.status_code == 422 and response.context["form"].errors["note"]
    assert not OperationLogEntry.objects.exists()


def test_pages_by_role(client, world):
    device = world["device"]
    create = reverse("assets:operation_log_create", args=[device.pk])
    listing = reverse("assets:operation_log", args=[device.pk])
    expected = {
        "nurse": (200, 200), "admin": (200, 200), "engineer": (403, 200),
        "radiographer": (404, 404), "stranger": (404, 404),
    }  # fmt: skip
    for who, codes in expected.items():
        client.force_login(world[who])
        assert (client.get(create).status_code, client.get(listing).status_code) == codes, who


def test_the_device_page_leads_with_the_hospitals_actions(client, world):
    device = world["device"]
    client.force_login(world["nurse"])
    page = client.get(reverse("assets:device_by_public_id", args=[device.public_id]), follow=True)
    body = page.content.decode()
    assert 'id="report-fault"' in body and 'id="record-operation"' in body
    assert body.index('id="report-fault"') < body.index("<h1")
    assert f"/service-requests/new/?device={device.pk}" in body
    client.force_login(world["engineer"])
    body = client.get(reverse("assets:device_detail", args=[device.pk])).content.decode()
    assert 'id="report-fault"' not in body and 'id="record-operation"' not in body
    assert reverse("service:device_my_job", args=[device.pk]) in body


def test_the_engineer_is_offered_his_open_job_on_the_device(client, world):
    device, engineer = world["device"], world["engineer"]
    url = reverse("service:device_my_job", args=[device.pk])
    client.force_login(engineer)
    assert client.get(url).content.decode().strip() == ""
    request = service_request_open(
        device=device, severity="normal", channel="hotline", description="报警",
        recorded_by=vendor_user(VendorRole.DISPATCHER, username="d"),
    )  # fmt: skip
    assert client.get(url).content.decode().strip() == ""  # not his yet
    request.engineers.add(engineer)
    body = client.get(url).content.decode()
    assert reverse("service:request_detail", args=[request.pk]) in body and request.number in body
    ServiceRequest.objects.filter(pk=request.pk).update(is_open=False)
    assert client.get(url).content.decode().strip() == ""
    client.force_login(world["stranger"])
    assert client.get(url).status_code == 404


# --- API --------------------------------------------------------------------------------
def test_api_records_and_lists_paged(client, world):
    device = world["device"]
    url = f"/api/v1/devices/{device.pk}/operation-log"
    client.force_login(world["nurse"])
    for n in range(3):
        response = client.post(
            url, {"kind": "usage", "usage_value": 100 + n, "usage_unit": "hours"},
            content_type="application/json",
        )  # fmt: skip
        assert response.status_code == 201, response.content
    body = client.get(url, {"limit": 2}).json()
    assert body["count"] == 3 and body["limit"] == 2
    assert [item["usage_value"] for item in body["items"]] in (["102.0", "101.0"], [102.0, 101.0])
    client.force_login(world["engineer"])
    assert client.get(url).json()["count"] == 3
    refused = client.post(url, {"kind": "event", "event": "moved"}, content_type="application/json")
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "startup_check"}, "result"),
        ({"kind": "startup_check", "result": "abnormal"}, "note"),
        ({"kind": "usage", "usage_value": -1, "usage_unit": "hours"}, "usage_value"),
        ({"kind": "event", "event": "flood"}, "event"),
        ({"kind": "party"}, "kind"),
    ],
)
def test_api_bad_input_is_422_on_the_field(client, world, body, field):
    client.force_login(world["nurse"])
    response = client.post(
        f"/api/v1/devices/{world['device'].pk}/operation-log", body,
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422, response.content
    locs = [error["loc"] for error in response.json()["errors"]]
    assert any(loc[0] == "body" and loc[-1] == field for loc in locs), locs
    assert not OperationLogEntry.objects.exists()


def test_api_another_hospitals_device_is_404(client, world):
    client.force_login(world["stranger"])
    url = f"/api/v1/devices/{world['device'].pk}/operation-log"
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"kind": "event", "event": "moved"}, content_type="application/json"
    )
    assert response.status_code == 404
