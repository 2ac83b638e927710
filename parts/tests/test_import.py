"""Bulk import of the parts catalogue from Excel (issue 5 §5): the row-by-row report,
all-or-nothing unless the good rows are chosen, upsert, bad files, progress, permissions."""

from __future__ import annotations

import io
import os
import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.models import ProductModel
from assets.tests.factories import ProductModelFactory
from customers.tests.factories import HospitalFactory, hospital_user
from parts import services
from parts.catalogue_import import jobs as import_jobs
from parts.catalogue_import import write as import_write
from parts.catalogue_import.services import parse_bool, parse_price, parse_row, validate_rows
from parts.catalogue_import.workbook import COLUMNS, ImportFileError, read_rows
from parts.models import SparePart, StockMovement

from .factories import SparePartFactory, StockLocationFactory

pytestmark = pytest.mark.django_db

EN = [
    "Part number",
    "Name (zh)",
    "Name (en)",
    "Product models",
    "Main component",
    "Unit",
    "Cost price",
    "List price",
    "Currency",
]
ZH = ["备件号", "中文名称", "英文名称", "适用型号", "主要部件", "单位", "成本价", "标价", "币种"]
EN_KW = [*EN, "Symptom keywords"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(rows, header=EN) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(rows=(), header=EN, name="parts.xlsx", content=None) -> SimpleUploadedFile:
    data = xlsx_bytes(rows, header) if content is None else content
    return SimpleUploadedFile(name, data, content_type=XLSX)


@pytest.fixture
def manager():
    return vendor_user(VendorRole.MANAGER, username="manager")


@pytest.fixture
def models():
    return (
        ProductModelFactory(manufacturer="Qingdun", name="M-100", gtin="06901234567892"),
        ProductModelFactory(manufacturer="Qingdun", name="M-200"),
    )


def post_file(client, file):
    return client.post(reverse("parts:import_create"), {"file": file})


def job(client) -> dict:
    state = import_jobs.state_read(client.session[import_jobs.SESSION_KEY])
    assert state is not None
    return state


def confirm(client, action):
    return client.post(reverse("parts:import_confirm"), {"action": action})


GOOD_ROWS = [
    ["PB-1", "电源板", "Power board", "M-100, 06901234567892", "是", "pcs", 1200, 1800.5, ""],
    ["FAN-2", "风扇", "", "Qingdun M-200", "no", "", "35.20", "¥50", "cny"],
    [3003, "电池", "Battery", "", None, "块", 12.3000000001, 20, "USD"],
]


# --- the whole flow through the pages (huey runs immediately in tests) --------------------
def test_a_good_file_is_checked_then_imported_in_full(client, manager, models):
    client.force_login(manager)
    response = post_file(client, upload(GOOD_ROWS))
    assert response.status_code == 302 and response.url == reverse("parts:import_review")
    state = job(client)
    assert state["state"] == "validated"
    assert state["report"] | {"errors": [], "updated_rows": []} == {
        "total": 3,
        "good": 3,
        "bad": 0,
        "creates": 3,
        "updates": 0,
        "unchanged": 0,
        "errors": [],
        "more_errors": 0,
        "updated_rows": [],
        "more_updates": 0,
    }
    assert not SparePart.objects.exists(), "nothing is imported before the user confirms"
    body = client.get(reverse("parts:import_review")).content.decode()
    assert "All 3 rows are good." in body and 'value="all"' in body
    assert confirm(client, "all").status_code == 302
    state = job(client)
    assert state["state"] == "done" and state["result"] == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    assert not import_jobs.upload_path(client.session[import_jobs.SESSION_KEY]).exists()
    board = SparePart.objects.get(part_number="PB-1")
    assert board.is_main_component and board.name_en == "Power board"
    assert (board.cost_price, board.list_price, board.currency) == (
        Decimal("1200.00"),
        Decimal("1800.50"),
        "CNY",
    )
    assert set(board.product_models.all()) == {models[0]}  # a name and its GTIN: one model
    fan = SparePart.objects.get(part_number="FAN-2")
    assert (fan.unit, fan.currency, fan.list_price, fan.is_main_component) == (
        "pcs",
        "CNY",
        Decimal("50.00"),
        False,
    )
    assert list(fan.product_models.all()) == [models[1]]
    battery = SparePart.objects.get(part_number="3003")
    assert battery.cost_price == Decimal("12.30") and battery.currency == "USD"
    assert (
        "Imported: 3 new parts, 0 updated."
        in client.get(reverse("parts:import_review")).content.decode()
    )


BAD_ROWS = [
    ["OK-1", "好的", "", "M-100", "否", "pcs", 1, 2, "CNY"],
    ["NEG-1", "负价", "", "", "否", "pcs", -1, 2, "CNY"],
    ["TXT-1", "文字", "", "", "否", "pcs", "abc", 2, "CNY"],
    ["DUP-1", "重复", "", "", "否", "pcs", 1, 2, "CNY"],
    ["DUP-1", "重复", "", "", "否", "pcs", 1, 2, "CNY"],
    ["MOD-1", "型号", "", "M-100, NOPE-9", "否", "pcs", 1, 2, "CNY"],
    ["BOOL-1", "布尔", "", "", "maybe", "pcs", 1, 2, "CNY"],
    ["", "无编号", "", "", "否", "pcs", 1, 2.345, "CNY"],
    ["OK-2", "也好", "", "", "1", "pcs", "0", "0.00", "EUR"],
    ["CUR-1", "币", "", "", "否", "pcs", 1, 2, "RMB1"],
]


def _errors(state) -> set[tuple[int, str, str]]:
    return {
        (row["row"], row["part_number"], error["column"])
        for row in state["report"]["errors"]
        for error in row["errors"]
    }


def test_bad_rows_block_the_import_and_the_report_names_each_error(client, manager, models):
    client.force_login(manager)
    post_file(client, upload(BAD_ROWS))
    state = job(client)
    assert state["state"] == "validated"
    assert (state["report"]["good"], state["report"]["bad"]) == (2, 8)
    assert _errors(state) == {
        (3, "NEG-1", "Cost price"),
        (4, "TXT-1", "Cost price"),
        (5, "DUP-1", "Part number"),
        (6, "DUP-1", "Part number"),
        (7, "MOD-1", "Product models"),
        (8, "BOOL-1", "Main component"),
        (9, "", "Part number"),
        (9, "", "List price"),
        (11, "CUR-1", "Currency"),
    }
    messages = {
        (row["row"], error["column"]): " ".join(error["messages"])
        for row in state["report"]["errors"]
        for error in row["errors"]
    }
    assert messages[(3, "Cost price")] == "A price cannot be negative."
    assert messages[(5, "Part number")] == "The same part number is also on row 6."
    assert messages[(7, "Product models")] == "No product model “NOPE-9”."
    assert messages[(9, "List price")] == "Prices have at most 2 decimal places."
    body = client.get(reverse("parts:import_review")).content.decode()
    assert "8 of 10 rows have errors" in body
    assert "NOPE-9" in body and 'value="good"' in body and 'value="all"' not in body
    # "Import all" is not on offer with bad rows, and asking anyway imports nothing.
    confirm(client, "all")
    assert job(client)["state"] == "validated"
    assert not SparePart.objects.exists()


def test_the_user_may_import_the_good_rows_only(client, manager, models):
    client.force_login(manager)
    post_file(client, upload(BAD_ROWS))
    confirm(client, "good")
    state = job(client)
    assert state["state"] == "done"
    assert state["result"] == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 8}
    assert set(SparePart.objects.values_list("part_number", flat=True)) == {"OK-1", "OK-2"}
    ok2 = SparePart.objects.get(part_number="OK-2")
    assert ok2.is_main_component and ok2.currency == "EUR" and ok2.cost_price == 0


