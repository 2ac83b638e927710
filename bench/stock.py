"""`make bench`, spare parts (issue 5 §6): the stock page and one reservation.

    python -m bench.stock [--movements N] [--runs N] [--rebuild]   (python -m bench --only stock)

Builds (once per size; `--rebuild` to start over) a database `medservice_bench_stock`
(``BENCH_STOCK_DATABASE_URL``) with 10,000 parts, 200 stock locations (1 central warehouse,
19 regional stores, 180 engineer bags with their engineers) and a ledger of N stock
movements (default 5,000,000, or ``BENCH_STOCK_MOVEMENTS``), then reports p50/p95 of:
- the stock page ``/stock/?location=<id>`` (HTML, first page of 50) for a bag, a regional
  store and the central warehouse, and ``/stock/`` (all locations);
- ``GET /api/v1/stock?location_id=<id>`` (first page of 50);
- one ``stock_reserve`` of one unit on a random part × location with free stock, for an
  open service request (the service call, and the same through
  ``POST /api/v1/stock-movements``). The reservations accumulate; each run picks another
  level, and a rebuild starts over.

The data (stated in docs/benchmarks.md): the central warehouse stocks every part, each
regional store a window of 2,000 parts, each bag 500 of its regional store's parts:
138,000 stocked part × location slots. Movement g goes to slot g mod 138,000 in round
g div 138,000, so each slot sees ~36 movements at full size, in time order: the central
warehouse receives 20, a regional store gets a transfer of 4 from the central warehouse, a
bag gets (rounds mod 6) a transfer of 1 from its regional store three times, then a
reservation, its release, and an issue to a request. No level ever goes negative, and
``StockLevel`` is computed from the ledger by one ``INSERT … SELECT … GROUP BY``. Every
tenth bag and regional slot has a reorder point. The ledger is written with
``INSERT … SELECT generate_series`` with the foreign-key triggers off
(``session_replication_role = replica``: the data is consistent by construction).

Each size runs in a ``python -m bench.stock --run`` subprocess (its own Django set-up on its
own database), as ``bench/maintenance.py`` does. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import ensure_database, setup_django

BENCH_URL = os.environ.get(
    "BENCH_STOCK_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/medservice_bench_stock",
)
MOVEMENTS = int(os.environ.get("BENCH_STOCK_MOVEMENTS", "5000000"))
PARTS = 10_000
REGIONAL = 19
BAGS = 180
REGIONAL_PARTS = 2_000
BAG_PARTS = 500
REQUESTS = 2_000  # the requests of the ledger's reservations and issues; 10% still open
SEED = 5


def _base_data() -> None:
    """Users, locations, parts, a device and the requests: the ORM, in seconds."""
    from django.utils import timezone

    from accounts.models import User, VendorRole
    from assets.models import Device, ProductModel
    from customers.models import Department, Hospital
    from parts.models import LocationKind, SparePart, StockLocation
    from service.models import ServiceRequest, SlaPolicy

    manager = User.objects.create_user(
        "bench-stock-manager", password=None, vendor_role=VendorRole.MANAGER
    )
    engineers = User.objects.bulk_create(
        User(username=f"bench-stock-engineer-{i:03d}", password="!", vendor_role="engineer")
        for i in range(BAGS)
    )
    StockLocation.objects.create(kind=LocationKind.CENTRAL, name="B central warehouse")
    StockLocation.objects.bulk_create(
        StockLocation(kind=LocationKind.REGIONAL, name=f"B regional {r:02d}")
        for r in range(REGIONAL)
    )
    StockLocation.objects.bulk_create(
        StockLocation(kind=LocationKind.ENGINEER_BAG, name=f"B bag {b:03d}", engineer=engineers[b])
        for b in range(BAGS)
    )
    SparePart.objects.bulk_create(
        (
            SparePart(
                part_number=f"BP-{p:05d}",
                name_zh=f"备件 {p:05d}",
                name_en=f"Spare part {p:05d}",
                cost_price=10 + p % 500,
                list_price=15 + p % 700,
            )
            for p in range(PARTS)
        ),
        batch_size=2000,
    )
    hospital = Hospital.objects.create(name="Bench stock hospital")
    department = Department.objects.create(hospital=hospital, name="Dept")
    model = ProductModel.objects.create(manufacturer="Bench", name="Stock monitor")
    device = Device.objects.create(
        product_model=model,
        serial_number="BS000001",
        hospital=hospital,
        department=department,
    )
    policy = SlaPolicy.objects.get(key="standard")
    now = timezone.now()
    ServiceRequest.objects.bulk_create(
        ServiceRequest(
            number=f"SR-S-{i:06d}",
            severity="normal",
            channel="hotline",
            status="dispatched" if i % 10 == 0 else "closed",
            is_open=i % 10 == 0,
            reported_at=now,
            description="bench",
            fault_cause="undetermined" if i % 10 == 0 else "quality",
            device=device,
            hospital=hospital,
            department=department,
            recorded_by=manager,
            policy=policy,
        )
        for i in range(REQUESTS)
    )


def build(movements: int) -> float:
    """The whole data set on an empty, migrated database; returns the seconds of the ledger."""
    from django.db import connection, transaction

    with transaction.atomic():
        _base_data()
    params = {
        "parts": PARTS,
        "regional": REGIONAL,
        "bags": BAGS,
        "regional_parts": REGIONAL_PARTS,
        "bag_parts": BAG_PARTS,
        "requests": REQUESTS,
        "movements": movements,
        # Regional windows start this far apart, so they cover all the parts ~3.8 times.
        "stride": PARTS // REGIONAL,
        # Bag windows within their store's window: at most three bags share a part.
        "bag_stride": 200,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE b_part AS SELECT row_number() OVER (ORDER BY part_number) - 1"
            " AS rn, id FROM parts_sparepart"
        )
        cursor.execute(
            "CREATE TEMP TABLE b_loc AS SELECT row_number() OVER (PARTITION BY kind ORDER BY"
            " name) - 1 AS rn, id, kind FROM parts_stocklocation"
        )
        cursor.execute(
            "CREATE TEMP TABLE b_req AS SELECT row_number() OVER (ORDER BY number) - 1 AS rn,"
            " id FROM service_servicerequest"
        )
        cursor.execute("SELECT id FROM accounts_user WHERE username = 'bench-stock-manager'")
        params["user"] = cursor.fetchone()[0]
        # The stocked slots: kind 0 central (every part), 1 regional (a window of 2,000
        # parts), 2 bag (500 of its store's window); ``source`` is where transfers come from.
        cursor.execute(
            """
            CREATE TEMP TABLE b_slot AS
            WITH slots AS (
              SELECT 0 AS tier, c.id AS location_id, NULL::bigint AS source_id, p.id AS part_id,
                     p.rn AS part_rn
              FROM b_loc c CROSS JOIN b_part p WHERE c.kind = 'central'
              UNION ALL
              SELECT 1, r.id, c.id, p.id, p.rn
              FROM b_loc r
              JOIN b_loc c ON c.kind = 'central'
              CROSS JOIN generate_series(0, %(regional_parts)s - 1) w
              JOIN b_part p ON p.rn = (r.rn * %(stride)s + w) %% %(parts)s
              WHERE r.kind = 'regional'
              UNION ALL
              SELECT 2, b.id, r.id, p.id, p.rn
              FROM b_loc b
              JOIN b_loc r ON r.kind = 'regional' AND r.rn = b.rn %% %(regional)s
              CROSS JOIN generate_series(0, %(bag_parts)s - 1) w
              JOIN b_part p ON p.rn = (r.rn * %(stride)s
                   + ((b.rn / %(regional)s) * %(bag_stride)s + w) %% %(regional_parts)s)
                   %% %(parts)s
              WHERE b.kind = 'engineer_bag'
            )
            SELECT row_number() OVER (ORDER BY tier, location_id, part_rn) - 1 AS rn, *
            FROM slots
            """,
            params,
        )
        cursor.execute("CREATE UNIQUE INDEX ON b_slot (rn)")
        cursor.execute("ANALYZE b_slot")
        cursor.execute("SELECT count(*) FROM b_slot")
        params["slots"] = cursor.fetchone()[0]
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")
        # Round k = g / slots, each a day; a bag's rounds: 0-2 transfer in, 3 reserve,
        # 4 release, 5 issue (never below zero, never more reserved than on hand).
        cursor.execute(
            """
            INSERT INTO parts_stockmovement
              (kind, part_id, quantity, from_location_id, to_location_id, request_id,
               serial_unit_id, created_by_id, occurred_at, recorded_at, note, idempotency_key)
            SELECT m.kind, s.part_id, m.quantity, m.from_id, m.to_id, m.request_id, NULL,
                   %(user)s, t.at, t.at, '', NULL
            FROM generate_series(0, %(movements)s - 1) g
            JOIN b_slot s ON s.rn = g %% %(slots)s
            CROSS JOIN LATERAL (SELECT g / %(slots)s AS round) k
            CROSS JOIN LATERAL (
              SELECT now() - interval '1 day' * (%(movements)s / %(slots)s + 1 - k.round)
                     + interval '1 second' * (s.rn %% 86000) AS at
            ) t
            CROSS JOIN LATERAL (
              SELECT CASE WHEN s.tier = 0 THEN 'receive'
                          WHEN s.tier = 1 OR k.round %% 6 < 3 THEN 'transfer'
                          WHEN k.round %% 6 = 3 THEN 'reserve'
                          WHEN k.round %% 6 = 4 THEN 'unreserve'
                          ELSE 'issue' END AS kind,
                     CASE s.tier WHEN 0 THEN 20 WHEN 1 THEN 4 ELSE 1 END AS quantity,
                     CASE WHEN s.tier = 0 THEN NULL
                          WHEN s.tier = 1 OR k.round %% 6 < 3 THEN s.source_id
                          ELSE s.location_id END AS from_id,
                     CASE WHEN s.tier = 0 OR s.tier = 1 OR k.round %% 6 < 3 THEN s.location_id
                          END AS to_id,
                     CASE WHEN s.tier = 2 AND k.round %% 6 >= 3 THEN r.id END AS request_id
              FROM b_req r WHERE r.rn = g %% %(requests)s
            ) m
            """,
            params,
        )
        # StockLevel = the running sum of the ledger (parts.selectors.levels_from_ledger).
        cursor.execute(
            """
            INSERT INTO parts_stocklevel (part_id, location_id, on_hand, reserved)
            SELECT part_id, location_id, sum(on_hand), sum(reserved)
            FROM (
              SELECT part_id, to_location_id AS location_id, quantity AS on_hand, 0 AS reserved
              FROM parts_stockmovement
              WHERE to_location_id IS NOT NULL AND kind IN ('receive', 'transfer', 'return')
              UNION ALL
              SELECT part_id, from_location_id, -quantity, 0
              FROM parts_stockmovement
              WHERE from_location_id IS NOT NULL AND kind IN ('transfer', 'issue', 'write_off')
              UNION ALL
              SELECT part_id, from_location_id, 0,
                     CASE kind WHEN 'reserve' THEN quantity ELSE -quantity END
              FROM parts_stockmovement WHERE kind IN ('reserve', 'unreserve')
            ) x
            GROUP BY part_id, location_id
            """
        )
        cursor.execute(
            """
            INSERT INTO parts_reorderpoint (part_id, location_id, minimum, notified_on)
            SELECT part_id, location_id,
                   CASE tier WHEN 1 THEN 60 + part_rn %% 60 ELSE 5 + part_rn %% 20 END, NULL
            FROM b_slot WHERE tier > 0 AND part_rn %% 10 = 0
            """,
            params,
        )
        cursor.execute("CREATE TABLE bench_stock_size (movements bigint)")
        cursor.execute("INSERT INTO bench_stock_size VALUES (%(movements)s)", params)
    seconds = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return seconds


def _percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "p50": statistics.median(samples) * 1000,
        "p95": samples[max(0, int(len(samples) * 0.95) - 1)] * 1000,
        "max": samples[-1] * 1000,
        "n": len(samples),
    }


def _timed(fn, runs: int) -> list[float]:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def _shape() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM parts_sparepart), (SELECT count(*) FROM"
            " parts_stocklocation), (SELECT count(*) FROM parts_stockmovement), (SELECT"
            " count(*) FROM parts_stocklevel), (SELECT count(*) FROM parts_reorderpoint),"
            " (SELECT min(on_hand - reserved) FROM parts_stocklevel),"
            " (SELECT pg_size_pretty(pg_total_relation_size('parts_stockmovement')))"
        )
        parts, locations, movements, levels, points, least, size = cursor.fetchone()
    return {
        "parts": parts,
        "locations": locations,
        "movements": movements,
        "levels": levels,
        "reorder_points": points,
        "least_free": least,
        "ledger_size": size,
    }


def measure_here(runs: int) -> dict:
    """In this (set-up) process: the page, the API list and the reservation."""
    from django.db.models import F
    from django.test import Client

    from accounts.models import User
    from medservice.gunicorn_conf import tune_garbage_collector
    from parts.models import SparePart, StockLevel, StockLocation
    from parts.services import stock_reserve
    from service.models import ServiceRequest

    rng = random.Random(SEED)
    manager = User.objects.get(username="bench-stock-manager")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager)
    client.get("/stock/")
    tune_garbage_collector()  # as a gunicorn worker of `manage.py serve`

    locations = {
        kind: StockLocation.objects.filter(kind=kind).earliest("name")
        for kind in ("engineer_bag", "regional", "central")
    }
    results: dict[str, dict] = {}

    def getter(url: str):
        def get():
            response = client.get(url)
            assert response.status_code == 200, response.content[:300]

        return get

    for kind, location in locations.items():
        rows = StockLevel.objects.filter(location=location).count()
        results[f"page /stock/?location= ({kind}, {rows:,} levels)"] = _percentiles(
            _timed(getter(f"/stock/?location={location.pk}"), runs)
        )
    results["page /stock/ (all locations)"] = _percentiles(_timed(getter("/stock/"), runs))
    for kind, location in locations.items():
        results[f"API /api/v1/stock?location_id= ({kind})"] = _percentiles(
            _timed(getter(f"/api/v1/stock?location_id={location.pk}&limit=50"), runs)
        )

    open_requests = list(ServiceRequest.objects.filter(is_open=True))
    candidates = list(
        StockLevel.objects.filter(on_hand__gt=F("reserved")).values_list("part_id", "location_id")
    )
    rng.shuffle(candidates)
    picks = iter(candidates)
    parts = SparePart.objects.in_bulk({part_id for part_id, _ in candidates[: 2 * runs + 2]})
    places = StockLocation.objects.in_bulk()

    def reserve():
        part_id, location_id = next(picks)
        stock_reserve(
            request=rng.choice(open_requests),
            part=parts[part_id],
            location=places[location_id],
            quantity=1,
            user=manager,
        )

    results["stock_reserve (service call)"] = _percentiles(_timed(reserve, runs))

    def reserve_api():
        part_id, location_id = next(picks)
        response = client.post(
            "/api/v1/stock-movements",
            json.dumps(
                {
                    "kind": "reserve",
                    "part_id": part_id,
                    "location_id": location_id,
                    "quantity": 1,
                    "request_id": rng.choice(open_requests).pk,
                }
            ),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content[:300]

    results["POST /api/v1/stock-movements (reserve)"] = _percentiles(_timed(reserve_api, runs))
    return results


def _built_movements() -> int:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT movements FROM bench_stock_size")
            return cursor.fetchone()[0]
    except Exception:
        return -1


def run(*, movements: int, runs: int, rebuild: bool) -> dict:
    """Prepare (build if needed) and measure, in this process."""
    ensure_database(BENCH_URL, rebuild=rebuild)
    setup_django(BENCH_URL)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    built = None
    if _built_movements() != movements:
        # Another size, an interrupted build, or reservations of earlier runs: start over.
        connection.close()
        ensure_database(BENCH_URL, rebuild=True)
        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        ledger = build(movements)
        built = {"seconds": time.perf_counter() - t0, "ledger_seconds": ledger}
    shape = _shape()
    if shape["movements"] < movements or (shape["least_free"] or 0) < 0:
        raise SystemExit(f"unexpected data: {shape}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    load = os.getloadavg()[0]
    results = measure_here(runs)
    return {
        "server": server,
        "built": built,
        "shape": shape,
        "results": results,
        "load": (load, os.getloadavg()[0]),
    }


def _format(ms: dict) -> str:
    return (
        f"p50 {ms['p50']:6.1f} ms · p95 {ms['p95']:6.1f} ms · max {ms['max']:6.1f} ms · n={ms['n']}"
    )


def measure(*, movements: int, runs: int = 100, rebuild: bool = False) -> dict[str, str]:
    """Run the benchmark in a subprocess (its own Django, its own database)."""
    args = ["--run", "--movements", str(movements), "--runs", str(runs)]
    completed = subprocess.run(  # noqa: S603 - our own module, no user input
        [sys.executable, "-m", "bench.stock", *args, *(["--rebuild"] if rebuild else [])],
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    shape = data["shape"]
    figures = {
        "data": (
            f"{shape['parts']:,} parts, {shape['locations']} locations, "
            f"{shape['movements']:,} movements ({shape['ledger_size']}), "
            f"{shape['levels']:,} levels, {shape['reorder_points']:,} reorder points · "
            f"PostgreSQL {data['server']}"
        ),
    }
    figures["load average"] = (
        f"{data['load'][0]:.1f} before, {data['load'][1]:.1f} after, on {os.cpu_count()} cores"
    )
    if data["built"]:
        figures["built"] = (
            f"{data['built']['seconds']:.0f} s (ledger, levels and reorder points "
            f"{data['built']['ledger_seconds']:.0f} s)"
        )
    for name, ms in data["results"].items():
        figures[name] = _format(ms)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=MOVEMENTS)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        result = run(movements=args.movements, runs=args.runs, rebuild=args.rebuild)
        print(json.dumps(result))
        return
    for name, figure in measure(
        movements=args.movements, runs=args.runs, rebuild=args.rebuild
    ).items():
        print(f"{name:48} {figure}", flush=True)


if __name__ == "__main__":
    main()
