"""The suite's test databases are copies of one migrated template (tests/database_template.py):
a copy is the fully migrated schema with the data migrations' rows, and a changed or added
migration builds a new template instead of reusing a stale one."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from . import database_template


@pytest.mark.django_db
def test_the_worker_database_has_every_migration_applied_and_the_seeded_rows():
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    applied = executor.loader.applied_migrations
    assert ("service", "0002_default_policies") in applied
    assert ("auth", "0001_initial") in applied


# Rows the data migrations load: the SLA policies and the charge rules.
SEEDED_ROWS = (
    "SELECT (SELECT count(*) FROM service_slapolicy), (SELECT count(*) FROM contracts_chargerule)"
)


@pytest.mark.django_db
def test_the_template_holds_the_rows_of_the_data_migrations():
    """Read from the template itself: conftest would put the rows back into a worker's copy."""
    template = database_template._in_use.get("default")
    if template is None:
        pytest.skip("the databases were not copied from a template (--reuse-db, --nomigrations)")
    if connection.vendor == "sqlite":
        with closing(sqlite3.connect(f"file:{template.display_name}?mode=ro", uri=True)) as db:
            counts = db.execute(SEEDED_ROWS).fetchone()
    else:
        settings = connection.settings_dict
        with (
            database_template._locked(template.lock_name),
            psycopg.connect(
                host=settings["HOST"] or None,
                port=settings["PORT"] or None,
                user=settings["USER"] or None,
                password=settings["PASSWORD"] or None,
                dbname=template.display_name,
            ) as db,
        ):
            counts = db.execute(SEEDED_ROWS).fetchone()
    assert counts is not None and min(counts) > 0, counts


def test_the_key_covers_the_migrations_of_every_app_ours_and_the_packages():
    directories = dict(database_template.migration_directories())
    for label in ("service", "parts", "accounts", "auth", "contenttypes"):
        assert (directories[label] / "0001_initial.py").is_file(), label


@pytest.fixture
def migrations(tmp_path, monkeypatch) -> Path:
    """One app's migrations, copied where the test can change them."""
    directory = tmp_path / "migrations"
    shutil.copytree(Path(__file__).parent.parent / "service" / "migrations", directory)
    monkeypatch.setattr(
        database_template, "migration_directories", lambda: [("service", directory)]
    )
    return directory


def test_a_changed_or_added_migration_changes_the_key(migrations):
    key = database_template.migrations_key("sqlite")
    assert database_template.migrations_key("sqlite") == key  # a stable name

    initial = migrations / "0001_initial.py"
    original = initial.read_text()
    initial.write_text(original + "\n# a changed field\n")
    changed = database_template.migrations_key("sqlite")
    assert changed != key

    initial.write_text(original)
    assert database_template.migrations_key("sqlite") == key
    (migrations / "0999_more.py").write_text("# a new migration\n")
    assert database_template.migrations_key("sqlite") not in {key, changed}


def test_each_database_and_each_fresh_run_has_its_own_template(migrations):
    key = database_template.migrations_key("sqlite")
    assert database_template.migrations_key("postgresql") != key
    assert database_template.migrations_key("sqlite", salt="run-1") != key