def test_cancel_imports_nothing_and_deletes_the_upload(client, manager, models):
    client.force_login(manager)
    post_file(client, upload(BAD_ROWS))
    token = client.session[import_jobs.SESSION_KEY]
    assert import_jobs.upload_path(token).exists()
    response = confirm(client, "cancel")
    assert response.status_code == 302 and response.url == reverse("parts:part_list")
    assert not import_jobs.upload_path(token).exists()
    assert import_jobs.state_read(token) is None
    assert not SparePart.objects.exists()


def test_a_known_part_number_updates_that_part(client, manager, models):
    part = SparePartFactory(part_number="PB-1", name_zh="旧名", list_price=Decimal("150.00"))
    part.product_models.set([models[1]])
    client.force_login(manager)
    post_file(client, upload([["PB-1", "旧名", part.name_en, "M-100", "否", "pcs", 100, 160]]))
    state = job(client)
    assert (state["report"]["creates"], state["report"]["updates"]) == (0, 1)
    (row,) = state["report"]["updated_rows"]
    assert row["action"] == "update" and row["changes"] == ["List price", "Product models"]
    body = client.get(reverse("parts:import_review")).content.decode()
    assert "Will update" in body and "List price, Product models" in body
    confirm(client, "all")
    assert job(client)["result"] == {"created": 0, "updated": 1, "unchanged": 0, "skipped": 0}
    part.refresh_from_db()
    assert SparePart.objects.count() == 1
    assert part.list_price == Decimal("160.00") and list(part.product_models.all()) == [models[0]]


