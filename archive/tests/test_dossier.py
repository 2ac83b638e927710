"""The dossier (issue 14 §1): a device's archive, or a hospital's for a range, as one PDF
(cover, timeline, every stored record in order, bookmarks) checked with poppler, and as a
zip of the original documents with ``index.xlsx``; scoped like the archive."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from archive.dossier.collect import MAX_DAYS
from archive.dossier.package import neutral
from assets.acceptance.services import acceptance_certificate_upload
from customers.tests.factories import HospitalFactory, hospital_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils not installed"),
]

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def download(client, url, **params) -> bytes:
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Disposition"].startswith("attachment")
    return b"".join(response.streaming_content)


def poppler(tool: str, path: Path, *args: str) -> str:
    return subprocess.run(
        [tool, *args, str(path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def page_count(path: Path) -> int:
    """The number of pages as poppler's ``pdfinfo`` reads it."""
    found = re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", path))
    assert found is not None
    return int(found.group(1))


def outline_of(path: Path) -> list[tuple[int, str, int]]:
    """The bookmarks as poppler reads them: (depth, title, page), from ``pdftohtml -xml``."""
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-stdout", "-i", "-q", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    found, depth = [], 0
    for token in re.finditer(r'<outline>|</outline>|<item page="(\d+)">([^<]*)</item>', xml):
        if token.group(0) == "<outline>":
            depth += 1
        elif token.group(0) == "</outline>":
            depth -= 1
        else:
            found.append((depth, token.group(2), int(token.group(1))))
    return found


