"""`make bench`, planned maintenance (issue 4 §7): generating a 90-day horizon of visits.

    python -m bench.maintenance [--devices N] [--rebuild]   (python -m bench --only maintenance)

Builds (once per size; `--rebuild` to start over) a database `medservice_bench_maintenance`
with N devices (default 100,000, or ``BENCH_DEVICES``) and the three default plan templates
of migration maintenance/0002, then reports:
- the first ``visits_generate(horizon_days=90)`` on an empty visit table: wall time, the
  visits, obligations and engineer assignments it created, the queries it ran, the CPU
  seconds of the process and of its PostgreSQL backend (wall time alone misleads on a shared
  machine), and the peak resident memory of the process (``ru_maxrss``);
- the second, idempotent run, the same way; it must create, change and cancel nothing
  (checked here: the benchmark fails otherwise).

Each run is a fresh ``python -m bench.maintenance --generate`` subprocess, so its peak
memory is that run's alone (plus Django's start-up, reported as the baseline).

The data: devices spread over hospitals of 20 departments each (about 50 devices a
department); 70% of them under contracts (three a hospital), each contract with two
dedicated engineers and a service manager; half of the contracts with their own numbers
for some kinds; go-live or acceptance dates spread over the past ten years; 1% without any
date and 2% retired (no plan). Built with `INSERT … SELECT generate_series` in seconds.

Not a test: nothing here asserts a time. The figures go into docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import ensure_database, setup_django

BENCH_URL = os.environ.get(
    "BENCH_MAINTENANCE_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/medservice_bench_maintenance",
)
DEVICES = int(os.environ.get("BENCH_DEVICES", "100000"))
HORIZON_DAYS = 90
DEPARTMENTS_PER_HOSPITAL = 20
CONTRACTS_PER_HOSPITAL = 3
ENGINEERS = 40
PRODUCT_MODELS = 40
# Half of the contracts set their own numbers: (contract index % 8, kind, every, ±days).
OVERRIDES = [
    (0, "patrol", 2, 10),  # a patrol every other month
    (2, "inspection", 6, 21),  # half-yearly inspections
    (4, "overhaul", 12, 45),
    (6, "patrol", 1, 3),
    (6, "inspection", 3, 7),
]


def build(devices: int) -> None:
    """The hospitals, contracts and ``devices`` devices of the benchmark, on an empty,
    migrated database (the default plan templates come from the migration)."""
    from django.db import connection, transaction

    from accounts.models import User, VendorRole
    from assets.models import ProductCategory, ProductModel
    from contracts.models import Contract
    from customers.models import Department, Hospital
    from maintenance.models import ContractPlanOverride

    hospitals_count = max(1, min(100, devices // 1000))
    with transaction.atomic():
        manager = User.objects.create_user(
            "bench-pm-manager", password=None, vendor_role=VendorRole.MANAGER
        )
        engineers = User.objects.bulk_create(
            User(username=f"bench-pm-engineer-{i:02d}", password="!", vendor_role="engineer")
            for i in range(ENGINEERS)
        )
        categories = ProductCategory.values
        ProductModel.objects.bulk_create(
            ProductModel(
                manufacturer="Bench",
                name=f"Model {i:02d}",
                category=categories[i % len(categories)],
            )
            for i in range(PRODUCT_MODELS)
        )
        hospitals = Hospital.objects.bulk_create(
            Hospital(name=f"Bench hospital {i:03d}") for i in range(hospitals_count)
        )
        Department.objects.bulk_create(
            Department(hospital=hospital, name=f"Dept {j:02d}")
            for hospital in hospitals
            for j in range(DEPARTMENTS_PER_HOSPITAL)
        )
        contracts = Contract.objects.bulk_create(
            Contract(hospital=hospital, number=f"PM-{h:03d}-{c}", service_manager=manager)
            for h, hospital in enumerate(hospitals)
            for c in range(CONTRACTS_PER_HOSPITAL)
        )
        Contract.dedicated_engineers.through.objects.bulk_create(
            Contract.dedicated_engineers.through(
                contract=contract, user=engineers[(2 * i + k) % ENGINEERS]
            )
            for i, contract in enumerate(contracts)
            for k in range(2)
        )
        ContractPlanOverride.objects.bulk_create(
            ContractPlanOverride(
                contract=contract, kind=kind, interval_months=every, tolerance_days=days
            )
            for i, contract in enumerate(contracts)
            for rest, kind, every, days in OVERRIDES
            if i % 8 == rest
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_dept AS SELECT row_number() OVER (ORDER BY id) - 1 AS rn,"
                " id, hospital_id FROM customers_department"
            )
            cursor.execute(
                "CREATE TEMP TABLE bench_model AS SELECT row_number() OVER (ORDER BY id) - 1"
                " AS rn, id FROM assets_productmodel"
            )
            cursor.execute(
                "CREATE TEMP TABLE bench_contract AS SELECT row_number() OVER"
                " (PARTITION BY hospital_id ORDER BY id) - 1 AS rn, id, hospital_id"
                " FROM contracts_contract"
            )
            params = {
                "devices": devices,
                "departments": hospitals_count * DEPARTMENTS_PER_HOSPITAL,
                "models": PRODUCT_MODELS,
                "contracts": CONTRACTS_PER_HOSPITAL,
            }
            # Anchors spread over ten years with a stride prime to the period; most devices
            # went live up to three weeks after acceptance, a fifth only have the acceptance
            # date, 1% have neither (no plan yet) and 2% are retired.
            cursor.execute(
                """
                INSERT INTO assets_device
                  (created_at, updated_at, public_id, product_model_id, serial_number, udi,
                   udi_di, udi_lot, udi_serial, asset_tag, hospital_id, department_id,
                   location, acceptance_certificate_no, accepted_on, live_on, status, notes)
                SELECT now(), now(), gen_random_uuid(), m.id, 'PM' || lpad(g::text, 7, '0'),
                       '', '', '', '', '', d.hospital_id, d.id, '', '', a.accepted_on,
                       CASE WHEN g %% 5 = 0 OR a.accepted_on IS NULL THEN NULL
                            ELSE a.accepted_on + (g %% 21) END,
                       CASE WHEN g %% 50 = 3 THEN 'retired' ELSE 'in_service' END, ''
                FROM generate_series(1, %(devices)s) g
                JOIN bench_dept d ON d.rn = g %% %(departments)s
                JOIN bench_model m ON m.rn = (g * 7) %% %(models)s
                CROSS JOIN LATERAL (
                  SELECT CASE WHEN g %% 100 = 7 THEN NULL
                              ELSE current_date - 1 - ((g * 7919) %% 3650)::int END
                         AS accepted_on
                ) a
                """,
                params,
            )
            cursor.execute(
                """
                INSERT INTO contracts_contractdevice (contract_id, device_id)
                SELECT c.id, d.id
                FROM assets_device d
                JOIN bench_contract c
                  ON c.hospital_id = d.hospital_id AND c.rn = (d.id / 7) %% %(contracts)s
                WHERE d.id %% 10 < 7
                """,
                params,
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _built_devices() -> int:
    from assets.models import Device

    try:
        return Device.objects.filter(serial_number__startswith="PM").count()
    except Exception:
        return -1


def reset_visits() -> None:
    """An empty visit table, as before the very first generation."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE maintenance_visit CASCADE")
        cursor.execute("VACUUM ANALYZE maintenance_visit")