def test_reimporting_the_same_file_changes_nothing(client, manager, models):
    client.force_login(manager)
    post_file(client, upload(GOOD_ROWS))
    confirm(client, "all")
    stamps = dict(SparePart.objects.values_list("part_number", "updated_at"))
    post_file(client, upload(GOOD_ROWS))
    report = job(client)["report"]
    assert (report["creates"], report["updates"], report["unchanged"]) == (0, 0, 3)
    assert (
        "3 rows match the catalogue already"
        in client.get(reverse("parts:import_review")).content.decode()
    )
    confirm(client, "all")
    assert job(client)["result"] == {"created": 0, "updated": 0, "unchanged": 3, "skipped": 0}
    assert dict(SparePart.objects.values_list("part_number", "updated_at")) == stamps


def test_tracking_of_a_part_with_movements_cannot_change(manager):
    part = SparePartFactory(part_number="MOVED-1")
    services.stock_receive(part=part, location=StockLocationFactory(), quantity=1, user=manager)
    (result,) = validate_rows(
        [
            (
                2,
                {
                    "part_number": "MOVED-1",
                    "name_zh": "x",
                    "is_main_component": "是",
                    "cost_price": 1,
                    "list_price": 1,
                },
            )
        ]
    )
    assert list(result.errors) == ["is_main_component"]


def test_a_second_confirm_cannot_import_twice(client, manager, models):
    client.force_login(manager)
    post_file(client, upload(GOOD_ROWS))
    token = client.session[import_jobs.SESSION_KEY]
    assert import_jobs.job_claim(token)  # as if another tab had confirmed first
    confirm(client, "all")
    assert job(client)["state"] == "validated" and not SparePart.objects.exists()


def test_the_import_checks_again_and_asks_again_if_the_catalogue_changed(client, manager, models):
    client.force_login(manager)
    post_file(client, upload(GOOD_ROWS))
    models[1].delete()  # FAN-2 fits it
    confirm(client, "all")
    state = job(client)
    assert state["state"] == "validated" and "catalogue changed" in state["notice"]
    assert _errors(state) == {(3, "FAN-2", "Product models")}
    assert not SparePart.objects.exists()


# --- bad files ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("parts.csv", b"part number,name\nA,B\n", "Upload an Excel workbook (.xlsx)"),
        ("parts.xlsx", b"not a zip at all", "This file is not an Excel workbook (.xlsx)"),
        ("parts.xlsx", b"", "The submitted file is empty."),
    ],
)
def test_a_file_that_is_no_workbook_gets_a_form_error_and_nothing_is_kept(
    client, manager, settings, name, content, message
):
    client.force_login(manager)
    response = post_file(client, upload(name=name, content=content))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["file"])
    assert message in errors
    assert import_jobs.SESSION_KEY not in client.session
    folder = import_jobs.import_dir()
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (xlsx_bytes([], header=None), "The file is empty"),
        (xlsx_bytes([]), "The file has a header row but no rows to import."),
        (
            xlsx_bytes([["A", "B"]], header=["Part number", "Name (zh)"]),
            "The header row lacks the columns: Cost price, List price.",
        ),
    ],
)
def test_a_workbook_without_rows_fails_in_the_worker_with_a_clear_error(
    client, manager, content, message
):
    """The web process only keeps the upload; the worker reads it and says why it fails."""
    client.force_login(manager)
    response = post_file(client, upload(content=content))
    assert response.url == reverse("parts:import_review")
    assert job(client)["state"] == "failed"
    body = client.get(reverse("parts:import_review")).content.decode()
    assert message in body
    token = client.session[import_jobs.SESSION_KEY]
    assert not import_jobs.upload_path(token).exists(), "the refused file is not kept"


def test_a_too_large_upload_is_refused(client, manager, monkeypatch):
    from parts.catalogue_import import views as import_views

    monkeypatch.setattr(import_views, "MAX_UPLOAD_BYTES", 100)
    client.force_login(manager)
    response = post_file(client, upload(GOOD_ROWS))
    assert "larger than" in " ".join(response.context["form"].errors["file"])


