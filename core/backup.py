"""One installation in one archive, and back: the database, the uploaded files (signed PDFs,
signature images, documents) and the secret key file. Domain-free: it knows tables and
files, not records (the test that restores signed records lives with the project's tests).

The archive is a tar.gz, readable only by its owner (it holds the secret key):

    database.sqlite3   SQLite: a consistent copy by the online backup API, taken while the
                       app runs (one read transaction: writers go on, the copy is one instant)
    database.pgdump    PostgreSQL: ``pg_dump --format=custom`` (one snapshot)
    media/...          MEDIA_ROOT, copied after the database, so every file a dumped row
                       names is already there
    secret_key         the key file, when the key comes from one; a ``SECRET_KEY`` given in
                       the environment is not written (keep the environment file safe)
    manifest.json      format, time, versions, database vendor and applied migrations, and
                       the size and SHA-256 of every other member

A restore verifies every checksum before it touches anything, refuses a database or a
MEDIA_ROOT that is not empty unless forced, and on PostgreSQL replaces the tables in one
transaction (``psql --single-transaction``): a restore that fails changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import django
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
MANIFEST = "manifest.json"
KEY_MEMBER = "secret_key"
MEDIA_PREFIX = "media/"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Why a backup or a restore was refused; nothing was changed."""


# --- small helpers ------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _secret_key_file() -> Path | None:
    value = getattr(settings, "SECRET_KEY_FILE", None)
    return Path(value) if value else None


def _vendor() -> str:
    if connection.vendor not in DUMP_NAMES:
        raise BackupError(f"backups of a {connection.vendor} database are not supported")
    return connection.vendor


