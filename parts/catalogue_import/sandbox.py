"""Reading an uploaded workbook in a child process with CPU-time and memory limits
(issue 10 §7).

huey runs tasks in threads of one consumer process, so ``resource.setrlimit`` there would
limit every task. ``read_sandboxed`` therefore starts ``python -m parts.catalogue_import.sandbox``,
which sets ``RLIMIT_CPU`` and ``RLIMIT_AS`` on itself before it reads anything, checks the
file (``parts.catalogue_import.guard``), reads the first worksheet with openpyxl (read-only, values
only, never past the row and column caps) and writes the non-blank rows as JSON to its
standard output. A child that a limit stops (killed by SIGXCPU/SIGKILL, out of memory, or
still running after twice its CPU time) becomes the refusal ``too_complex``, never a crash
of the worker.

Standard library and openpyxl only, no Django: the child starts in a fraction of a second
and knows nothing of the database. Rows go back as JSON (not pickle): a value openpyxl gives
that JSON lacks (a date) is sent as ``str(value)``, which is what the import makes of it.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from parts.catalogue_import.guard import Limits, WorkbookRefused, check_workbook

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXIT_OUT_OF_MEMORY = 3
Row = tuple[int, list[Any]]


def blank(value: Any) -> bool:
    """An empty cell: None or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


# --- the child ----------------------------------------------------------------------------
def _limit_resources(cpu_seconds: int, memory_bytes: int) -> None:
    import resource

    # SIGXCPU at the soft limit ends the process; SIGKILL one second later if it is caught.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed child leaves no core file


def read_sheet(path: Path, limits: Limits) -> list[Row]:
    """(sheet row number, cells without trailing blanks) of every non-blank row of the first
    worksheet, header included; at most ``limits.max_rows`` rows after the header."""
    sheet_part = check_workbook(path, limits)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except MemoryError:
        raise  # the memory limit, not a broken file
    except Exception as exc:  # openpyxl raises many kinds of error on a broken file
        raise WorkbookRefused("unreadable") from exc
    rows: list[Row] = []
    try:
        if not workbook.worksheets:
            raise WorkbookRefused("unreadable")
        sheet = workbook.worksheets[0]
        if getattr(sheet, "_worksheet_path", sheet_part) != sheet_part:
            raise WorkbookRefused("unreadable")  # not the sheet the guard checked
        cells_by_row = sheet.iter_rows(
            max_row=limits.max_sheet_rows, max_col=limits.max_sheet_columns, values_only=True
        )
        for number, cells in enumerate(cells_by_row, start=1):
            if all(blank(cell) for cell in cells):
                continue
            if len(rows) > limits.max_rows:  # the header and max_rows rows are taken
                raise WorkbookRefused("too_many_rows", max=limits.max_rows)
            values = list(cells)
            while values and blank(values[-1]):
                values.pop()
            rows.append((number, values))
    except (WorkbookRefused, MemoryError):
        raise
    except Exception as exc:
        raise WorkbookRefused("unreadable") from exc
    finally:
        workbook.close()
    return rows


def main() -> int:
    order = json.load(sys.stdin)
    _limit_resources(int(order["cpu_seconds"]), int(order["memory_bytes"]))
    try:
        rows = read_sheet(Path(order["path"]), Limits(**order["limits"]))
        answer: dict[str, Any] = {"rows": rows}
    except WorkbookRefused as exc:
        answer = {"refused": exc.code, "params": exc.params}
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)  # nothing more can be allocated: not even the answer
    try:
        sys.stdout.write(json.dumps(answer, ensure_ascii=False, default=str))
        sys.stdout.flush()
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)
    return 0


# --- the parent ---------------------------------------------------------------------------
def read_sandboxed(path: Path, limits: Limits, *, cpu_seconds: int, memory_bytes: int) -> list[Row]:
    """``read_sheet`` in a child process limited to ``cpu_seconds`` of CPU and
    ``memory_bytes`` of address space. Raises ``WorkbookRefused``; ``too_complex`` when a
    limit stopped the child."""
    order = {
        "path": str(Path(path).resolve()),
        "limits": limits.as_dict(),
        "cpu_seconds": cpu_seconds,
        "memory_bytes": memory_bytes,
    }
    try:
        # Our own module with a fixed command line; the order goes through standard input.
        child = subprocess.run(
            [sys.executable, "-m", "parts.catalogue_import.sandbox"],
            input=json.dumps(order).encode(),
            capture_output=True,
            cwd=PROJECT_ROOT,
            timeout=2 * cpu_seconds + 10,  # CPU time is the limit; this catches a sleeper
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        logger.warning("workbook reader still running after %ss: killed", exc.timeout)
        raise WorkbookRefused("too_complex") from exc
    # SIGXCPU or SIGKILL is the CPU limit; any other signal is a crash under the memory limit.
    if child.returncode < 0 or child.returncode == EXIT_OUT_OF_MEMORY:
        logger.warning("workbook reader stopped by a limit (exit %s)", child.returncode)
        raise WorkbookRefused("too_complex")
    try:
        answer = json.loads(child.stdout) if child.returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        logger.error(
            "workbook reader failed (exit %s): %s",
            child.returncode,
            child.stderr.decode(errors="replace")[-2000:],
        )
        raise WorkbookRefused("unreadable")
    if "refused" in answer:
        raise WorkbookRefused(str(answer["refused"]), **(answer.get("params") or {}))
    return [(int(number), list(cells)) for number, cells in answer["rows"]]


if __name__ == "__main__":
    sys.exit(main())
