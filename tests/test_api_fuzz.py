"""schemathesis against the served OpenAPI (issue 10 §6): the app served as ``make run``
serves it (`manage.py serve`: gunicorn and its worker) on a throwaway database loaded with
the demo, and a bounded run of generated requests, valid and invalid (absurd ids and dates,
NUL characters, huge texts), to every operation as the vendor's administrator. Not one may
answer a server error.

The database is the one the suite runs on: SQLite in a temporary directory, or a throwaway
PostgreSQL database when the suite runs on PostgreSQL (``TEST_DATABASE_URL``). Bounded:
``FUZZ_EXAMPLES`` cases per operation (10) and a fixed seed, so a run is repeatable: about
10,000 cases, most of them schemathesis's boundary cases, in two to three minutes on two
cores. A longer hunt is ``FUZZ_EXAMPLES=200 FUZZ_SEED=7 pytest tests/test_api_fuzz.py``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from .database_template import copy_sqlite_template, postgres_template
from .served import environment, manage, postgres_admin, postgres_server_url, served

pytestmark = pytest.mark.fuzz  # `make test` runs it once: on PostgreSQL when that run follows

EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "10")
SEED = os.environ.get("FUZZ_SEED", "20261207")


def _database_url(request, tmp_path: Path):
    """The throwaway database's URL, and how to drop it afterwards: a copy of the suite's
    migrated template where there is one (`migrate` then has nothing left to do)."""
    if not os.environ.get("TEST_DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        copy_sqlite_template(request, tmp_path / "fuzz.sqlite3")
        return f"sqlite:///{tmp_path / 'fuzz.sqlite3'}", lambda: None
    server = postgres_server_url()
    database = f"medservice_fuzz_{secrets.token_hex(4)}"
    with postgres_template(request) as template, postgres_admin(server) as admin:
        copied = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{database}"{copied}')

    def drop() -> None:
        with postgres_admin(server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    parts = urllib.parse.urlsplit(server)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}")), drop


def test_no_generated_request_gets_a_server_error(request, tmp_path):
    database_url, drop = _database_url(request, tmp_path)
    try:
        env = environment(tmp_path / "var", DATABASE_URL=database_url)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo", "--once")
        token = manage(env, "create_api_token", "admin").strip().splitlines()[-1]
        with served(env, "--web-workers", "2", "--huey-workers", "1") as app:
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "schemathesis.cli",
                    "run",
                    f"http://127.0.0.1:{app.port}/api/v1/openapi.json",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--checks",
                    "not_a_server_error",
                    "--max-examples",
                    EXAMPLES,
                    "--seed",
                    SEED,
                    "--phases",
                    "examples,coverage,fuzzing",
                    # One worker: hypothesis describes its strategies with ast.parse, which
                    # CPython 3.11 does not guard across threads ("AST constructor recursion
                    # depth mismatch", python/cpython#106905): two workers crashed the run
                    # without a single server error.
                    "--workers",
                    "1",
                    "--generation-database",
                    "none",
                    "--request-timeout",
                    "60",
                    "--no-color",
                ],
                # Its crash cache goes to the working directory: not the checkout's.
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=1200,
                check=False,
            )
            server_log = app.output()
    finally:
        drop()
    report = run.stdout[-8000:] + "\n--- server ---\n" + server_log
    assert run.returncode == 0, report
    generated = [line for line in run.stdout.splitlines() if " generated, " in line]
    assert generated and " passed" in generated[-1], report
