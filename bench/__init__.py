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


def percentiles(samples: list[float]) -> str:
    """``p50 … ms · p95 … ms · n=…`` of timings in seconds."""
    import statistics

    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    return (
        f"p50 {statistics.median(samples) * 1000:7.1f} ms · p95 {p95 * 1000:7.1f} ms · "
        f"n={len(samples)}"
    )


def measure_in_subprocess(module: str, *, runs: int, rebuild: bool) -> dict[str, str]:
    """Run ``python -m <module> --run``: its own Django set-up on its own database; the
    figures come back as the last line of its output (JSON)."""
    import json
    import subprocess

    out = subprocess.run(  # noqa: S603 - our own module, no user input
        [sys.executable, "-m", module, "--run", "--runs", str(runs),
         *(["--rebuild"] if rebuild else [])],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def command_line(doc: str, run, measure, *, runs: int, width: int = 48) -> None:
    """The ``python -m bench.<name>`` entry point of a benchmark with ``run(runs, rebuild)``
    (in its own process, ``--run``) and ``measure(runs=, rebuild=)``."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run(args.runs, args.rebuild), ensure_ascii=False))
        return
    for name, figure in measure(runs=args.runs, rebuild=args.rebuild).items():
        print(f"{name:{width}} {figure}", flush=True)