# --- the 5,000-row file -------------------------------------------------------------------
def test_five_thousand_rows_are_checked_with_progress(client, manager, models, monkeypatch):
    rows = [
        [f"BULK-{n:05d}", f"备件 {n}", "", "M-100", "否", "pcs", n % 97, 100] for n in range(5000)
    ]
    rows[4321][6] = -5
    seen = []
    write = import_jobs.state_write

    def spy(token, **changes):
        if "done" in changes and changes.get("phase") == "check":
            seen.append((changes["done"], changes["total"]))
        return write(token, **changes)

    monkeypatch.setattr(import_jobs, "state_write", spy)
    client.force_login(manager)
    post_file(client, upload(rows))
    state = job(client)
    assert (state["report"]["total"], state["report"]["good"]) == (5000, 4999)
    assert _errors(state) == {(4323, "BULK-04321", "Cost price")}
    assert seen[-1] == (5000, 5000) and len(seen) >= 20, "progress is reported as it goes"
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


# --- progress page states, with and without a worker --------------------------------------
def test_review_polls_while_the_job_waits_and_stops_once_checked(
    client, manager, models, monkeypatch
):
    worker = import_jobs.import_validate
    monkeypatch.setattr(import_jobs, "import_validate", lambda token: None)  # no worker yet
    client.force_login(manager)
    post_file(client, upload(GOOD_ROWS))
    token = client.session[import_jobs.SESSION_KEY]
    url = reverse("parts:import_review")
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page and "Waiting for the background worker" in page
    import_jobs.state_write(token, state="validating", done=1, total=4)
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="import-status"')
    assert 'hx-trigger="every 1s"' in fragment and 'aria-valuenow="25"' in fragment
    assert "<html" not in fragment
    import_jobs.state_write(token, state="queued")
    worker.call_local(token)  # the worker picks it up
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment and "All 3 rows are good." in fragment
    import_jobs.state_write(token, state="failed", error="Broken file.")
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Broken file." in fragment and "hx-trigger" not in fragment


def test_review_without_a_job_of_ones_own_goes_back_to_the_upload(client, manager, models):
    client.force_login(manager)
    url = reverse("parts:import_review")
    assert client.get(url).url == reverse("parts:import_create")
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("parts:import_create")
    post_file(client, upload(GOOD_ROWS))
    token = client.session[import_jobs.SESSION_KEY]
    other = vendor_user(VendorRole.ADMIN, username="other-admin")
    client.force_login(other)
    session = client.session
    session[import_jobs.SESSION_KEY] = token  # another user's token is worth nothing
    session.save()
    assert client.get(url).status_code == 302
    confirm(client, "all")
    assert not SparePart.objects.exists()


def test_old_import_files_are_swept_after_an_hour(client, manager, models):
    client.force_login(manager)
    post_file(client, upload(GOOD_ROWS))
    old = client.session[import_jobs.SESSION_KEY]
    post_file(client, upload(GOOD_ROWS))
    new = client.session[import_jobs.SESSION_KEY]
    an_hour_ago = time.time() - 3700
    for path in import_jobs.import_dir().glob(f"{old}.*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    assert import_jobs.import_files_sweep.call_local() == 1
    assert import_jobs.state_read(old) is None and not import_jobs.upload_path(old).exists()
    assert import_jobs.state_read(new) and import_jobs.upload_path(new).exists()


# --- permissions --------------------------------------------------------------------------
def test_only_office_staff_import(client, models):
    engineer = vendor_user(VendorRole.ENGINEER, username="eng")
    hospital = hospital_user(HospitalFactory(), username="nurse")
    for user in (engineer, hospital):
        client.force_login(user)
        assert client.get(reverse("parts:import_create")).status_code == 403
        assert post_file(client, upload(GOOD_ROWS)).status_code == 403
        assert client.get(reverse("parts:import_review")).status_code == 403
        assert confirm(client, "all").status_code == 403
    assert not SparePart.objects.exists() and not import_jobs.import_dir().exists()
    client.force_login(vendor_user(VendorRole.ADMIN, username="admin"))
    assert client.get(reverse("parts:import_create")).status_code == 200
    assert "Import from Excel" in client.get(reverse("parts:part_list")).content.decode()
    client.force_login(engineer)
    assert "Import from Excel" not in client.get(reverse("parts:part_list")).content.decode()


def test_the_template_downloads_and_imports_as_is(client, manager, models):
    client.force_login(hospital_user(HospitalFactory(), username="nurse"))
    assert client.get(reverse("parts:import_template")).status_code == 403
    client.force_login(manager)
    response = client.get(reverse("parts:import_template"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [str(column.label) for column in COLUMNS] and len(rows) == 2
    assert rows[0][-1] == "Symptom keywords" and rows[1][-1] == "no display, 黑屏"
    post_file(client, upload(content=response.content))
    report = job(client)["report"]
    assert (report["good"], report["bad"]) == (1, 0)
    confirm(client, "all")
    assert SparePart.objects.get(part_number="PB-1001").symptom_keywords == "no display, 黑屏"
    page = client.get(reverse("parts:import_create")).content.decode()
    assert "Symptom keywords" in page


# --- parsing, without pages ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (12.3000000001, Decimal("12.30")),
        (12.3, Decimal("12.30")),
        (1800.5, Decimal("1800.50")),
        (5, Decimal("5.00")),
        ("12.3", Decimal("12.30")),
        ("¥1,200.50", Decimal("1200.50")),
        ("0", Decimal("0.00")),
    ],
)
def test_prices_are_decimals_with_two_places(cell, expected):
    assert parse_price(cell) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (12.345, "at most 2 decimal places"),
        ("12.3000000001", "at most 2 decimal places"),
        (-0.01, "cannot be negative"),
        ("abc", "Write a number"),
        (float("nan"), "Write a number"),
        ("Infinity", "Write a number"),
        (True, "Write a number"),
        (None, "required"),
        (1e12, "too large"),
    ],
)
def test_bad_prices_are_refused(cell, message):
    with pytest.raises(ValueError, match=message):
        parse_price(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("是", True),
        ("否", False),
        ("Yes", True),
        ("no", False),
        ("TRUE", True),
        (0, False),
        (1, True),
        (True, True),
        (None, False),
        ("1", True),
        ("0", False),
    ],
)
def test_main_component_words(cell, expected):
    assert parse_bool(cell) is expected


