"""Signatures are never thrown away (issue 12 §2): the fields needed to sign are marked,
a new record starts from the request, the engineer signs before the customer, one line per
part with its quantity, labour hours with their unit, and the PDF keeps the signatures with
the table before them."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from service.models import RepairRecord, Signature
from service.repair_records import parts as record_parts
from service.repair_records import services as records
from service.repair_records.pdf import hours_text, parts_rows, repair_record_pdf_bytes
from service.tests.test_records import SIGNATURE, open_request, sign, write_record

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def engineer():
    return vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")


@pytest.fixture
def device():
    hospital = HospitalFactory(name="青岛市市立医院", time_zone="Asia/Shanghai")
    return DeviceFactory(department=DepartmentFactory(hospital=hospital, name="重症医学科"))


def pdf_pages(raw: bytes, tmp_path) -> list[str]:
    """The text of each page (``pdftotext -f N -l N -layout``)."""
    path = tmp_path / "record.pdf"
    path.write_bytes(raw)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    count = int(
        next(line for line in info.stdout.splitlines() if line.startswith("Pages:")).split()[1]
    )
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for n in range(1, count + 1)
    ]


# --- required marks and the sign page's readiness ------------------------------------------
def test_the_fields_needed_to_sign_carry_the_required_mark(client, engineer, device):
    request = open_request(device, engineer)
    client.force_login(engineer)
    html = client.get(reverse("records:record_edit", args=[request.pk])).content.decode()
    for name in records.REQUIRED_TO_SIGN:
        tag = html[html.index(f'id="id_{name}"') - 300 : html.index(f'id="id_{name}"') + 200]
        assert 'aria-required="true"' in tag and " required" in tag, name
        label = html[
            html.index(f'for="id_{name}"') : html.index("</label>", html.index(f'for="id_{name}"'))
        ]
        assert "data-required-mark" in label, name
    # A field not needed to sign carries no mark.
    label_at = html.index('for="id_checks_done"')
    assert "data-required-mark" not in html[label_at : html.index("</label>", label_at)]
    # The labour hours say their unit on the form too.
    assert "单位：小时" in html or "In hours" in html


def test_an_incomplete_record_lists_what_is_missing_with_a_link_and_no_pad(
    client, engineer, device
):
    request = open_request(device, engineer)
    write_record(request, engineer, diagnosis="", solution="")
    client.force_login(engineer)
    url = reverse("records:record_sign", args=[request.pk]) + "?role=engineer"
    html = client.get(url).content.decode()
    assert html.count("data-missing>") == 2
    assert reverse("records:record_edit", args=[request.pk]) in html
    assert "signature-canvas" not in html


# --- a new record starts from the request ------------------------------------------------
def test_a_new_record_is_prefilled_from_the_request_and_its_timeline(client, engineer, device):
    request = open_request(device, engineer)
    client.force_login(engineer)
    html = client.get(reverse("records:record_edit", args=[request.pk])).content.decode()
    reported = timezone.localtime(request.reported_at, SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{reported}"' in html  # the fault's time, in the hospital's zone
    symptoms_at = html.index('id="id_symptoms"')
    assert "呼吸机报警，无法启动" in html[symptoms_at : html.index("</textarea>", symptoms_at)]
    arrived = request.events.get(type="arrived")
    assert "data-request-facts" in html and device.serial_number in html
    arrival_text = timezone.localtime(arrived.occurred_at, SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert arrival_text in html
    # Only the first page of a new record: the engineer's own values are kept afterwards.
    write_record(request, engineer, symptoms="工程师改写的症状")
    html = client.get(reverse("records:record_edit", args=[request.pk])).content.decode()
    assert "工程师改写的症状" in html


# --- the engineer signs first -----------------------------------------------------------
def test_the_customer_is_not_offered_the_pad_before_the_engineer_signed(client, engineer, device):
    request = open_request(device, engineer)
    write_record(request, engineer)
    client.force_login(engineer)
    record_page = client.get(reverse("records:record_edit", args=[request.pk])).content.decode()
    assert 'data-sign="hospital"' not in record_page and "data-sign-waiting" in record_page
    url = reverse("records:record_sign", args=[request.pk])
    waiting = client.get(url + "?role=hospital").content.decode()
    assert "data-sign-waiting" in waiting and "signature-canvas" not in waiting

    # Posted anyway (a page opened before the engineer's signature was withdrawn): refused,
    # nothing stored, and the drawing comes back in the form.
    posted = {"role": "hospital", "signer_name": "李护士", "signer_role": "护士长"}
    refused = client.post(url, posted | {"signature": SIGNATURE})
    assert refused.status_code == 422
    body = refused.content.decode()
    assert f'value="{SIGNATURE}"' in body and "data-refused" not in body
    assert "data-sign-waiting" in body and "signature-canvas" in body
    assert not Signature.objects.exists()

    sign(RepairRecord.objects.get(), "engineer", engineer)
    record_page = client.get(reverse("records:record_edit", args=[request.pk])).content.decode()
    assert 'data-sign="hospital"' in record_page
    assert client.post(url, posted | {"signature": SIGNATURE}).status_code == 302
    assert RepairRecord.objects.get().frozen_at is not None


def test_the_hospital_user_waits_for_the_engineer_too(client, engineer, device):
    request = open_request(device, engineer)
    write_record(request, engineer)
    user = hospital_user(
        request.hospital, role=HospitalRole.DEPARTMENT_USER, departments=[request.department]
    )
    client.force_login(user)
    url = reverse("records:record_sign", args=[request.pk])
    assert "data-sign-waiting" in client.get(url + "?role=hospital").content.decode()
    response = client.post(
        url, {"role": "hospital", "signer_name": "李护士", "signature": SIGNATURE}
    )
    assert response.status_code == 422
    assert not Signature.objects.exists()


# --- parts: one line per part with its quantity -------------------------------------------
def test_the_same_part_written_twice_is_one_line_with_both_quantities():
    parts = records.clean_parts(
        [
            {"name": "保险丝", "quantity": 2},
            {"name": " 保险丝 ", "quantity": "1"},
            {"name": "F-1 保险丝 × 3"},  # a stock line written before lines had a quantity
            {"name": "F-1 保险丝", "quantity": 1},
            {"name": "主板", "serial_removed": "A1", "serial_fitted": "B1"},
        ]
    )
    assert [(p["name"], p["quantity"]) for p in parts] == [
        ("保险丝", 3),
        ("F-1 保险丝", 4),
        ("主板", 1),
    ]
    for bad in (0, -1, "two", 10_000):
        with pytest.raises(ValidationError):
            records.clean_parts([{"name": "保险丝", "quantity": bad}])


def test_parts_rows_put_units_of_one_part_on_one_row():
    rows = parts_rows(
        [
            {"name": "主板", "quantity": 1, "serial_removed": "A1", "serial_fitted": "B1"},
            {"name": "保险丝", "quantity": 2, "serial_removed": "", "serial_fitted": ""},
            {"name": "主板", "quantity": 1, "serial_removed": "A2", "serial_fitted": "B2"},
        ]
    )
    assert [(r["name"], r["quantity"]) for r in rows] == [("主板", 2), ("保险丝", 2)]
    assert rows[0]["serials"] == [
        {"removed": "A1", "fitted": "B1"},
        {"removed": "A2", "fitted": "B2"},
    ]


def test_stock_lines_add_up_and_a_part_given_back_counts_down(engineer, device):
    request = open_request(device, engineer)
    write_record(request, engineer, parts_replaced=[{"name": "电源板", "quantity": 1}])
    line = {"name": "F-1 保险丝", "quantity": 1, "serial_removed": "", "serial_fitted": ""}
    record_parts.repair_record_part_add(request=request, line=line, author=engineer)
    record_parts.repair_record_part_add(request=request, line=line, author=engineer)
    record = RepairRecord.objects.get()
    assert [(p["name"], p["quantity"]) for p in record.parts_replaced] == [
        ("电源板", 1),
        ("F-1 保险丝", 2),
    ]
    assert record_parts.repair_record_part_remove(request=request, line=line, author=engineer)
    record.refresh_from_db()
    assert [(p["name"], p["quantity"]) for p in record.parts_replaced] == [
        ("电源板", 1),
        ("F-1 保险丝", 1),
    ]
    too_many = dict(line, quantity=5)
    assert not record_parts.repair_record_part_remove(
        request=request, line=too_many, author=engineer
    )


def test_an_older_record_saved_unchanged_keeps_the_engineers_signature(engineer, device):
    """Lines stored before they had a quantity are the same parts: saving the record as it
    is does not withdraw the engineer's signature."""
    request = open_request(device, engineer)
    record = write_record(request, engineer, parts_replaced=[])
    RepairRecord.objects.filter(pk=record.pk).update(
        parts_replaced=[{"name": "F-1 保险丝 × 2", "serial_removed": "", "serial_fitted": ""}]
    )
    record.refresh_from_db()
    sign(record, "engineer", engineer)
    write_record(request, engineer, parts_replaced=[{"name": "F-1 保险丝", "quantity": 2}])
    assert Signature.objects.filter(role="engineer").exists()