def _postgres_environment() -> dict[str, str]:
    """libpq's variables for the pg_* tools, from the Django connection settings."""
    config = connection.settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", config.get("HOST")),
        ("PGPORT", config.get("PORT")),
        ("PGUSER", config.get("USER")),
        ("PGPASSWORD", config.get("PASSWORD")),
        ("PGDATABASE", config.get("NAME")),
        ("PGSSLMODE", config.get("OPTIONS", {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _tool(name: str) -> str:
    """The full path of a PostgreSQL client program."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _run(command: list[str], **kwargs: Any) -> None:
    # Our own arguments, no shell: nothing here comes from a user.
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def _applied_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        latest[app] = max(latest.get(app, name), name)
    return latest


def _server_version() -> str:
    if connection.vendor == "sqlite":
        return sqlite3.sqlite_version
    connection.ensure_connection()
    return str(getattr(connection, "pg_version", ""))


# --- the database -------------------------------------------------------------------------
def _dump_database(target: Path) -> None:
    if _vendor() == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)  # all pages in one step: one snapshot
        finally:
            copy.close()
    else:
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={target}",
            ],
            env=_postgres_environment(),
        )


def database_is_empty() -> bool:
    """No table at all: a database made for the restore (not even migrated)."""
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor, include_views=True)


def _restore_database(dump: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(dump)  # the unpacked copy: a temporary file of our own
        try:
            source.execute("PRAGMA quick_check").fetchall()  # a damaged copy stops here
            # Every page of the live database replaced under its write lock, in one step.
            source.backup(connection.connection)
        except sqlite3.Error as exc:
            raise BackupError(f"the database copy cannot be restored: {exc}") from exc
        finally:
            source.close()
        return
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        views = set(connection.introspection.table_names(cursor, include_views=True)) - set(tables)
        # Functions the migrations made (the search's ``search_bigrams``): the dump creates
        # them again. An extension's own functions stay with it.
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND NOT EXISTS ("
            "  SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        )
        functions = [row[0] for row in cursor.fetchall()]
    quote = connection.ops.quote_name
    drops = [f"DROP VIEW IF EXISTS {quote(name)} CASCADE;" for name in sorted(views)]
    drops += [f"DROP TABLE IF EXISTS {quote(name)} CASCADE;" for name in sorted(tables)]
    drops += [f"DROP FUNCTION IF EXISTS {signature} CASCADE;" for signature in sorted(functions)]
    connection.close()  # holds no lock while psql replaces the tables
    _replace_postgres_tables(dump, "\n".join(drops) + "\n")


def _replace_postgres_tables(dump: Path, preamble: str) -> None:
    """Drop what is there and load the dump in one transaction: all or nothing. The dump is
    turned into SQL first, so a damaged dump stops before psql begins."""
    env = _postgres_environment()
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    with tempfile.TemporaryDirectory(prefix="medservice-restore-") as work:
        script = Path(work) / "restore.sql"
        _run([pg_restore, "--no-owner", "--no-privileges", f"--file={script}", str(dump)], env=env)
        drops = Path(work) / "drop.sql"
        drops.write_text("SET client_min_messages = warning;\n" + preamble, encoding="utf-8")
        _run(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--output=/dev/null",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--file={drops}",
                f"--file={script}",
            ],
            env=env,
        )


# --- backup -------------------------------------------------------------------------------
class _Hashing(io.RawIOBase):
    """Reads a file for tarfile while hashing what it reads."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _add_file(archive: tarfile.TarFile, path: Path, name: str, files: dict[str, Any]) -> None:
    with path.open("rb") as handle:
        info = archive.gettarinfo(fileobj=handle, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _Hashing(handle)
        archive.addfile(info, reader)  # type: ignore[arg-type]  # a readable binary stream
    files[name] = {"size": info.size, "sha256": reader.digest.hexdigest()}


def _media_files() -> Iterator[tuple[Path, str]]:
    root = _media_root()
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, MEDIA_PREFIX + path.relative_to(root).as_posix()


def default_archive_name(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"medservice-{now:%Y%m%dT%H%M%SZ}.tar.gz"


def backup_create(*, output: Path) -> dict[str, Any]:
    """Write the archive to ``output`` (never half-written: a partial file is renamed when
    complete) and return its manifest."""
    vendor = _vendor()
    output = output.resolve()
    if output.is_relative_to(_media_root().resolve()):
        raise BackupError("the archive cannot be written inside MEDIA_ROOT")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    files: dict[str, Any] = {}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "versions": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "database_server": _server_version(),
        },
        "database": {
            "vendor": vendor,
            "file": DUMP_NAMES[vendor],
            "migrations": _applied_migrations(),
        },
        "secret_key": False,
        "files": files,
    }
    with tempfile.TemporaryDirectory(prefix="medservice-backup-") as work:
        dump = Path(work) / DUMP_NAMES[vendor]
        _dump_database(dump)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with (
                os.fdopen(descriptor, "wb") as raw,
                tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as archive,
            ):
                _add_file(archive, dump, DUMP_NAMES[vendor], files)
                for path, name in _media_files():
                    _add_file(archive, path, name, files)
                key_file = _secret_key_file()
                if key_file is not None and key_file.is_file():
                    _add_file(archive, key_file, KEY_MEMBER, files)
                    manifest["secret_key"] = True
                body = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = (
                    len(body),
                    0o600,
                    int(datetime.now(UTC).timestamp()),
                )
                archive.addfile(info, io.BytesIO(body))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    partial.replace(output)
    return manifest


# --- restore ------------------------------------------------------------------------------
@contextmanager
def unpacked(archive: Path, *, near: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The archive unpacked into a temporary directory beside ``near`` (so its media can be
    renamed into place) and verified: (directory, manifest). Removed afterwards."""
    near.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{near.name}-restore-", dir=near.parent))
    try:
        try:
            with tarfile.open(archive, mode="r:gz") as tar:
                tar.extractall(work, filter="data")  # no absolute paths, no escaping links
        except (OSError, tarfile.TarError) as exc:
            raise BackupError(f"{archive} is not a readable backup archive: {exc}") from exc
        yield work, _verified_manifest(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _verified_manifest(work: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((work / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"the archive has no readable {MANIFEST}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown archive format {manifest.get('format')!r}")
    listed = manifest["files"]
    present = {path.relative_to(work).as_posix() for path in work.rglob("*") if path.is_file()}
    present.discard(MANIFEST)
    problems = [f"{name}: missing" for name in sorted(set(listed) - present)]
    problems += [f"{name}: not in the manifest" for name in sorted(present - set(listed))]
    for name in sorted(set(listed) & present):
        path = work / name
        if path.stat().st_size != listed[name]["size"] or _sha256(path) != listed[name]["sha256"]:
            problems.append(f"{name}: checksum mismatch")
    if manifest["database"]["file"] not in listed:
        problems.append(f"{manifest['database']['file']}: missing")
    if problems:
        raise BackupError("the archive is damaged: " + "; ".join(problems[:20]))
    return manifest


def _media_is_empty(root: Path) -> bool:
    return not root.exists() or not any(path.is_file() for path in root.rglob("*"))


def _put_media_in_place(unpacked_media: Path, root: Path) -> Path | None:
    """Rename the unpacked media to MEDIA_ROOT; files already there are moved aside (never
    deleted) to ``<MEDIA_ROOT>.replaced-<time>``, which is returned."""
    aside = None
    if root.exists():
        if _media_is_empty(root):
            shutil.rmtree(root)
        else:
            aside = root.with_name(f"{root.name}.replaced-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
            root.rename(aside)
    if unpacked_media.is_dir():
        unpacked_media.rename(root)
    else:
        root.mkdir(parents=True)
    return aside


def _write_secret_key(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(source.read_bytes())
    partial.replace(target)


def pending_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def backup_verify(*, archive: Path) -> dict[str, Any]:
    """Unpack and check every checksum; the manifest when all is well."""
    with (
        tempfile.TemporaryDirectory(prefix="medservice-verify-") as work,
        unpacked(archive, near=Path(work) / "media") as (_, manifest),
    ):
        return manifest


def backup_restore(*, archive: Path, force: bool = False) -> dict[str, Any]:
    """Restore the database, MEDIA_ROOT and the secret key file from ``archive``. Stop the
    web and the workers first. Returns the manifest with what was done under ``restored``."""
    media_root = _media_root()
    vendor = _vendor()
    with unpacked(archive, near=media_root) as (work, manifest):
        if manifest["database"]["vendor"] != vendor:
            raise BackupError(
                f"the archive holds a {manifest['database']['vendor']} database; this "
                f"installation uses {vendor}"
            )
        refusals = []
        if not force and not database_is_empty():
            refusals.append("the database is not empty")
        if not force and not _media_is_empty(media_root):
            refusals.append(f"MEDIA_ROOT ({media_root}) is not empty")
        if refusals:
            raise BackupError(" and ".join(refusals) + ": restore with --force to replace them")

        _restore_database(work / manifest["database"]["file"])
        aside = _put_media_in_place(work / MEDIA_PREFIX.rstrip("/"), media_root)
        key_file = _secret_key_file()
        key_written = manifest["secret_key"] and key_file is not None
        if key_written:
            assert key_file is not None
            _write_secret_key(work / KEY_MEMBER, key_file)
    manifest["restored"] = {
        "media_files": sum(1 for name in manifest["files"] if name.startswith(MEDIA_PREFIX)),
        "media_moved_aside": str(aside) if aside else None,
        "secret_key_written": str(key_file) if key_written else None,
        "pending_migrations": pending_migrations(),
    }
    return manifest