def test_a_row_with_defaults():
    values, errors = parse_row(
        {"part_number": " A-1 ", "name_zh": "甲", "cost_price": 1, "list_price": 2}
    )
    assert errors == {}
    assert values == {
        "part_number": "A-1",
        "name_zh": "甲",
        "name_en": "",
        "unit": "pcs",
        "currency": "CNY",
        "is_main_component": False,
        "cost_price": Decimal("1.00"),
        "list_price": Decimal("2.00"),
        "product_models": [],
    }


def test_chinese_headers_and_extra_columns_are_understood(tmp_path, models):
    path = tmp_path / "zh.xlsx"
    path.write_bytes(
        xlsx_bytes(
            [["Z-1", "甲", "A", "M-100；M-200", "是", "个", 1, 2, "CNY", "备注", "黑屏；no power"]],
            header=[*ZH, "备注", "故障关键词"],
        )
    )
    ((number, raw),) = read_rows(path)
    (result,) = validate_rows([(number, raw)])
    assert number == 2 and result.ok and sorted(result.model_ids) == sorted(m.pk for m in models)
    assert result.values["symptom_keywords"] == "黑屏, no power"


def test_an_ambiguous_model_name_asks_for_the_manufacturer(models):
    ProductModelFactory(manufacturer="Other", name="M-100")
    (result,) = validate_rows(
        [
            (
                2,
                {
                    "part_number": "A",
                    "name_zh": "x",
                    "cost_price": 1,
                    "list_price": 1,
                    "product_models": "M-100",
                },
            )
        ]
    )
    assert "several models" in result.errors["product_models"][0]
    (result,) = validate_rows(
        [
            (
                2,
                {
                    "part_number": "A",
                    "name_zh": "x",
                    "cost_price": 1,
                    "list_price": 1,
                    "product_models": "Qingdun M-100",
                },
            )
        ]
    )
    assert result.ok and result.model_ids == [models[0].pk]


def test_a_workbook_that_unpacks_too_large_is_refused(tmp_path, monkeypatch):
    from parts.catalogue_import import workbook as import_workbook

    path = tmp_path / "x.xlsx"
    path.write_bytes(xlsx_bytes(GOOD_ROWS))
    read_rows(path)
    monkeypatch.setattr(import_workbook, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ImportFileError, match="too large once unpacked"):
        read_rows(path)


def test_a_file_that_is_a_zip_but_not_a_workbook(tmp_path):
    import zipfile

    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ImportFileError, match="cannot be read"):
        read_rows(path)