def counts() -> dict[str, int]:
    from maintenance.models import Visit, VisitObligation

    return {
        "visits": Visit.objects.count(),
        "obligations": VisitObligation.objects.count(),
        "assignments": Visit.engineers.through.objects.count(),
    }


def generate_once(*, horizon_days: int = HORIZON_DAYS, batch_size: int | None = None) -> dict:
    """One ``visits_generate`` in this process: its time, result, queries and peak memory."""
    from django.db import connection

    from maintenance.generation import visits_generate

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    before = counts()
    kwargs: dict[str, Any] = {"horizon_days": horizon_days}
    if batch_size:
        kwargs["batch_size"] = batch_size
    server = _server_cpu_reader()
    load = os.getloadavg()[0]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    server_before = server()
    with connection.execute_wrapper(count):
        t0 = time.perf_counter()
        result = visits_generate(**kwargs)
        seconds = time.perf_counter() - t0
    server_after = server()
    peak = resource.getrusage(resource.RUSAGE_SELF)
    after = counts()
    return {
        "seconds": seconds,
        "cpu": peak.ru_utime - usage.ru_utime + peak.ru_stime - usage.ru_stime,
        "server_cpu": (
            server_after - server_before
            if server_after is not None and server_before is not None
            else None
        ),
        "load": max(load, os.getloadavg()[0]),
        "created": result.created,
        "updated": result.updated,
        "cancelled": result.cancelled,
        "queries": queries,
        "baseline_mib": usage.ru_maxrss / 1024,
        "peak_mib": peak.ru_maxrss / 1024,
        "new": {name: after[name] - before[name] for name in after},
        "totals": after,
    }


