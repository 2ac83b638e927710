"""`manage.py backup` and `restore` (issue 10 §11): signed records survive a backup, a wiped
database and media directory, and a restore, each signature still matching its content hash
and every archived PDF byte-identical; a database that is not empty is refused unless
forced; a damaged archive is refused before anything changes.

Runs on whichever database the suite runs on (SQLite: the online backup API; PostgreSQL:
pg_dump and one psql transaction). Transactional tests: pg_dump sees only committed rows."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import VendorRole
from accounts.tests.factories import vendor_user
from assets.tests.factories import DeviceFactory
from core.signatures import content_hash
from customers.models import HospitalRole
from customers.tests.factories import DepartmentFactory, HospitalFactory, hospital_user
from return_visits import sheet as return_visit_sheet
from return_visits.models import ReturnVisit, ReturnVisitSignature
from return_visits.selectors import sheet_content
from return_visits.services import return_visits_generate
from return_visits.tests.factories import department_with_devices

# The signing helpers of the records' own tests: when signing changes, they change with it.
from return_visits.tests.test_sheet import record as record_sheet
from return_visits.tests.test_sheet import sign as sign_sheet
from service.models import RepairRecord, ServiceRequest, Signature
from service.repair_records import services as records
from service.tests.test_records import open_request, write_record
from service.tests.test_records import sign as sign_record

pytestmark = pytest.mark.django_db(transaction=True)

SHEET_DAY = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)  # the return visit's sheet: in March


@pytest.fixture
def key_file(settings, tmp_path):
    """The installation's secret key file (the embedded default keeps its key in one)."""
    path = tmp_path / "var" / "secret_key"
    path.parent.mkdir()
    path.write_text("backup-test-key-" + "k" * 50)
    path.chmod(0o600)
    settings.SECRET_KEY_FILE = path
    return path


