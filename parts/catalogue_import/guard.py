"""Checks of an uploaded ``.xlsx`` before openpyxl touches it (issue 10 §7).

A 1.7 KB workbook that declares ``A1:XFD1048576`` made openpyxl pad a million rows of 16,384
cells; a 455 KB one with 11 million shared strings took 1.5 GB, because openpyxl reads the
whole shared-string table before the first row. So the file is refused early, and says why,
when its zip declares more unpacked bytes or members than a parts list needs, when its first
worksheet declares or holds a row or column beyond the caps (the ``<dimension>`` can lie, so
every ``<row>`` and ``<c>`` is checked too), or when its shared-string table has more entries
than the cap (counted by streaming, stopping at the cap: the ``count`` attribute can lie).
XML with a document type declaration (entity expansion) is refused as unreadable.

Pure standard library, no Django: it runs inside the import sandbox
(``parts.catalogue_import.sandbox``), a child process with CPU-time and memory limits. Python's
``zipfile`` never yields more bytes than a member's declared size, so the declared sizes
bound everything read here and by openpyxl.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

CHUNK_BYTES = 64 * 1024
SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.%s.main+xml"
MACRO_WORKBOOK = "application/vnd.ms-excel.%s.macroEnabled.main+xml"
# The workbook part's content types, in openpyxl's order of preference.
WORKBOOK_TYPES = (
    MACRO_WORKBOOK % "template",
    SPREADSHEET % "template",
    MACRO_WORKBOOK % "sheet",
    SPREADSHEET % "sheet",
)
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
CELL_REFERENCE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
COLUMN_ONLY = re.compile(r"^\$?([A-Za-z]{1,3})$")


@dataclass(frozen=True)
class Limits:
    """What a parts list may be; ``parts.catalogue_import.workbook`` sets the numbers."""

    max_unpacked_bytes: int
    max_members: int
    max_sheet_rows: int
    max_sheet_columns: int
    max_shared_strings: int
    max_rows: int  # non-blank rows after the header

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class WorkbookRefused(Exception):
    """Why the file will not be read: a stable ``code`` and the numbers for its message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def column_number(letters: str) -> int:
    """``A`` → 1, ``XFD`` → 16384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + (ord(letter) - 64)
    return number


def _local(name: str) -> str:
    """An element's or attribute's name without its namespace (expat gives ``uri}name``)."""
    return name.rsplit("}", 1)[-1]


def _stream(
    archive: zipfile.ZipFile, member: str, start: Callable[[str, dict[str, str]], None]
) -> None:
    """Feed ``member`` to expat in chunks, calling ``start(local name, attributes)`` for every
    element; a handler that refuses stops the reading there (the rest is never unpacked)."""
    parser = expat.ParserCreate(namespace_separator="}")

    def refuse_declaration(*_args: Any) -> None:
        raise WorkbookRefused("unreadable")

    parser.StartDoctypeDeclHandler = refuse_declaration
    parser.EntityDeclHandler = refuse_declaration
    parser.StartElementHandler = lambda name, attributes: start(_local(name), attributes)
    try:
        with archive.open(member) as source:
            while chunk := source.read(CHUNK_BYTES):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise WorkbookRefused("unreadable") from exc


def _check_archive(archive: zipfile.ZipFile, limits: Limits) -> set[str]:
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise WorkbookRefused("too_many_members", max=limits.max_members)
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unpacked_bytes:
        raise WorkbookRefused("too_large_unpacked", max_mb=limits.max_unpacked_bytes // 2**20)
    return {member.filename for member in members}


def _content_types(archive: zipfile.ZipFile) -> tuple[dict[str, str], set[str]]:
    """``{part name: content type}`` of the overrides, and the default content types."""
    overrides: dict[str, str] = {}
    defaults: set[str] = set()

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == "Override" and "PartName" in attributes:
            overrides.setdefault(
                attributes["PartName"].lstrip("/"), attributes.get("ContentType", "")
            )
        elif name == "Default":
            defaults.add(attributes.get("ContentType", ""))

    _stream(archive, "[Content_Types].xml", start)
    return overrides, defaults


def _first_worksheet(archive: zipfile.ZipFile, workbook: str, names: set[str]) -> str:
    """The part openpyxl reads as ``worksheets[0]``: the first sheet of the workbook whose
    relationship exists in the archive and is not a chartsheet."""
    sheet_ids: list[str] = []

    def sheet(name: str, attributes: dict[str, str]) -> None:
        if name == "sheet":
            rel_id = next((v for k, v in attributes.items() if _local(k) == "id" and "}" in k), "")
            sheet_ids.append(rel_id)

    _stream(archive, workbook, sheet)
    folder = posixpath.dirname(workbook)
    rels_path = posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels")
    if rels_path not in names:
        raise WorkbookRefused("unreadable")
    targets: dict[str, tuple[str, str]] = {}

    def relationship(name: str, attributes: dict[str, str]) -> None:
        if name == "Relationship" and attributes.get("TargetMode") != "External":
            target = attributes.get("Target", "")
            if target.startswith("/"):
                target = target[1:]
            else:
                target = posixpath.normpath(posixpath.join(folder, target))
            targets[attributes.get("Id", "")] = (target, attributes.get("Type", ""))

    _stream(archive, rels_path, relationship)
    for rel_id in sheet_ids:
        target, kind = targets.get(rel_id, ("", ""))
        if target in names and "chartsheet" not in kind:
            return target
    raise WorkbookRefused("unreadable")


def _check_worksheet(archive: zipfile.ZipFile, member: str, limits: Limits) -> None:
    """The declared dimension, then every row and cell reference, against the caps."""
    row_number = 0
    column = 0

    def check_row(number: int) -> None:
        if number > limits.max_sheet_rows:
            raise WorkbookRefused("too_many_sheet_rows", row=number, max=limits.max_sheet_rows)

    def check_column(number: int) -> None:
        if number > limits.max_sheet_columns:
            raise WorkbookRefused(
                "too_many_sheet_columns", column=number, max=limits.max_sheet_columns
            )

    def corner(reference: str) -> None:
        found = CELL_REFERENCE.match(reference)
        if found is not None:
            check_column(column_number(found[1]))
            check_row(int(found[2]))
        elif (only := COLUMN_ONLY.match(reference)) is not None:
            check_column(column_number(only[1]))
        elif reference.isdigit():
            check_row(int(reference))
        else:
            raise WorkbookRefused("unreadable")

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal row_number, column
        if name == "dimension":
            for reference in attributes.get("ref", "").split(":"):
                corner(reference.strip())
        elif name == "row":
            # Rows without ``r`` follow the previous one, as openpyxl counts them.
            reference = attributes.get("r", "")
            row_number = int(reference) if reference.isdigit() else row_number + 1
            check_row(row_number)
            column = 0
        elif name == "c":
            found = CELL_REFERENCE.match(attributes.get("r", ""))
            if found is not None:
                column = column_number(found[1])
                check_row(int(found[2]))
            else:
                column += 1
            check_column(column)

    _stream(archive, member, start)


def _check_shared_strings(archive: zipfile.ZipFile, member: str, limits: Limits) -> None:
    """Count ``<si>`` entries, stopping one past the cap; nothing is kept."""
    count = 0

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal count
        if name == "si":
            count += 1
            if count > limits.max_shared_strings:
                raise WorkbookRefused("too_many_strings", max=limits.max_shared_strings)

    _stream(archive, member, start)


def check_workbook(path: Path | str, limits: Limits) -> str:
    """Raise ``WorkbookRefused`` unless the workbook is within ``limits``; return the path
    of its first worksheet inside the archive (the one that is read)."""
    if not zipfile.is_zipfile(path):
        raise WorkbookRefused("not_a_workbook")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookRefused("not_a_workbook") from exc
    with archive:
        names = _check_archive(archive, limits)
        if "[Content_Types].xml" not in names:
            raise WorkbookRefused("unreadable")
        overrides, defaults = _content_types(archive)
        workbook = next(
            (
                part
                for kind in WORKBOOK_TYPES
                for part, part_kind in overrides.items()
                if part_kind == kind
            ),
            None,
        )
        if workbook is None and defaults & set(WORKBOOK_TYPES):
            workbook = "xl/workbook.xml"
        if workbook is None or workbook not in names:
            raise WorkbookRefused("unreadable")
        sheet = _first_worksheet(archive, workbook, names)
        strings = next((p for p, kind in overrides.items() if kind == SHARED_STRINGS_TYPE), None)
        if strings is not None and strings in names:
            _check_shared_strings(archive, strings, limits)
        _check_worksheet(archive, sheet, limits)
        return sheet