def _server_cpu_reader():
    """The CPU seconds of this connection's PostgreSQL backend so far, when the server runs
    on this machine (/proc), else None: on a shared machine wall time alone misleads."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat = Path(f"/proc/{pid}/stat")
    tick = os.sysconf("SC_CLK_TCK")

    def read() -> float | None:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    return read


def _subprocess(*args: str) -> dict:
    completed = subprocess.run(  # noqa: S603 - our own module, no user input
        [sys.executable, "-m", "bench.maintenance", *args],
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _cpu(run: dict) -> str:
    server = "?" if run["server_cpu"] is None else f"{run['server_cpu']:.1f} s"
    return (
        f"Python {run['cpu']:.1f} s + PostgreSQL backend {server} · "
        f"load average {run['load']:.1f} on {os.cpu_count()} cores"
    )


def _mib(value: float) -> str:
    return f"{value:,.0f} MiB"


def measure(
    *, devices: int, rebuild: bool = False, batch_size: int | None = None
) -> dict[str, str]:
    """Prepare the data in a subprocess, then time the first and second run, each in its own."""
    batch = ["--batch-size", str(batch_size)] if batch_size else []
    prepared = _subprocess(
        "--prepare", "--devices", str(devices), *(["--rebuild"] if rebuild else [])
    )
    first = _subprocess("--generate", *batch)
    # No ANALYZE in between: the daily job finds the table as the last run left it.
    second = _subprocess("--generate", *batch)
    new = first["new"]
    if first["created"] != new["visits"] or not new["visits"]:
        raise SystemExit(f"first run: reported {first['created']}, created {new['visits']}")
    if (second["created"], second["updated"], second["cancelled"]) != (0, 0, 0) or any(
        second["new"].values()
    ):
        raise SystemExit(f"the second run was not idempotent: {second}")
    return {
        "data": (
            f"{prepared['devices']:,} devices ({prepared['planned']:,} with a plan, "
            f"{prepared['under_contract']:,} under contract), {prepared['hospitals']} hospitals"
        ),
        "first run": (
            f"{first['seconds']:6.1f} s · {new['visits']:,} visits, {new['obligations']:,} "
            f"obligations, {new['assignments']:,} engineer assignments · "
            f"{first['queries']:,} queries"
        ),
        "first run, CPU": _cpu(first),
        "first run, peak memory": (
            f"{_mib(first['peak_mib'])} (ru_maxrss; {_mib(first['baseline_mib'])} before the run)"
        ),
        "second run": (
            f"{second['seconds']:6.1f} s · created nothing · {second['queries']:,} queries"
        ),
        "second run, CPU": _cpu(second),
        "second run, peak memory": (
            f"{_mib(second['peak_mib'])} (ru_maxrss; {_mib(second['baseline_mib'])} before)"
        ),
    }


def _prepare(*, devices: int, rebuild: bool) -> dict:
    ensure_database(BENCH_URL, rebuild=rebuild)
    setup_django(BENCH_URL)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    built = _built_devices()
    if built != devices:
        # Another size (or an interrupted build): start from an empty database.
        connection.close()
        ensure_database(BENCH_URL, rebuild=True)
        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        build(devices)
        print(f"built {devices:,} devices in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    reset_visits()
    from assets.models import Device
    from contracts.models import ContractDevice
    from customers.models import Hospital

    planned = (
        Device.objects.exclude(status="retired")
        .exclude(live_on__isnull=True, accepted_on__isnull=True)
        .count()
    )
    return {
        "devices": Device.objects.count(),
        "planned": planned,
        "under_contract": ContractDevice.objects.count(),
        "hospitals": Hospital.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=DEVICES)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--batch-size", type=int, default=None)
    step = parser.add_mutually_exclusive_group()
    step.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    step.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(_prepare(devices=args.devices, rebuild=args.rebuild)))
    elif args.generate:
        setup_django(BENCH_URL)
        print(json.dumps(generate_once(batch_size=args.batch_size)))
    else:
        for name, figure in measure(
            devices=args.devices, rebuild=args.rebuild, batch_size=args.batch_size
        ).items():
            print(f"{name:32} {figure}")


if __name__ == "__main__":
    main()