@pytest.fixture
def media_root(settings):
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def _schema_back():
    """A test that failed between wiping and restoring leaves the next one a schema."""
    yield
    if "django_migrations" not in connection.introspection.table_names():
        call_command("migrate", verbosity=0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def create_signed_records() -> None:
    """A repair record and a return-visit sheet, each signed by both sides and archived as a
    PDF: what a hospital's auditor would ask for."""
    engineer = vendor_user(VendorRole.ENGINEER, username="eng", first_name="伟", last_name="张")
    hospital = HospitalFactory(name="青岛市市立医院")
    department = DepartmentFactory(hospital=hospital, name="重症医学科")
    nurse = hospital_user(hospital, HospitalRole.DEPARTMENT_USER, departments=[department])
    device = DeviceFactory(department=department)
    record = write_record(open_request(device, engineer), engineer)
    sign_record(record, "engineer", engineer, name="张伟")
    sign_record(record, "hospital", nurse, name="李护士")

    with time_machine.travel(SHEET_DAY, tick=False):
        visited, _devices = department_with_devices(hospital=hospital, name="急诊科")
        return_visits_generate(horizon_days=0)
        visit = ReturnVisit.objects.get(department=visited)
        record_sheet(visit, engineer)
        sign_sheet(visit, "engineer", engineer, name="张伟")
        head = hospital_user(hospital, HospitalRole.DEPARTMENT_USER, departments=[visited])
        sign_sheet(visit, "hospital", head, name="王护士长")


def signed_state(media_root: Path) -> dict:
    """Every signature, content hash and archived PDF, and every uploaded file's checksum."""
    return {
        "repair_signatures": [
            (s.pk, s.role, s.content_hash, sha256(s.image.read()))
            for s in Signature.objects.order_by("pk")
        ],
        "sheet_signatures": [
            (s.pk, s.role, s.content_hash, sha256(s.image.read()))
            for s in ReturnVisitSignature.objects.order_by("pk")
        ],
        "records": [
            (r.pk, r.content_hash, r.pdf.name, sha256(r.pdf.read()))
            for r in RepairRecord.objects.filter(frozen_at__isnull=False).order_by("pk")
        ],
        "sheets": [
            (v.pk, v.content_hash, v.pdf.name, sha256(v.pdf.read()))
            for v in ReturnVisit.objects.filter(frozen_at__isnull=False).order_by("pk")
        ],
        "media": {
            path.relative_to(media_root).as_posix(): sha256(path.read_bytes())
            for path in sorted(media_root.rglob("*"))
            if path.is_file()
        },
    }


def _member(tar: tarfile.TarFile, member: str | tarfile.TarInfo) -> IO[bytes]:
    """A file of the archive (``extractfile`` answers None for anything else)."""
    file = tar.extractfile(member)
    assert file is not None, member
    return file


def assert_every_signature_matches() -> None:
    for signature in Signature.objects.all():
        assert records.signature_matches(signature), signature.pk
    for record in RepairRecord.objects.filter(frozen_at__isnull=False):
        assert record.content_hash == content_hash(records.record_content(record))
    for sheet_signature in ReturnVisitSignature.objects.all():
        assert return_visit_sheet.signature_matches(sheet_signature), sheet_signature.pk
    for visit in ReturnVisit.objects.filter(frozen_at__isnull=False):
        assert visit.content_hash == content_hash(sheet_content(visit))


def wipe(media_root: Path, key_file: Path) -> None:
    """Lose everything: every table, the uploaded files, the key file."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in tables:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")
            cursor.execute("PRAGMA foreign_keys = ON")
        else:
            for table in tables:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)} CASCADE")
    shutil.rmtree(media_root)
    key_file.unlink()


def backup(path: Path) -> Path:
    out = io.StringIO()
    call_command("backup", output=path, stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == str(path.resolve())
    return path


def restore(path: Path, **options) -> str:
    out = io.StringIO()
    call_command("restore", str(path), stdout=out, **options)
    return out.getvalue()


def test_signed_records_survive_backup_wipe_and_restore(tmp_path, media_root, key_file):
    create_signed_records()
    before = signed_state(media_root)
    assert len(before["repair_signatures"]) == 2 and len(before["sheet_signatures"]) == 2
    assert len(before["records"]) == 1 and len(before["sheets"]) == 1
    assert all(
        pdf_name.endswith(".pdf") for _, _, pdf_name, _ in before["records"] + before["sheets"]
    )
    assert_every_signature_matches()
    key = key_file.read_bytes()

    archive = backup(tmp_path / "backups" / "medservice.tar.gz")
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds the secret key
    with tarfile.open(archive) as tar:
        manifest = json.load(_member(tar, "manifest.json"))
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["secret_key"] is True
    assert {f"media/{name}" for name in before["media"]} <= set(manifest["files"])

    wipe(media_root, key_file)
    assert connection.introspection.table_names() == []
    assert not media_root.exists() and not key_file.exists()

    output = restore(archive)
    assert "checksums verified" in output
    assert key_file.read_bytes() == key
    assert signed_state(media_root) == before
    assert_every_signature_matches()


def test_a_database_that_is_not_empty_is_replaced_only_when_forced(tmp_path, media_root, key_file):
    create_signed_records()
    before = signed_state(media_root)
    archive = backup(tmp_path / "medservice.tar.gz")
    later = ServiceRequest.objects.get()
    later.pk = None
    later.number = "SR-2026-999999"
    later.save()  # made after the backup

    with pytest.raises(CommandError, match=r"not empty.*--force"):
        restore(archive)
    assert ServiceRequest.objects.count() == 2  # refused: nothing changed

    output = restore(archive, force=True)
    assert ServiceRequest.objects.count() == 1
    assert signed_state(media_root) == before
    assert_every_signature_matches()
    assert "the files that were there are in" in output  # never deleted, moved aside
    assert list(media_root.parent.glob(f"{media_root.name}.replaced-*"))


def test_a_damaged_archive_is_refused_and_nothing_changes(tmp_path, media_root, key_file):
    create_signed_records()
    before = signed_state(media_root)
    archive = backup(tmp_path / "medservice.tar.gz")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = _member(source, member).read()
            if member.name.endswith(".pdf"):
                data = data.replace(b"%PDF", b"%PDX", 1)  # one byte of a signed PDF
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))

    with pytest.raises(CommandError, match=r"damaged: media/.*\.pdf: checksum mismatch"):
        restore(damaged, force=True)
    with pytest.raises(CommandError, match="checksum mismatch"):
        restore(damaged, verify_only=True)
    assert "checksums verified" in restore(archive, verify_only=True)
    assert signed_state(media_root) == before


def test_a_key_from_the_environment_is_not_archived(tmp_path, settings):
    settings.SECRET_KEY_FILE = None
    err = io.StringIO()
    archive = tmp_path / "medservice.tar.gz"
    call_command("backup", output=archive, stdout=io.StringIO(), stderr=err)
    assert "SECRET_KEY comes from the environment" in err.getvalue()
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(_member(tar, "manifest.json"))
    assert "secret_key" not in names and manifest["secret_key"] is False
    assert manifest["database"]["migrations"]["core"].startswith("000")


def test_a_database_copy_that_cannot_be_loaded_changes_nothing(tmp_path, media_root, key_file):
    """Checksums right, content wrong (a dump from a broken disk, say): the restore stops
    before the live database is touched, even when forced."""
    create_signed_records()
    before = signed_state(media_root)
    archive = backup(tmp_path / "medservice.tar.gz")
    broken = tmp_path / "broken.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(broken, "w:gz") as target:
        manifest = json.load(_member(source, "manifest.json"))
        dump_name = manifest["database"]["file"]
        garbage = b"not a database " * 1000
        manifest["files"][dump_name] = {"size": len(garbage), "sha256": sha256(garbage)}
        for member in source.getmembers():
            data = _member(source, member).read()
            if member.name == dump_name:
                data = garbage
            elif member.name == "manifest.json":
                data = json.dumps(manifest).encode()
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))

    with pytest.raises(CommandError, match=r"cannot be restored|pg_restore failed"):
        restore(broken, force=True)
    assert signed_state(media_root) == before
    assert_every_signature_matches()
