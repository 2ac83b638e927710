"""The domain-free writers of ``core.exports`` (issue 14 §3): neutralised cells, typed
numbers and local times, the CSV's BOM, a table that is a list of rows (a KPI table)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from core.exports import (
    BOM,
    Column,
    Table,
    cell_value,
    csv_chunks,
    neutralise,
    table_response,
    xlsx_write,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("text", ["=1+2", "+86 532", "-2", "@SUM(A1)", "\t=x", "\r=x"])
def test_text_that_could_be_a_formula_gets_a_leading_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["SN-1", "a=b", "", 5, -5, Decimal("-1.50"), None])
def test_anything_else_is_left_as_it_is(value):
    assert neutralise(value) == value


def test_cells_keep_numbers_and_dates_and_show_times_in_the_zone():
    moment = dt.datetime(2026, 12, 7, 16, 30, 15, tzinfo=dt.UTC)
    assert cell_value(moment, zone=SHANGHAI) == dt.datetime(2026, 12, 8, 0, 30, 15)
    assert cell_value(-3, zone=SHANGHAI) == -3
    assert cell_value(Decimal("12.30"), zone=SHANGHAI) == Decimal("12.30")
    assert cell_value(dt.date(1, 1, 1), zone=SHANGHAI) == dt.date(1, 1, 1)
    assert cell_value("=HYPERLINK()", zone=SHANGHAI) == "'=HYPERLINK()"
    assert cell_value("bell\x07", zone=SHANGHAI) == "bell"  # not valid in the workbook's XML
    assert cell_value(dt.timedelta(hours=2), zone=SHANGHAI) == 120


ROWS = [
    {"name": "=cmd|'/c calc'!A1", "count": -2, "at": dt.datetime(2026, 1, 1, 20, tzinfo=dt.UTC)},
    {"name": "心电监护仪", "count": 7, "at": None},
]
COLUMNS = (
    Column(_("Name"), lambda r: r["name"]),
    Column(_("Quantity"), lambda r: r["count"]),
    Column(_("Started at"), lambda r: r["at"]),
)


def test_a_list_of_rows_is_written_as_a_workbook():
    out = io.BytesIO()
    with translation.override("en"):
        written = xlsx_write(Table(COLUMNS, ROWS, title="KPI"), out, zone=SHANGHAI)
    assert written == 2
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Name", "Quantity", "Started at")
    assert rows[1] == ("'=cmd|'/c calc'!A1", -2, dt.datetime(2026, 1, 2, 4, 0))
    assert rows[2] == ("心电监护仪", 7, None)
    assert sheet["C2"].is_date


def test_the_csv_starts_with_a_bom_and_reads_in_chinese():
    with translation.override("zh-hans"):
        text = b"".join(csv_chunks(Table(COLUMNS, ROWS), zone=SHANGHAI)).decode()
    assert text.startswith(BOM)
    lines = text[1:].splitlines()
    assert lines[0].split(",")[1] == "数量"
    assert lines[1].endswith(",-2,2026-01-02 04:00")
    assert lines[1].startswith("'=cmd")


def test_a_table_downloads_with_its_name_and_type():
    response = table_response(Table(COLUMNS, ROWS), fmt="csv", name="kpi")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="kpi-' in response["Content-Disposition"]
    with pytest.raises(ValueError, match="unknown export format"):
        table_response(Table(COLUMNS, ROWS), fmt="pdf", name="kpi")


def test_the_workbook_holds_what_excel_cannot_date_as_text_and_escapes_markup():
    rows = [
        {"name": "<b>&amp;</b> " + "x" * 40_000, "count": float("inf"), "at": dt.date(1, 1, 1)},
        {"name": "  padded  ", "count": 2.5, "at": dt.datetime(9999, 12, 31, 23, 59)},
    ]
    out = io.BytesIO()
    with translation.override("en"):
        xlsx_write(Table(COLUMNS, rows, title="a/b:c[d]"), out, zone=SHANGHAI)
    book = load_workbook(out)
    assert book.sheetnames == ["abcd"]
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0].startswith("<b>&amp;</b> xxx")
    assert len(values[1][0]) == 32_767
    assert values[1][1:] == ("inf", "0001-01-01")
    assert values[2] == ("  padded  ", 2.5, dt.datetime(9999, 12, 31, 23, 59))
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