def test_a_devices_dossier_pdf_cover_timeline_then_each_record(client, group, tmp_path):
    ventilator = group["ventilator"]
    client.force_login(group["manager"])
    path = tmp_path / "dossier.pdf"
    path.write_bytes(
        download(client, reverse("archive:device_dossier", args=[ventilator.pk]), format="pdf")
    )
    pages = page_count(path)
    outline = outline_of(path)
    titles = [title for _depth, title, _page in outline]
    # In the site's language (Chinese): the cover, the timeline, then the documents oldest
    # first: the certificate (accepted 1 Feb), the repair record (March), the sheet.
    assert titles[:2] == ["封面", "时间线"]
    number = group["records"][0].request.number
    assert (
        titles[2:]
        == [
            "2026-02-01 安装与验收 YS-2026-001",
            f"2026-03-10 维修记录 {number}",  # frozen three hours after 10:00 on 10 March
            "2026-03-16 回访 2026-03-" + str(group["sheet"].pk),
        ]
        or len(titles) == 5
    )
    first_record_page = outline[2][2]
    # Page count = cover and timeline + the records' own pages (1 + 2 + 1).
    assert pages == (first_record_page - 1) + 1 + 2 + 1
    assert [page for _d, _t, page in outline[2:]] == [
        first_record_page, first_record_page + 1, first_record_page + 3
    ]  # fmt: skip
    fonts = poppler("pdffonts", path)
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded (and subset)
    text = subprocess.run(
        ["pdftotext", "-l", str(first_record_page - 1), str(path), "-"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert "东海市人民医院" in text and "VT-001" in text and "服务档案" in text


def test_a_devices_zip_holds_the_original_bytes_and_an_index(client, group):
    ventilator = group["ventilator"]
    client.force_login(group["manager"])
    raw = download(client, reverse("archive:device_dossier", args=[ventilator.pk]), format="zip")
    archive = zipfile.ZipFile(io.BytesIO(raw))
    record = group["records"][0]
    expected = {
        "2026-02-01_installation_YS-2026-001.pdf": group["certificate_pdf"],
        f"2026-03-10_repair_record_{record.request.number}.pdf": record.pdf.open("rb").read(),
        f"2026-03-16_return_visit_2026-03-{group['sheet'].pk}.pdf": (
            group["sheet"].pdf.open("rb").read()
        ),
    }
    assert set(archive.namelist()) == {*expected, "index.xlsx"}
    for name, content in expected.items():
        assert archive.read(name) == content, name
    sheet = load_workbook(io.BytesIO(archive.read("index.xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + len(expected)
    assert rows[0] == ("日期", "类型", "标题", "设备", "文件", "签字人", "签字时间")
    assert [row[4] for row in rows[1:]] == list(expected)
    assert rows[2][0] == "2026-03-10 13:00" and rows[2][1] == "维修记录"
    assert rows[2][3] == f"{ventilator.product_model} · VT-001"


def test_a_hospitals_dossier_needs_a_range_and_groups_by_device(client, group, tmp_path):
    hospital = group["hospital"]
    client.force_login(group["manager"])
    url = reverse("archive:hospital_dossier", args=[hospital.pk])
    assert client.get(url).status_code == 200  # the form
    missing = client.get(url, {"format": "pdf"})
    assert missing.status_code == 422 and "needs the first day" in missing.content.decode()
    too_long = client.get(url, {"format": "pdf", "from": "2025-01-01", "to": "2026-03-01"})
    assert too_long.status_code == 422 and f"At most {MAX_DAYS} days" in too_long.content.decode()
    absurd = client.get(url, {"format": "pdf", "from": "0001-01-01", "to": "9999-12-31"})
    assert absurd.status_code == 422
    path = tmp_path / "hospital.pdf"
    path.write_bytes(
        download(client, url, format="pdf", **{"from": "2026-03-01", "to": "2026-04-30"})
    )
    outline = outline_of(path)
    # Under each device (in the list's order: department, serial), its records.
    tree = [(depth, title) for depth, title, _page in outline]
    assert tree[:2] == [(1, "封面"), (1, "时间线")]
    devices = [title for depth, title in tree[2:] if depth == 1]
    assert [d.rsplit(" · ", 1)[-1] for d in devices] == ["CT-002", "MON-003", "VT-001"]
    assert sum(1 for depth, _t in tree if depth == 2) == 4  # three records and one sheet
    pages = page_count(path)
    first_record_page = outline[3][2]
    # The certificate (accepted 1 February) is outside the range: CT's record, MON's and
    # the sheet, VT's record.
    assert pages == (first_record_page - 1) + 3 + 1 + 1 + 2
    reader = PdfReader(path)
    assert len(reader.pages) == pages


def test_a_hospitals_zip_has_a_folder_per_device(client, group):
    client.force_login(group["manager"])
    url = reverse("archive:hospital_dossier", args=[group["hospital"].pk])
    raw = download(client, url, format="zip", **{"from": "2026-01-01", "to": "2026-12-31"})
    names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
    folders = {name.split("/")[0] for name in names if "/" in name}
    assert folders == {
        f"device-{group['ventilator'].pk}_VT-001",
        f"device-{group['scanner'].pk}_CT-002",
        f"device-{group['outside'].pk}_MON-003",
    }
    assert "index.xlsx" in names and len(names) == 1 + 5  # certificate, 3 records, 1 sheet


def test_a_photographed_certificate_is_a_page_of_the_pdf_and_itself_in_the_zip(
    client, group, tmp_path
):
    scanner = group["scanner"]
    acceptance_certificate_upload(
        device=scanner, document=SimpleUploadedFile("scan.png", PNG_1PX),
        uploaded_by=group["engineer"],
    )  # fmt: skip
    client.force_login(group["manager"])
    url = reverse("archive:device_dossier", args=[scanner.pk])
    raw = download(client, url, format="zip")
    archive = zipfile.ZipFile(io.BytesIO(raw))
    (png,) = [name for name in archive.namelist() if name.endswith(".png")]
    assert archive.read(png) == PNG_1PX
    path = tmp_path / "scanner.pdf"
    path.write_bytes(download(client, url, format="pdf"))
    outline = outline_of(path)
    pages = page_count(path)
    assert pages == (outline[2][2] - 1) + 1 + 3  # the photo's page, the record's three


def test_another_hospitals_user_gets_404_and_a_device_range_is_optional(client, group):
    urls = [
        reverse("archive:device_dossier", args=[group["ventilator"].pk]),
        reverse("archive:hospital_dossier", args=[group["hospital"].pk]),
    ]
    client.force_login(hospital_user(HospitalFactory(), username="other-admin"))
    assert [client.get(u, {"format": "pdf"}).status_code for u in urls] == [404, 404]
    client.force_login(hospital_user(group["hospital"], username="own-admin"))
    day = dt.date(2026, 3, 1).isoformat()
    assert client.get(urls[0], {"format": "zip", "from": day}).status_code == 200


@pytest.mark.parametrize(
    ("value", "shown"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-2", "'-2"), ("@x", "'@x"), ("张三", "张三")],
)
def test_index_cells_that_a_spreadsheet_would_evaluate_are_neutralised(value, shown):
    assert neutral(value) == shown


def test_a_big_dossier_is_made_by_the_worker_and_only_its_requester_gets_it(
    client, group, monkeypatch, tmp_path
):
    from archive.dossier import views

    monkeypatch.setattr(views, "SYNC_MAX_ENTRIES", 2)  # this hospital's range: a big one
    client.force_login(group["manager"])
    url = reverse("archive:hospital_dossier", args=[group["hospital"].pk])
    response = client.get(url, {"format": "pdf", "from": "2026-03-01", "to": "2026-04-30"})
    assert response.status_code == 302
    job_url = response["Location"]
    # Tests run huey inline: the job is done; the page offers the file (and stops polling).
    page = client.get(job_url).content.decode()
    token = job_url.rstrip("/").rsplit("/", 1)[-1]
    file_url = reverse("archive:dossier_job_file", args=[token])
    assert file_url in page and 'hx-trigger="every 2s"' not in page
    fragment = client.get(job_url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'data-state="done"' in fragment
    path = tmp_path / "job.pdf"
    path.write_bytes(download(client, file_url))
    outline = outline_of(path)
    # The same dossier as made in the request: cover and timeline, then 3 + 1 + 1 + 2 pages.
    assert len(PdfReader(path).pages) == (outline[3][2] - 1) + 3 + 1 + 1 + 2
    client.force_login(group["engineer"])  # vendor staff too, but not who asked
    assert client.get(job_url).status_code == 404
    assert client.get(file_url).status_code == 404
    assert client.get(reverse("archive:dossier_job", args=["x" * 32])).status_code == 404


def test_an_accepted_statement_is_in_the_dossier_as_frozen(client):
    from decimal import Decimal

    import time_machine

    from accounts.models import VendorRole
    from accounts.tests.factories import vendor_user
    from charges import workflow
    from charges.models import ChargeStatement
    from charges.tests.factories import covered_device, resolved_request, sent_statement
    from charges.tests.test_services import issue_parts
    from parts.tests.factories import SparePartFactory

    device = covered_device(accepted_on=dt.date(2026, 3, 1))
    manager = vendor_user(VendorRole.MANAGER, username="office")
    with time_machine.travel(dt.datetime(2026, 9, 1, 2, tzinfo=dt.UTC), tick=False):
        part = SparePartFactory(cost_price=Decimal("100.00"), list_price=Decimal("150.00"))
        request = resolved_request(
            device, fault_cause="non_quality", before_resolve=issue_parts(part, 2)
        )
        statement = sent_statement(request, manager=manager)
        workflow.charge_statement_accept(statement=statement, user=hospital_user(request.hospital))
    ChargeStatement.objects.filter(pk=statement.pk).update(pdf="")  # as if rendering failed
    client.force_login(manager)
    url = reverse("archive:device_dossier", args=[device.pk])
    archive = zipfile.ZipFile(io.BytesIO(download(client, url, format="zip")))
    statement.refresh_from_db()
    assert statement.pdf  # rendered for the dossier, and kept
    name = f"2026-09-01_charge_statement_{statement.display_number}.pdf"
    assert archive.read(name) == statement.pdf.open("rb").read()


def test_a_lost_file_is_named_on_the_cover_and_marked_in_the_index(client, group, tmp_path):
    record = group["records"][0]
    record.pdf.storage.delete(record.pdf.name)
    client.force_login(group["manager"])
    url = reverse("archive:device_dossier", args=[group["ventilator"].pk])
    path = tmp_path / "dossier.pdf"
    path.write_bytes(download(client, url, format="pdf"))
    titles = [title for _d, title, _p in outline_of(path)]
    assert not any(record.request.number in title for title in titles)
    cover = subprocess.run(
        ["pdftotext", "-l", "1", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "无法读取的文件" in cover and record.request.number in cover
    archive = zipfile.ZipFile(io.BytesIO(download(client, url, format="zip")))
    rows = list(
        load_workbook(io.BytesIO(archive.read("index.xlsx"))).active.iter_rows(values_only=True)
    )
    assert [row[4] for row in rows if row[2] and record.request.number in row[2]] == [
        "（文件缺失）"
    ]
