"""`make bench`, duty roster (issue 13): gap detection for 20 regions × 60 days.

    python -m bench.duty [--regions N] [--runs N] [--rebuild]   (python -m bench --only duty)

Builds (once; `--rebuild` to start over) a database `medservice_bench_duty`
(``BENCH_DUTY_DATABASE_URL``) with N service regions (default 20), one hospital each, and per
region a weekly day/night rotation (three engineers on 12-hour day and night shifts, one
manager on 24-hour shifts) generated through ``duty.services.rotation_generate`` from 60 days
back to 62 days ahead (the window the gap check reads: 60 days of look-back, 60 ahead).
Every region then gets one gap: its manager's shift on a day between 1 and 59 days ahead is
cut to 12 hours (a night without a manager). Then it reports p50/p95 of:
- ``duty.selectors.roster_gaps()``: every region, one query, the pure ``duty.gaps``;
- the pure part alone (``duty.gaps.region_gaps`` over intervals already in memory);
- one tick of the daily check ``duty.services.duty_gaps_alert()`` once every gap has been
  told (what it costs on every day after the first);
and the time to generate the roster (once, at build).

Runs in a ``python -m bench.duty --run`` subprocess (its own Django set-up on its own
database), as ``bench/stock.py`` does. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import ensure_database, setup_django

BENCH_URL = os.environ.get(
    "BENCH_DUTY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medservice_bench_duty"
)
REGIONS = 20


def _built(regions: int) -> bool:
    from duty.models import Rotation

    try:
        return Rotation.objects.count() >= regions
    except Exception:
        return False


def build(regions: int) -> float:
    from datetime import time as clock
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.models import User
    from customers.models import Hospital, ServiceRegion
    from duty.models import Rotation, RotationMember, RotationSlot, Shift
    from duty.services import duty_gaps_alert, rotation_generate

    today = timezone.localdate()
    seconds = 0.0
    for n in range(regions):
        region = ServiceRegion.objects.create(name=f"Bench region {n}", code=f"bench-{n}")
        Hospital.objects.create(name=f"Bench hospital {n}", region=region)
        rotation = Rotation.objects.create(
            region=region, name="24/7", starts_on=today - timedelta(days=60), period=7
        )
        slots = (
            ("engineer", clock(8), 12, 0),
            ("engineer", clock(20), 12, 1),
            ("manager", clock(8), 24, 0),
        )
        for role, start, hours, offset in slots:
            RotationSlot.objects.create(
                rotation=rotation,
                role=role,
                start_time=start,
                duration=timedelta(hours=hours),
                offset=offset,
            )
        for position in range(3):
            engineer = User.objects.create_user(
                f"bench-e{n}-{position}", password="x", vendor_role="engineer"
            )
            RotationMember.objects.create(
                rotation=rotation, role="engineer", user=engineer, position=position
            )
        manager = User.objects.create_user(f"bench-m{n}", password="x", vendor_role="manager")
        RotationMember.objects.create(rotation=rotation, role="manager", user=manager, position=0)
        t0 = time.perf_counter()
        rotation_generate(rotation=rotation, days=122, today=today - timedelta(days=60))
        seconds += time.perf_counter() - t0
        gap_day = timezone.now() + timedelta(days=1 + (n * 7) % 58)
        shift = (
            Shift.objects.filter(region=region, role="manager", starts_at__gt=gap_day)
            .order_by("starts_at")
            .first()
        )
        if shift is not None:
            Shift.objects.filter(pk=shift.pk).update(ends_at=shift.starts_at + timedelta(hours=12))
    duty_gaps_alert()  # the first day's alerts; the measured ticks find nothing new
    return seconds


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms · p95 {p95 * 1000:.1f} ms"


def run(*, regions: int, runs: int, rebuild: bool) -> dict:
    ensure_database(BENCH_URL, rebuild=rebuild)
    setup_django(BENCH_URL)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    generation = None
    if not _built(regions):
        connection.close()
        ensure_database(BENCH_URL, rebuild=True)
        connection.close()
        generation = build(regions)
    from collections import defaultdict

    from django.utils import timezone

    from duty.gaps import region_gaps
    from duty.models import Shift
    from duty.selectors import HORIZON, LOOKBACK, ROLES, roster_gaps
    from duty.services import duty_gaps_alert

    roster_gaps()  # warm
    timings: dict[str, list[float]] = {"roster_gaps": [], "pure": [], "alert_tick": []}
    found = {}
    for _ in range(runs):
        t0 = time.perf_counter()
        found = roster_gaps()
        timings["roster_gaps"].append(time.perf_counter() - t0)
    now = timezone.now()
    window = (now - LOOKBACK, now + HORIZON)
    intervals: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for region_id, role, start, end in Shift.objects.values_list(
        "region_id", "role", "starts_at", "ends_at"
    ):
        intervals[region_id][role].append((start, end))
    for _ in range(runs):
        t0 = time.perf_counter()
        for region_id, shifts in intervals.items():
            region_gaps(region_id=region_id, window=window, shifts=shifts, roles=ROLES)
        timings["pure"].append(time.perf_counter() - t0)
    for _ in range(max(1, runs // 10)):
        t0 = time.perf_counter()
        duty_gaps_alert()
        timings["alert_tick"].append(time.perf_counter() - t0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "regions": len(found),
        "shifts": Shift.objects.count(),
        "gaps": sum(len(g) for g in found.values()),
        "server": server,
        "generation": generation,
        "timings": {name: _percentiles(values) for name, values in timings.items()},
    }


def measure(*, regions: int = REGIONS, runs: int = 50, rebuild: bool = False) -> dict[str, str]:
    """Run the benchmark in a subprocess (its own Django, its own database)."""
    args = ["--run", "--regions", str(regions), "--runs", str(runs)]
    completed = subprocess.run(  # noqa: S603 - our own module, no user input
        [sys.executable, "-m", "bench.duty", *args, *(["--rebuild"] if rebuild else [])],
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    figures = {
        "data": (
            f"{data['regions']} regions, {data['shifts']:,} shifts (60 days back, 62 ahead), "
            f"{data['gaps']} gaps · PostgreSQL {data['server']}"
        ),
        "roster_gaps() (all regions, 60 days)": data["timings"]["roster_gaps"],
        "  pure gaps.region_gaps alone": data["timings"]["pure"],
        "duty_gaps_alert() tick, nothing new": data["timings"]["alert_tick"],
    }
    if data["generation"] is not None:
        figures["rotation_generate, all regions, 122 days"] = f"{data['generation']:.2f} s"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=REGIONS)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run(regions=args.regions, runs=args.runs, rebuild=args.rebuild)))
        return
    for name, figure in measure(regions=args.regions, runs=args.runs, rebuild=args.rebuild).items():
        print(f"{name:48} {figure}", flush=True)


if __name__ == "__main__":
    main()
