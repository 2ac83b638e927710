"""`make bench`, the spare-parts catalogue import (issue 5 §5): check and confirm of a
5,000-row and a 20,000-row workbook, on SQLite and on PostgreSQL.

    python -m bench.catalogue_import [--sizes 5000,20000] [--only sqlite|postgresql]
    (python -m bench --only catalogue)

For each database and size, on an empty catalogue with 50 product models:
- "check": read the workbook and ``validate_rows`` (what the worker does after upload);
- "confirm, first import": the check again and ``import_rows`` (what the worker does on
  confirm): every row a new part with one or two model links;
- "confirm, second import": the same parts with other prices, keywords and models:
  every row an update whose links are replaced.
"write" is ``import_rows`` alone: how long the transaction holds the write lock.
Progress is written to a JSON file after each batch, as the worker does.

SQLite runs on a temporary file database with the project's pragmas (WAL); PostgreSQL on
``medservice_bench_catalogue`` (``BENCH_CATALOGUE_DATABASE_URL``), dropped and created
afresh. Each database runs in a ``python -m bench.catalogue_import --run`` subprocess
(its own Django set-up). Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import ensure_database, setup_django

BENCH_URL = os.environ.get(
    "BENCH_CATALOGUE_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/medservice_bench_catalogue",
)
SIZES = (5_000, 20_000)
MODELS = 50
HEADER = [
    "Part number", "Name (zh)", "Name (en)", "Product models", "Main component", "Unit",
    "Cost price", "List price", "Currency", "Symptom keywords",
]  # fmt: skip


def workbook(path: Path, size: int, *, second: bool) -> None:
    """``size`` rows; ``second`` changes every row's prices, keywords and models."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    shift = 7 if second else 0
    for n in range(size):
        models = f"BM-{(n + shift) % MODELS:02d}"
        if n % 3 == 0:
            models += f", Bench BM-{(n + shift + 1) % MODELS:02d}"
        sheet.append(
            [
                f"BI-{n:06d}", f"备件 {n}", f"Bench part {n}", models, "否", "pcs",
                10 + n % 500 + shift, 15 + n % 700 + shift, "CNY",
                "no display, 黑屏" if second else "no power",
            ]
        )  # fmt: skip
    book.save(path)


def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def run(database_url: str, sizes: list[int]) -> dict:
    """Migrate, then measure every size, in this process."""
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection

    from assets.models import ProductModel
    from parts.catalogue_import.services import validate_rows
    from parts.catalogue_import.workbook import read_rows
    from parts.catalogue_import.write import import_rows
    from parts.models import SparePart

    call_command("migrate", verbosity=0)
    ProductModel.objects.bulk_create(
        ProductModel(manufacturer="Bench", name=f"BM-{m:02d}") for m in range(MODELS)
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    state = folder / "progress.json"
    batches = []

    def progress(done: int, total: int) -> None:  # as import_jobs.state_write does
        batches.append(done)
        temporary = state.with_suffix(".tmp")
        temporary.write_text(json.dumps({"done": done, "total": total}))
        os.replace(temporary, state)

    def check(path: Path):
        return validate_rows(read_rows(path), progress=progress)

    results: dict = {"server": f"{connection.vendor} {_version(connection)}", "sizes": {}}
    for size in sizes:
        SparePart.objects.all().delete()
        figures: dict = {}
        for step in ("first", "second"):
            path = folder / f"{size}-{step}.xlsx"
            workbook(path, size, second=step == "second")
            _rows, checked = _timed(lambda path=path: check(path))
            rows, again = _timed(lambda path=path: check(path))
            assert all(r.ok for r in rows), [r.as_report() for r in rows if not r.ok][:3]
            batches.clear()
            outcome, written = _timed(lambda rows=rows: import_rows(rows, progress=progress))
            expected = (size, 0) if step == "first" else (0, size)
            assert (outcome.created, outcome.updated) == expected, outcome
            figures[step] = {
                "check": checked,
                "confirm": again + written,
                "write": written,
                "batches": len(batches),
                "file_kb": path.stat().st_size // 1024,
            }
        results["sizes"][str(size)] = figures
    return results


def _version(connection) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def _subprocess(database: str, sizes: list[int]) -> dict:
    args = ["--run", database, "--sizes", ",".join(map(str, sizes))]
    completed = subprocess.run(  # noqa: S603 - our own module, no user input
        [sys.executable, "-m", "bench.catalogue_import", *args],
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(*, sizes: list[int], only: str | None = None) -> dict[str, str]:
    """Each database in a subprocess; figures by name, as the other benchmarks print."""
    figures: dict[str, str] = {}
    for database in ("sqlite", "postgresql"):
        if only and only != database:
            continue
        data = _subprocess(database, sizes)
        figures[f"{database}: server"] = data["server"]
        for size, steps in data["sizes"].items():
            for step, f in steps.items():
                label = "inserts" if step == "first" else "updates"
                figures[f"{database}: {int(size):,} rows, {label}"] = (
                    f"check {f['check']:5.1f} s · confirm {f['confirm']:5.1f} s "
                    f"(write {f['write']:5.2f} s, {f['batches']} progress updates) · "
                    f"{f['file_kb']:,} KB"
                )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--run", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.run == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as folder:
            print(json.dumps(run(f"sqlite:///{folder}/bench.sqlite3", sizes)))
        return
    if args.run == "postgresql":
        ensure_database(BENCH_URL, rebuild=True)
        print(json.dumps(run(BENCH_URL, sizes)))
        return
    print(f"{os.cpu_count()} cores", flush=True)
    for name, figure in measure(sizes=sizes, only=args.only).items():
        print(f"{name:40} {figure}", flush=True)


if __name__ == "__main__":
    main()