# --- a real browser: the progress bar is polled until the report replaces it ---------------
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_polls_until_the_worker_has_checked_the_file(desktop_page, monkeypatch, tmp_path):
    worker = import_jobs.import_validate
    monkeypatch.setattr(import_jobs, "import_validate", lambda token: None)  # worker is late
    ProductModelFactory(manufacturer="Qingdun", name="M-100", gtin="06901234567892")
    ProductModelFactory(manufacturer="Qingdun", name="M-200")
    vendor_user(VendorRole.MANAGER, username="manager")
    page = desktop_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/accounts/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(reverse("parts:import_create"))
    file = tmp_path / "parts.xlsx"
    file.write_bytes(xlsx_bytes(GOOD_ROWS))
    page.set_input_files("input[type=file]", str(file))
    page.click("button[type=submit].btn-primary")
    page.wait_for_selector("#import-status[data-state=queued] .progress-bar")
    (state_file,) = import_jobs.import_dir().glob("*.json")
    worker.call_local(state_file.name.split(".")[0])
    page.wait_for_selector("#import-status[data-state=validated]", timeout=10_000)
    assert not SparePart.objects.exists()
    page.click("button[value=all]")
    page.wait_for_selector("#import-status[data-state=done]")
    assert SparePart.objects.count() == 3
    assert errors == []


