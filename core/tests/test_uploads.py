"""Which uploaded documents are accepted (pure: no database)."""

import io

import pytest
from django.core.files.base import ContentFile

from core.uploads import DocumentFileError, check_document_file, clean_name

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
DOCX_BYTES = b"PK\x03\x04" + b"\x00" * 40


def check(name: str, content: bytes, max_bytes: int = 1000):
    return check_document_file(ContentFile(content, name=name), name=name, max_bytes=max_bytes)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("rules.pdf", PDF_BYTES),
        ("RULES.PDF", PDF_BYTES),
        ("巡检制度.docx", DOCX_BYTES),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20),
        ("notes.txt", "巡检制度：每月一次。".encode()),
    ],
)
def test_accepted_files(name, content):
    checked = check(name, content)
    assert checked.size == len(content)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.exe", b"MZ\x90\x00", "type"),
        ("page.html", b"<html></html>", "type"),
        ("no-extension", PDF_BYTES, "type"),
        ("fake.pdf", b"<script>alert(1)</script>", "content"),
        ("fake.docx", PDF_BYTES, "content"),
        ("binary.txt", b"\x00\x01\x02", "content"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "content"),
        ("empty.pdf", b"", "empty"),
        ("big.pdf", PDF_BYTES + b"x" * 1000, "too_large"),
    ],
)
def test_refused_files(name, content, code):
    with pytest.raises(DocumentFileError) as caught:
        check(name, content)
    assert caught.value.code == code


def test_size_is_counted_from_the_bytes_when_the_handle_has_no_size():
    handle = io.BytesIO(PDF_BYTES + b"x" * 2000)
    with pytest.raises(DocumentFileError) as caught:
        check_document_file(handle, name="big.pdf", max_bytes=1000)
    assert caught.value.code == "too_large"


def test_a_path_in_the_name_is_dropped_and_a_long_name_shortened_keeping_its_extension():
    assert clean_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert clean_name("C:\\Users\\x\\制度.pdf") == "制度.pdf"
    long = clean_name("a" * 300 + ".docx")
    assert long.endswith(".docx") and len(long) == 150
