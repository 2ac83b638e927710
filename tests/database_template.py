"""The suite's test databases: migrated once, copied for every pytest-xdist worker.

pytest-django has each worker create its test database and replay every migration, about
20 s of CPU per worker and per database run. Here the first worker to get there migrates a
*template* under a file lock, and every worker copies it: PostgreSQL with
``CREATE DATABASE … TEMPLATE``, SQLite with the online-backup API into the worker's usual
in-memory database. The copy is the migrated schema with the data migrations' rows and
what ``post_migrate`` writes (content types, permissions), byte for byte what a worker's own
``migrate`` would have left.

The template outlives the run, named by a hash of every installed app's migration files,
of the installed packages' versions and of this module, so adding or changing a migration
(or upgrading a package) builds a new one, and the stale ones of the checkout are removed:
SQLite templates are files under ``var/test-templates/`` (``make clean`` removes them),
PostgreSQL ones databases named ``test_<name>_tpl_<hash>``. ``makemigrations --check``
(``make lint``) still keeps the models and the migrations in step, as before: the template
is built from the migrations, never from the models.

pytest-django's options keep their meaning: ``--create-db`` builds a fresh template for the
run, ``--nomigrations`` and ``--reuse-db`` fall back to pytest-django's own way.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

# Bumped when the way a template is built changes (the hash covers this module too).
FORMAT = "1"


def setup_databases_from_template(
    aliases: set[str], serialized_aliases: set[str], *, verbosity: int, fresh_for_run: str = ""
) -> list[tuple[Any, str, bool]]:
    """Give each alias its test database, copied from the migrated template; the list that
    ``django.test.utils.teardown_databases`` takes to destroy them again. ``fresh_for_run``
    (the run's id, under ``--create-db``) makes the run build and use a template of its own,
    which the next ordinary run then replaces."""
    from django.db import connections

    old_config = []
    for alias in sorted(aliases):
        connection: Any = connections[alias]
        old_name = connection.settings_dict["NAME"]
        key = migrations_key(connection.vendor, fresh_for_run)
        template = _template_for(connection, key, verbosity=verbosity)
        with _locked(template.lock_name):
            template.ensure_built()
            template.copy_to_worker_database()
        _in_use[alias] = template
        if alias in serialized_aliases:
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
        old_config.append((connection, old_name, True))
    return old_config


# The templates this process's test databases were copied from, by alias.
_in_use: dict[str, _Template] = {}


def end_stray_sessions(db_cfg: list[tuple[Any, str, bool]]) -> None:
    """Before the test databases are dropped: end the PostgreSQL sessions still connected to
    them (a thread or a killed child process of a test that left its connection behind), so
    that ``DROP DATABASE`` does not fail the whole run at its very end. The tests' results
    are already in; what is ended here is a leftover, never a test in progress."""
    import time

    for connection, _old_name, destroy in db_cfg:
        if not destroy or connection.vendor != "postgresql":
            continue
        name = connection.settings_dict["NAME"]
        with connection._nodb_cursor() as cursor:
            for _attempt in range(50):
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [name],
                )
                if not cursor.fetchall():
                    break
                time.sleep(0.1)


def copy_sqlite_template(request: Any, target: Path) -> bool:
    """Put a migrated embedded database at TARGET for a process the test starts (the served
    layout), as ``manage.py migrate`` would leave it; False when there is no template to
    copy (a PostgreSQL run before any SQLite run), and the caller migrates."""
    from django.db import connections

    if connections["default"].vendor == "sqlite":
        request.getfixturevalue("django_db_setup")
    key = migrations_key("sqlite")
    with _locked(f"sqlite-{key}"):
        template = template_directory() / f"template-{key}.sqlite3"
        if not template.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
    return True


@contextmanager
def postgres_template(request: Any) -> Iterator[str | None]:
    """The suite's migrated PostgreSQL template, held while the caller copies it with
    ``CREATE DATABASE … TEMPLATE`` (which needs nobody else connected to it); None when the
    suite does not run on PostgreSQL, and the caller migrates."""
    from django.db import connections

    if connections["default"].vendor != "postgresql":
        yield None
        return
    request.getfixturevalue("django_db_setup")
    template = _in_use.get("default")
    if template is None:  # --nomigrations, --reuse-db
        yield None
        return
    with _locked(template.lock_name):
        yield template.display_name


def template_supported(aliases: set[str]) -> bool:
    """Templates for the plain case only: one SQLite or PostgreSQL database per alias, migrated
    (no test mirrors, no ``TEST: {"MIGRATE": False}``)."""
    from django.db import connections

    for alias in aliases:
        settings_dict = connections[alias].settings_dict
        if settings_dict["TEST"].get("MIRROR") or settings_dict["TEST"].get("MIGRATE") is False:
            return False
        if connections[alias].vendor not in {"sqlite", "postgresql"}:
            return False
    return True


def migrations_key(vendor: str, salt: str = "") -> str:
    """A hash of what the migrated schema depends on: every installed app's migration files
    (ours and the packages'), the installed packages' versions (their ``post_migrate``
    receivers write rows too), the database vendor and this module."""
    digest = hashlib.sha256(f"{FORMAT}|{vendor}|{salt}|".encode())
    digest.update(Path(__file__).read_bytes())
    packages = sorted(
        f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()
    )
    digest.update("|".join(packages).encode())
    for label, directory in migration_directories():
        for path in sorted(directory.rglob("*.py")):
            digest.update(f"\0{label}/{path.relative_to(directory)}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def migration_directories() -> list[tuple[str, Path]]:
    """(app label, directory) of every installed app's migrations, as ``migrate`` finds them
    (``MIGRATION_MODULES`` included)."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    found = []
    for app_config in sorted(apps.get_app_configs(), key=lambda config: config.label):
        module_name, _explicit = MigrationLoader.migrations_module(app_config.label)
        spec = importlib.util.find_spec(module_name) if module_name else None
        if spec is not None and spec.submodule_search_locations:
            found += [(app_config.label, Path(d)) for d in spec.submodule_search_locations]
    return found


def template_directory() -> Path:
    """The checkout's own: other checkouts (other migrations) keep theirs."""
    from django.conf import settings

    return Path(settings.VAR_DIR) / "test-templates"


@contextmanager
def _locked(name: str, *, blocking: bool = True) -> Iterator[bool]:
    """An exclusive lock between the processes of the run (the xdist workers); yields
    whether it was taken."""
    directory = template_directory()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{name}.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _template_for(connection: Any, key: str, *, verbosity: int) -> _Template:
    if connection.vendor == "postgresql":
        return _PostgresTemplate(connection, key, verbosity=verbosity)
    return _SqliteTemplate(connection, key, verbosity=verbosity)


class _Template:
    lock_name: str
    display_name: str

    def __init__(self, connection: Any, key: str, *, verbosity: int) -> None:
        self.connection = connection
        self.key = key
        self.verbosity = verbosity

    def ensure_built(self) -> None:
        if not self.exists():
            self.log(f"Migrating the test database template {self.display_name}...")
            self.build()
        self.remove_stale()

    def log(self, message: str) -> None:
        if self.verbosity >= 1:
            self.connection.creation.log(message)

    def migrate_into(self, name: str) -> None:
        """Django's own test-database creation (create, migrate with ``run_syncdb``, the cache
        tables), aimed at NAME; the connection's settings are put back afterwards."""
        from django.conf import settings

        settings_dict = self.connection.settings_dict
        original_name, original_test_name = settings_dict["NAME"], settings_dict["TEST"]["NAME"]
        settings_dict["TEST"]["NAME"] = name
        try:
            self.connection.creation.create_test_db(
                verbosity=max(self.verbosity - 1, 0), autoclobber=True, serialize=False
            )
        finally:
            self.connection.close()
            settings_dict["TEST"]["NAME"] = original_test_name
            settings_dict["NAME"] = original_name
            settings.DATABASES[self.connection.alias]["NAME"] = original_name

    def point_at(self, name: str) -> None:
        """Aim the connection at the worker's test database, as ``create_test_db`` does."""
        from django.conf import settings

        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name

    def exists(self) -> bool:
        raise NotImplementedError

    def build(self) -> None:
        raise NotImplementedError

    def remove_stale(self) -> None:
        raise NotImplementedError

    def copy_to_worker_database(self) -> None:
        raise NotImplementedError


class _SqliteTemplate(_Template):
    """A file: the online-backup API copies it into the worker's in-memory database."""

    def __init__(self, connection: Any, key: str, *, verbosity: int) -> None:
        super().__init__(connection, key, verbosity=verbosity)
        self.lock_name = f"sqlite-{key}"
        self.path = template_directory() / f"template-{key}.sqlite3"
        self.display_name = str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def build(self) -> None:
        building = self.path.with_suffix(".building")
        for leftover in (building, *self._sidecars(building)):
            leftover.unlink(missing_ok=True)
        self.migrate_into(str(building))
        # One self-contained file: the settings open it in WAL mode.
        with closing(sqlite3.connect(building)) as database:
            database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            database.execute("PRAGMA journal_mode=DELETE")
        os.replace(building, self.path)

    @staticmethod
    def _sidecars(path: Path) -> tuple[Path, Path]:
        return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")

    def remove_stale(self) -> None:
        for other in self.path.parent.glob("template-*.sqlite3"):
            key = other.name.removeprefix("template-").removesuffix(".sqlite3")
            if key == self.key:
                continue
            # Another run of this checkout may be copying it right now: only under its lock.
            with _locked(f"sqlite-{key}", blocking=False) as taken:
                if taken:
                    other.unlink(missing_ok=True)

    def copy_to_worker_database(self) -> None:
        creation = self.connection.creation
        name = creation._get_test_db_name()
        if creation.is_in_memory_db(name):
            self.point_at(name)
            self.connection.ensure_connection()
            with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as source:
                source.backup(self.connection.connection)
        else:
            creation._create_test_db(self.verbosity, autoclobber=True)
            shutil.copyfile(self.path, name)
            self.point_at(name)


class _PostgresTemplate(_Template):
    """A database on the server, next to the workers' test databases."""

    def __init__(self, connection: Any, key: str, *, verbosity: int) -> None:
        super().__init__(connection, key, verbosity=verbosity)
        # PostgreSQL names stop at 63 bytes: keep the key whole, shorten the stem.
        self.stem = f"test_{connection.settings_dict['NAME']}"[:40] + "_tpl_"
        self.name = self.stem + key
        self.lock_name = "postgresql-" + hashlib.sha256(self.name.encode()).hexdigest()[:16]
        self.display_name = self.name

    def _execute(self, sql: str, params: list[str] | None = None) -> list[tuple[Any, ...]]:
        with self.connection.creation._nodb_cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def _quote(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def exists(self) -> bool:
        return bool(self._execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]))

    def build(self) -> None:
        building = self.stem + "new_" + self.key
        self.migrate_into(building)
        self.connection.close_pool()
        # Renamed once whole: an interrupted build never leaves a half-migrated template.
        self._execute(f"DROP DATABASE IF EXISTS {self._quote(self.name)}")
        self._execute(f"ALTER DATABASE {self._quote(building)} RENAME TO {self._quote(self.name)}")

    def remove_stale(self) -> None:
        from django.db import DatabaseError

        rows = self._execute("SELECT datname FROM pg_database")
        for (name,) in rows:
            if name.startswith(self.stem) and name != self.name:
                # In use by another run of this checkout: the next run drops it.
                with suppress(DatabaseError):
                    self._execute(f"DROP DATABASE IF EXISTS {self._quote(name)}")

    def copy_to_worker_database(self) -> None:
        name = self.connection.creation._get_test_db_name()
        self.connection.close()
        self.connection.close_pool()
        self._execute(f"DROP DATABASE IF EXISTS {self._quote(name)}")
        self._execute(f"CREATE DATABASE {self._quote(name)} WITH TEMPLATE {self._quote(self.name)}")
        self.point_at(name)
        self.connection.ensure_connection()
