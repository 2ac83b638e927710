"""Benchmarks (``make bench``): each builds its own PostgreSQL database once and measures
on it; docs/benchmarks.md records the figures. The setup they share is here."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def setup_django(database_url: str) -> None:
    """Point Django at the benchmark's database and start it."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medservice.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()


def ensure_database(database_url: str, *, rebuild: bool) -> None:
    """Create the benchmark's database when missing (dropped first with ``rebuild``)."""
    import psycopg
    from dj_database_url import parse

    config = parse(database_url)
    admin = psycopg.connect(
        host=config["HOST"], port=config["PORT"] or 5432, user=config["USER"],
        dbname="postgres", autocommit=True,
    )  # fmt: skip
    with admin:
        if rebuild:
            admin.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{config["NAME"]}"')
