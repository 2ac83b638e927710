"""Hostile spreadsheets (issue 10 §7): a tiny file declaring ``A1:XFD1048576``, millions of
shared strings, a dimension that lies, entity declarations, too many parts; the limits of the
reader's child process; and the web process never opening a workbook.

The fixtures are built here from raw XML parts, so each one is exactly as hostile as meant.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from parts.catalogue_import import jobs as import_jobs
from parts.catalogue_import import workbook as import_workbook
from parts.catalogue_import.guard import Limits, WorkbookRefused, check_workbook
from parts.catalogue_import.sandbox import read_sandboxed
from parts.catalogue_import.workbook import ImportFileError, read_limits, read_rows
from parts.models import SparePart

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{SHEET_TYPE}.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}.worksheet+xml"/>
{{strings}}</Types>"""
STRINGS_OVERRIDE = (
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHEET_TYPE}.sharedStrings+xml"/>'
)
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1"
Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>
<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1"
Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"""
HEADER = ["Part number", "Name (zh)", "Cost price", "List price"]


def inline(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    cells = "".join(inline(f"{c}1", t) for c, t in zip("ABCD", HEADER, strict=True))
    return f'<row r="1">{cells}</row>'


def part_row(number: int) -> str:
    return (
        f'<row r="{number}">{inline(f"A{number}", f"P-{number}")}{inline(f"B{number}", "件")}'
        f'<c r="C{number}"><v>1</v></c><c r="D{number}"><v>2</v></c></row>'
    )


def sheet_xml(rows: str, dimension: str | None = "A1:D2", before: str = "") -> str:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{before}<worksheet xmlns="{MAIN}">{declared}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def build(
    path: Path,
    sheet: str | Iterable[bytes],
    strings: Iterable[bytes] | None = None,
    extra_members: int = 0,
) -> Path:
    """A minimal .xlsx: content types, relationships, one worksheet, optional shared
    strings (written as they are generated, so millions cost no memory here)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(
            "[Content_Types].xml",
            CONTENT_TYPES.format(strings=STRINGS_OVERRIDE if strings is not None else ""),
        )
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            for chunk in [sheet.encode()] if isinstance(sheet, str) else sheet:
                out.write(chunk)
        if strings is not None:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
                for chunk in strings:
                    out.write(chunk)
        for n in range(extra_members):
            archive.writestr(f"docProps/extra{n}.xml", "<x/>")
    return path