# --- the bulk write (issue 5 §5: one transaction, a bounded number of statements) ----------
def _results(rows, header=EN_KW, tmp_path=None):
    """validate_rows of a workbook of ``rows``, as the worker reads it."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.xlsx"
        path.write_bytes(xlsx_bytes(rows, header))
        return validate_rows(read_rows(path))


def _kw_row(number, models_cell="M-100", keywords="", list_price=100):
    return [number, f"件 {number}", "", models_cell, "否", "pcs", 10, list_price, "CNY", keywords]


def test_the_bulk_confirm_creates_updates_and_replaces_the_model_links(client, manager, models):
    changed = SparePartFactory(
        part_number="UPD-1", name_zh="旧", list_price=Decimal("1.00"), symptom_keywords="old"
    )
    changed.product_models.set([models[1]])
    same_links = SparePartFactory(part_number="UPD-2", name_zh="件 UPD-2", cost_price=10)
    same_links.product_models.set([models[0]])
    untouched = SparePartFactory(
        part_number="SAME-1",
        name_zh="件 SAME-1",
        name_en="",
        is_main_component=False,
        unit="pcs",
        cost_price=10,
        list_price=100,
        currency="CNY",
        symptom_keywords="",
    )
    untouched.product_models.set([models[0]])
    stamps = dict(SparePart.objects.values_list("part_number", "updated_at"))
    client.force_login(manager)
    rows = [
        _kw_row("NEW-1", "M-100, M-200", "no display， 黑屏 ; No Display"),
        _kw_row("NEW-2", ""),
        _kw_row("UPD-1", "M-100", "no power"),
        _kw_row("UPD-2", "M-100", list_price=250),
        _kw_row("SAME-1", "M-100"),
    ]
    post_file(client, upload(rows, header=EN_KW))
    report = job(client)["report"]
    assert (report["creates"], report["updates"], report["unchanged"]) == (2, 2, 1)
    confirm(client, "all")
    assert job(client)["result"] == {"created": 2, "updated": 2, "unchanged": 1, "skipped": 0}
    new1 = SparePart.objects.get(part_number="NEW-1")
    assert set(new1.product_models.all()) == set(models)
    assert new1.symptom_keywords == "no display, 黑屏"  # split, trimmed, each word once
    assert not SparePart.objects.get(part_number="NEW-2").product_models.exists()
    changed.refresh_from_db()
    assert (changed.name_zh, changed.list_price, changed.symptom_keywords) == (
        "件 UPD-1",
        Decimal("100.00"),
        "no power",
    )
    assert list(changed.product_models.all()) == [models[0]], "the old link is gone"
    same_links.refresh_from_db()
    assert same_links.list_price == Decimal("250.00")
    assert list(same_links.product_models.all()) == [models[0]]
    assert changed.updated_at > stamps["UPD-1"] and same_links.updated_at > stamps["UPD-2"]
    untouched.refresh_from_db()
    assert untouched.updated_at == stamps["SAME-1"], "an unchanged row is not written"
    assert SparePart.objects.count() == 5
    assert SparePart.product_models.through.objects.count() == 5


def test_a_file_without_the_keywords_column_leaves_the_keywords_alone(client, manager, models):
    SparePartFactory(part_number="PB-1", name_zh="电源板", symptom_keywords="黑屏")
    client.force_login(manager)
    post_file(client, upload([["PB-1", "电源板", "", "", "否", "pcs", 1, 2, "CNY"]]))
    confirm(client, "all")
    assert SparePart.objects.get(part_number="PB-1").symptom_keywords == "黑屏"
    post_file(client, upload([["PB-1", "电源板", "", "", "否", "pcs", 1, 2, "CNY", ""]], EN_KW))
    assert job(client)["report"]["updated_rows"][0]["changes"] == ["Symptom keywords"]
    confirm(client, "all")
    assert SparePart.objects.get(part_number="PB-1").symptom_keywords == ""


def test_a_row_only_the_model_refuses_is_reported_and_nothing_is_written(client, manager, models):
    too_long = ", ".join(f"keyword {n:03d}" for n in range(40))  # 478 characters
    client.force_login(manager)
    post_file(client, upload([_kw_row("OK-1"), _kw_row("LONG-1", keywords=too_long)], EN_KW))
    state = job(client)
    assert (state["report"]["good"], state["report"]["bad"]) == (1, 1)
    assert _errors(state) == {(3, "LONG-1", "Symptom keywords")}
    (error,) = state["report"]["errors"][0]["errors"]
    assert "at most 300 characters" in error["messages"][0]
    confirm(client, "all")
    assert job(client)["state"] == "validated" and not SparePart.objects.exists()
    confirm(client, "good")
    assert job(client)["result"] == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 1}
    assert list(SparePart.objects.values_list("part_number", flat=True)) == ["OK-1"]


def test_the_write_validates_again_and_writes_nothing_for_a_bad_row(models):
    results = _results([_kw_row("OK-1"), _kw_row("OK-2")])
    results[1].values["symptom_keywords"] = "x" * 301  # as if the check had been skipped
    with pytest.raises(import_write.RowImportError) as caught:
        import_write.import_rows(results)
    assert caught.value.row == 3 and "300" in caught.value.message
    assert not SparePart.objects.exists()


def test_a_part_added_or_deleted_since_the_check_stops_the_whole_write(models):
    results = _results([_kw_row("OK-1"), _kw_row("RACE-1")])
    SparePartFactory(part_number="RACE-1")
    with pytest.raises(import_write.RowImportError, match="added meanwhile"):
        import_write.import_rows(results)
    assert list(SparePart.objects.values_list("part_number", flat=True)) == ["RACE-1"]
    results = _results([_kw_row("OK-1"), _kw_row("RACE-1", list_price=5)])
    SparePart.objects.filter(part_number="RACE-1").delete()
    with pytest.raises(import_write.RowImportError, match="deleted meanwhile"):
        import_write.import_rows(results)
    assert not SparePart.objects.exists()


def test_the_good_rows_only_are_written_in_bulk(models):
    results = _results([_kw_row("OK-1"), _kw_row("BAD-1", list_price=-1), _kw_row("OK-2")])
    outcome = import_write.import_rows(results)
    assert (outcome.created, outcome.skipped) == (2, 1)
    assert set(SparePart.objects.values_list("part_number", flat=True)) == {"OK-1", "OK-2"}


def test_a_second_confirm_after_the_import_imports_nothing(client, manager, models):
    client.force_login(manager)
    post_file(client, upload(GOOD_ROWS))
    confirm(client, "all")
    assert job(client)["state"] == "done"
    stamps = dict(SparePart.objects.values_list("part_number", "updated_at"))
    links = SparePart.product_models.through.objects.count()
    confirm(client, "all")
    confirm(client, "good")
    assert job(client)["result"]["created"] == 3
    assert dict(SparePart.objects.values_list("part_number", "updated_at")) == stamps
    assert SparePart.product_models.through.objects.count() == links


def test_progress_is_reported_after_each_batch(models):
    results = _results([_kw_row(f"P-{n}") for n in range(5)])
    seen: list[tuple[int, int]] = []
    import_write.import_rows(results, progress=lambda d, t: seen.append((d, t)), batch_size=2)
    assert seen == [(2, 5), (4, 5), (5, 5), (5, 5)]


def _mixed_rows(count: int) -> list[list]:
    """``count`` rows: half new parts, half updates of known parts with other models."""
    known = SparePart.objects.bulk_create(
        SparePartFactory.build(part_number=f"K-{n:04d}") for n in range(count // 2)
    )
    through = SparePart.product_models.through
    other = ProductModel.objects.filter(manufacturer="Other").first() or ProductModelFactory(
        manufacturer="Other", name="Old"
    )
    through.objects.bulk_create(through(sparepart=part, productmodel=other) for part in known)
    return [_kw_row(f"K-{n:04d}", "M-100, M-200", "noise") for n in range(count // 2)] + [
        _kw_row(f"N-{n:04d}", "M-100", "smoke") for n in range(count - count // 2)
    ]


@pytest.mark.parametrize("count", [4, 80])
def test_the_write_takes_a_bounded_number_of_queries_whatever_the_row_count(
    models, count, django_assert_max_num_queries
):
    """The proof of "bulk" without timing: the same ceiling for 4 rows and for 80 (one
    batch; SQLite's 999-parameter limit splits an 80-row bulk_update in at most two)."""
    results = _results(_mixed_rows(count))
    assert all(r.ok for r in results)
    # 12 for the parts and their links, 2 for their history (one insert per kind of write).
    with django_assert_max_num_queries(14):
        outcome = import_write.import_rows(results)
    assert (outcome.created, outcome.updated) == (count - count // 2, count // 2)
    through = SparePart.product_models.through
    assert through.objects.filter(sparepart__part_number__startswith="K-").count() == count
    assert not through.objects.filter(productmodel__manufacturer="Other").exists()


def test_the_whole_confirm_takes_as_many_queries_for_60_rows_as_for_6(client, manager, models):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    counts = []
    for count in (6, 60):
        SparePart.objects.all().delete()
        post_file(client, upload(_mixed_rows(count), header=EN_KW))
        with CaptureQueriesContext(connection) as queries:
            confirm(client, "all")
        assert job(client)["result"]["created"] == count - count // 2
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_tracking_cannot_change_at_write_time_either(manager, models):
    part = SparePartFactory(part_number="MOVED-2", is_main_component=False)
    results = _results([["MOVED-2", "x", "", "", "是", "pcs", 1, 1, "CNY", ""]])
    assert results[0].ok  # no movements at the check
    services.stock_receive(part=part, location=StockLocationFactory(), quantity=1, user=manager)
    with pytest.raises(import_write.RowImportError, match="tracking cannot change"):
        import_write.import_rows(results)
    part.refresh_from_db()
    assert not part.is_main_component and StockMovement.objects.filter(part=part).count() == 1


# --- price history (issue 10 §12): the bulk write does not bypass it -----------------------
def test_every_imported_or_updated_part_gets_its_history_row_by_the_importer(
    client, manager, models
):
    changed = SparePartFactory(part_number="UPD-1", name_zh="旧", list_price=Decimal("1.00"))
    untouched = SparePartFactory(
        part_number="SAME-1",
        name_zh="件 SAME-1",
        name_en="",
        unit="pcs",
        cost_price=10,
        list_price=100,
        currency="CNY",
        symptom_keywords="",
    )
    untouched.product_models.set([models[0]])
    before = {p.pk: p.history.count() for p in (changed, untouched)}
    client.force_login(manager)
    rows = [_kw_row("NEW-1"), _kw_row("NEW-2", ""), _kw_row("UPD-1", list_price=250)]
    post_file(client, upload([*rows, _kw_row("SAME-1")], header=EN_KW, name="prices-2027.xlsx"))
    confirm(client, "all")
    assert job(client)["result"]["created"] == 2

    for number in ("NEW-1", "NEW-2"):
        (created,) = SparePart.objects.get(part_number=number).history.all()
        assert (created.history_type, created.history_user) == ("+", manager)
        assert created.history_change_reason == "Imported from prices-2027.xlsx"
        assert created.list_price == Decimal("100.00")
    latest = changed.history.first()
    assert changed.history.count() == before[changed.pk] + 1
    assert (latest.history_type, latest.history_user) == ("~", manager)
    assert (latest.list_price, latest.name_zh) == (Decimal("250.00"), "件 UPD-1")
    assert latest.prev_record.list_price == Decimal("1.00"), "the old price stays on record"
    assert untouched.history.count() == before[untouched.pk], "an unchanged part has no row"


def test_a_price_changed_on_the_form_is_kept_in_the_history_with_its_author(client, manager):
    part = SparePartFactory(part_number="PB-1", cost_price=Decimal("100.00"))
    client.force_login(manager)
    data = {
        "part_number": "PB-1",
        "name_zh": part.name_zh,
        "name_en": part.name_en,
        "unit": "pcs",
        "cost_price": "120.00",
        "list_price": "150.00",
        "currency": "CNY",
        "active": "on",
    }
    assert client.post(reverse("parts:part_edit", args=[part.pk]), data).status_code == 302
    latest = part.history.first()
    assert (latest.history_user, latest.cost_price) == (manager, Decimal("120.00"))
    assert latest.prev_record.cost_price == Decimal("100.00")