def test_the_record_page_shows_one_parts_table_with_quantities_and_hours_with_their_unit(
    client, engineer, device
):
    request = open_request(device, engineer)
    record = write_record(
        request,
        engineer,
        parts_replaced=[{"name": "保险丝", "quantity": 1}, {"name": "保险丝", "quantity": 1}],
        labor_hours=Decimal("2.50"),
    )
    sign(record, "engineer", engineer)
    sign(record, "hospital", engineer)
    client.force_login(engineer)
    html = client.get(reverse("records:record_edit", args=[request.pk])).content.decode()
    assert html.count("data-parts-table") == 1 and html.count("data-part-row") == 1
    assert "×2" in html
    assert "2.5 小时" in html or "2.5 h" in html
    with translation.override("en"):
        assert hours_text(Decimal("2.50")) == "2.5 h"
    with translation.override("zh-hans"):
        assert hours_text(Decimal("2.50")) == "2.5 小时"
        assert hours_text(Decimal("3")) == "3 小时"


# --- the PDF --------------------------------------------------------------------------------
def test_the_pdf_keeps_the_signatures_with_the_last_table(engineer, device, tmp_path):
    request = open_request(device, engineer)
    many = [{"name": f"备件{n:02d} 型号规格较长的名称", "quantity": 1 + n % 3} for n in range(40)]
    many.append({"name": "备件00 型号规格较长的名称", "quantity": 1})  # the same part again
    record = write_record(request, engineer, parts_replaced=many, labor_hours=Decimal("2.5"))
    sign(record, "engineer", engineer, name="张伟")
    sign(record, "hospital", engineer, name="李护士")
    record.refresh_from_db()
    raw = repair_record_pdf_bytes(record)
    pages = pdf_pages(raw, tmp_path)
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "record.pdf")], check=True, capture_output=True, text=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts  # embedded
    assert len(pages) >= 2  # the parts table fills a page
    text = "".join(pages)
    assert text.count("备件00 型号规格较长的名称") == 1  # one line per part
    assert "×2" in text and "2.5 小时" in text
    [signed_page] = [page for page in pages if "李护士" in page]
    assert "张伟" in signed_page
    # The page that carries the signatures carries rows of the parts table too.
    assert any(f"备件{n:02d}" in signed_page for n in range(40))