def shared_strings(count: int, *, declared: int, then: bytes = b"") -> Iterable[bytes]:
    """``count`` empty ``<si>`` entries under a ``count`` attribute that says ``declared``,
    followed by ``then``."""
    attributes = f'count="{declared}" uniqueCount="{declared}"'
    yield f'<?xml version="1.0"?><sst xmlns="{MAIN}" {attributes}>'.encode()
    block = b"<si><t/></si>" * 100_000
    for _ in range(count // 100_000):
        yield block
    yield b"<si><t/></si>" * (count % 100_000)
    yield then
    yield b"</sst>"


def refusal(path: Path, limits: Limits | None = None) -> WorkbookRefused:
    with pytest.raises(WorkbookRefused) as refused:
        check_workbook(path, limits or read_limits())
    return refused.value


# --- the checks before openpyxl (pure, in this process) -------------------------------------
def test_a_sane_minimal_workbook_passes_the_checks_and_reads(tmp_path):
    path = build(tmp_path / "ok.xlsx", sheet_xml(header_row() + part_row(2)))
    assert check_workbook(path, read_limits()) == "xl/worksheets/sheet1.xml"
    assert read_rows(path) == [
        (2, {"part_number": "P-2", "name_zh": "件", "cost_price": 1, "list_price": 2})
    ]


def test_a_tiny_file_declaring_the_whole_sheet_is_refused_before_reading(tmp_path):
    path = build(tmp_path / "xfd.xlsx", sheet_xml(header_row(), dimension="A1:XFD1048576"))
    assert path.stat().st_size < 2000
    refused = refusal(path)
    assert (refused.code, refused.params) == (
        "too_many_sheet_columns",
        {"column": 16384, "max": 100},
    )
    rows_only = build(tmp_path / "rows.xlsx", sheet_xml(header_row(), dimension="A1:D1048576"))
    assert refusal(rows_only).params == {"row": 1048576, "max": 50_000}


def test_the_dimension_is_read_from_the_beginning_only(tmp_path):
    """Once the dimension refuses, the rest of the sheet is never parsed: broken XML after
    it would otherwise make the refusal ``unreadable``."""
    sheet = sheet_xml(header_row(), dimension="A1:XFD1048576").replace(
        "<sheetData>", "<sheetData><row r='1'><<<not xml"
    )
    assert refusal(build(tmp_path / "x.xlsx", sheet)).code == "too_many_sheet_columns"


@pytest.mark.parametrize(
    ("rows", "code", "params"),
    [
        (header_row() + part_row(1_000_000), "too_many_sheet_rows", {"row": 1_000_000}),
        (header_row() + '<row><c r="ZZ2"><v>1</v></c></row>', "too_many_sheet_columns", {}),
        # Rows and cells without references count on from the previous ones.
        (header_row() + "<row>" + "<c><v>1</v></c>" * 101 + "</row>", "too_many_sheet_columns", {}),
    ],
    ids=["row-beyond", "column-beyond", "unreferenced-cells-beyond"],
)
def test_a_dimension_that_lies_does_not_hide_rows_or_columns_beyond_the_caps(
    tmp_path, rows, code, params
):
    refused = refusal(build(tmp_path / "lie.xlsx", sheet_xml(rows, dimension="A1:D2")))
    assert refused.code == code and params.items() <= refused.params.items()
    missing = refusal(build(tmp_path / "none.xlsx", sheet_xml(rows, dimension=None)))
    assert missing.code == code


def test_millions_of_shared_strings_are_counted_only_up_to_the_cap(tmp_path):
    """The ``count`` attribute says 1; streaming finds more than the cap and stops there:
    the broken XML after the millionth entry is never reached."""
    path = build(
        tmp_path / "strings.xlsx",
        sheet_xml(header_row()),
        shared_strings(1_000_000, declared=1, then=b"<si><<<broken"),
    )
    assert path.stat().st_size < 100_000
    refused = refusal(path)
    assert (refused.code, refused.params) == ("too_many_strings", {"max": 500_000})


def test_the_reported_eleven_million_strings_file_is_refused_by_its_unpacked_size(tmp_path):
    path = build(
        tmp_path / "11m.xlsx",
        sheet_xml(header_row()),
        shared_strings(11_000_000, declared=11_000_000),
    )
    assert path.stat().st_size < 1_000_000
    assert refusal(path).code == "too_large_unpacked"


def test_entity_declarations_are_refused_as_unreadable(tmp_path):
    laughs = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    path = build(tmp_path / "laughs.xlsx", sheet_xml(header_row(), before=laughs))
    assert refusal(path).code == "unreadable"


def test_a_zip_of_too_many_parts_is_refused(tmp_path):
    path = build(tmp_path / "many.xlsx", sheet_xml(header_row()), extra_members=1001)
    assert refusal(path).code == "too_many_members"


# --- through the reader's child process ---------------------------------------------------
def test_a_refused_file_says_why_in_english_and_chinese(tmp_path):
    path = build(tmp_path / "xfd.xlsx", sheet_xml(header_row(), dimension="A1:XFD1048576"))
    with pytest.raises(ImportFileError) as refused:
        read_rows(path)
    assert refused.value.code == "too_many_sheet_columns"
    assert refused.value.message == (
        "The sheet reaches column XFD, but at most 100 columns (up to CV) are read: delete "
        "the columns beside the list."
    )
    with translation.override("zh-hans"):
        assert refused.value.message == (
            "工作表延伸到第 XFD 列，但最多只读取 100 列（到 CV 列）：请删除列表旁边的列。"
        )


def grid(rows: int, columns: int) -> Iterable[bytes]:
    """A legitimate sheet of ``rows`` × ``columns`` numbers (``columns`` ≤ 26)."""
    letters = [chr(65 + n) for n in range(columns)]
    yield f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
    for row in range(1, rows + 1):
        cells = "".join(f'<c r="{letter}{row}"><v>{row}</v></c>' for letter in letters)
        yield f'<row r="{row}">{cells}</row>'.encode()
    yield b"</sheetData></worksheet>"


LOOSE = Limits(
    max_unpacked_bytes=50 * 2**20,
    max_members=100,
    max_sheet_rows=50_000,
    max_sheet_columns=100,
    max_shared_strings=500_000,
    max_rows=50_000,
)


def test_the_cpu_limit_stops_the_reader_and_the_file_is_refused_as_too_complex(tmp_path):
    """A million cells within every cap take seconds of CPU to read: with one second the
    child is killed by the kernel (SIGXCPU) and the file refused, the caller unharmed."""
    path = build(tmp_path / "big.xlsx", grid(50_000, 20))
    with pytest.raises(WorkbookRefused) as refused:
        read_sandboxed(path, LOOSE, cpu_seconds=1, memory_bytes=2**30)
    assert refused.value.code == "too_complex"


def test_the_memory_limit_stops_the_reader_and_the_file_is_refused_as_too_complex(tmp_path):
    """400,000 different texts of 80 characters are within the caps but need more than
    96 MB in openpyxl's string table."""
    texts = (b"<si><t>%080d</t></si>" % n for n in range(400_000))
    strings = [f'<?xml version="1.0"?><sst xmlns="{MAIN}">'.encode(), *texts, b"</sst>"]
    path = build(tmp_path / "texts.xlsx", sheet_xml(header_row()), strings)
    with pytest.raises(WorkbookRefused) as refused:
        read_sandboxed(path, LOOSE, cpu_seconds=60, memory_bytes=96 * 2**20)
    assert refused.value.code == "too_complex"


# --- the pages: the web process keeps the file, the worker refuses it ------------------------
@pytest.mark.django_db
def test_the_upload_never_opens_the_workbook_in_the_web_process(client, tmp_path, monkeypatch):
    import openpyxl

    def no_parsing_here(*args, **kwargs):
        raise AssertionError("the web process opened the workbook")

    worker = import_jobs.import_validate
    monkeypatch.setattr(import_jobs, "import_validate", lambda token: None)  # the queue
    monkeypatch.setattr(openpyxl, "load_workbook", no_parsing_here)
    monkeypatch.setattr(import_workbook, "read_sandboxed", no_parsing_here)
    path = build(tmp_path / "xfd.xlsx", sheet_xml(header_row(), dimension="A1:XFD1048576"))
    client.force_login(vendor_user(VendorRole.MANAGER))
    upload = SimpleUploadedFile("xfd.xlsx", path.read_bytes())
    response = client.post(reverse("parts:import_create"), {"file": upload})
    assert response.status_code == 302 and response.url == reverse("parts:import_review")
    token = client.session[import_jobs.SESSION_KEY]
    queued = import_jobs.state_read(token)
    assert queued is not None and queued["state"] == "queued"

    monkeypatch.undo()
    worker.call_local(token)  # the worker's turn
    state = import_jobs.state_read(token)
    assert state is not None
    assert state["state"] == "failed" and state["error_code"] == "too_many_sheet_columns"
    assert not import_jobs.upload_path(token).exists()
    english = client.get(reverse("parts:import_review")).content.decode()
    assert "The sheet reaches column XFD" in english
    chinese = client.get(reverse("parts:import_review"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "工作表延伸到第 XFD 列" in chinese.content.decode()
    assert not SparePart.objects.exists()
