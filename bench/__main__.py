"""`make bench`: the figures of docs/benchmarks.md, measured on PostgreSQL.

    python -m bench [--rebuild] [--runs N]
                    [--only service|maintenance|stock|catalogue|page_weight|notify|duty|archive
                            |search|exports|kpis]
                    [--devices N] [--movements N]

The planned-maintenance benchmark (visit generation for 100,000 devices, or
``--devices``/``BENCH_DEVICES``) is ``bench/maintenance.py``, and the spare-parts one (stock
page and reservation over 5,000,000 movements, or ``--movements``/``BENCH_STOCK_MOVEMENTS``)
``bench/stock.py``, and the catalogue import (check and confirm of a 5,000- and a
20,000-row workbook, on SQLite and PostgreSQL) ``bench/catalogue_import.py``, each in its
own database; the engineer's "my jobs" page on a slow network (bytes and first paint under
Chromium's "Slow 4G", the demo served as `make run` serves it) ``bench/page_weight.py``; the
duty roster's gap detection (20 regions × 60 days) ``bench/duty.py``; the service archive
of a device with 2,000 entries ``bench/archive.py``; the search box over 1,000,000 requests
and 100,000 devices ``bench/search.py``; 100,000 service requests exported to
``.xlsx`` and ``.csv`` ``bench/exports.py``; the key figures over a year of 1,000,000
closed requests ``bench/kpis.py``.
What follows is the service-request one.

Builds (once; `--rebuild` to start over) a database `medservice_bench` with 1,000,000 closed
and 20,000 open service requests and their milestones, then reports:
- one tick of the escalation sweep (idle, and with freshly due milestones to claim);
- p50/p95 of the dispatch board (the API list and the HTML board, first page of 50);
- p50/p95 of `POST /api/v1/service-requests/{id}/events`.

Not a test: nothing here asserts a time. The figures go into docs/benchmarks.md by hand,
with the machine and the date.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

from bench import ensure_database, setup_django

BENCH_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medservice_bench"
)
CLOSED = 1_000_000
OPEN = 20_000
DEVICES = 2_000


def _built() -> bool:
    from service.models import ServiceRequest

    try:
        return ServiceRequest.objects.count() >= CLOSED + OPEN
    except Exception:
        return False


def build() -> None:
    from django.core.management import call_command
    from django.db import connection

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    from accounts.models import User
    from assets.models import Device, ProductModel
    from customers.models import Department, Hospital
    from service.models import SlaPolicy

    manager = User.objects.create_user("bench-manager", password="x", vendor_role="manager")
    engineer = User.objects.create_user("bench-engineer", password="x", vendor_role="engineer")
    hospitals = [Hospital.objects.create(name=f"Bench hospital {i}") for i in range(3)]
    departments = [
        Department.objects.create(hospital=hospital, name=f"Dept {j}")
        for hospital in hospitals
        for j in range(10)
    ]
    model = ProductModel.objects.create(manufacturer="Bench", name="Monitor")
    Device.objects.bulk_create(
        Device(
            product_model=model,
            serial_number=f"B{i:06d}",
            hospital_id=departments[i % len(departments)].hospital_id,
            department=departments[i % len(departments)],
        )
        for i in range(DEVICES)
    )
    policy = SlaPolicy.objects.get(key="standard")
    params = {
        "policy": policy.pk,
        "user": manager.pk,
        "engineer": engineer.pk,
        "closed": CLOSED,
        "open": OPEN,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_devices AS "
            "SELECT row_number() OVER (ORDER BY id) - 1 AS rn, id, hospital_id, department_id "
            "FROM assets_device"
        )
        cursor.execute("SELECT count(*) FROM bench_devices")
        params["devices"] = cursor.fetchone()[0]
        # 1,000,000 closed requests over the past year, their four promises all kept.
        cursor.execute(
            """
            INSERT INTO service_servicerequest
              (created_at, updated_at, number, severity, channel, status, is_open, reported_at,
               reporter_name, reporter_phone, description, fault_cause, next_due_at,
               contract_id, department_id, device_id, hospital_id, recorded_by_id, policy_id)
            SELECT now(), now(), 'SR-B-' || lpad(g::text, 7, '0'), 'normal', 'hotline',
                   'closed', false, now() - (g * interval '31 seconds') - interval '2 days',
                   'caller', '', 'bench fault', 'quality', NULL,
                   NULL, d.department_id, d.id, d.hospital_id, %(user)s, %(policy)s
            FROM generate_series(1, %(closed)s) g
            JOIN bench_devices d ON d.rn = g %% %(devices)s
            """,
            params,
        )
        # 20,000 open ones reported over the last 20 hours: some fine, some at risk,
        # some breached.
        cursor.execute(
            """
            INSERT INTO service_servicerequest
              (created_at, updated_at, number, severity, channel, status, is_open, reported_at,
               reporter_name, reporter_phone, description, fault_cause, next_due_at,
               contract_id, department_id, device_id, hospital_id, recorded_by_id, policy_id)
            SELECT now(), now(), 'SR-O-' || lpad(g::text, 7, '0'), 'normal', 'hotline',
                   'dispatched', true, now() - (g * interval '3.6 seconds'),
                   'caller', '', 'bench fault', 'undetermined',
                   now() - (g * interval '3.6 seconds') + interval '4 hours',
                   NULL, d.department_id, d.id, d.hospital_id, %(user)s, %(policy)s
            FROM generate_series(1, %(open)s) g
            JOIN bench_devices d ON d.rn = g %% %(devices)s
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO service_milestone
              (request_id, key, name_zh, name_en, position, target_seconds, started_at,
               due_at, warn_at, met_at, paused_seconds, state, at_risk, paused,
               at_risk_notified_at, breach_notified_at)
            SELECT r.id, m.key, m.key, m.key, m.position, m.target,
                   CASE WHEN m.key = 'solution' AND r.is_open THEN NULL ELSE r.reported_at END,
                   CASE WHEN m.key = 'solution' AND r.is_open THEN NULL
                        ELSE r.reported_at + m.target * interval '1 second' END,
                   CASE WHEN m.key = 'solution' AND r.is_open THEN NULL
                        ELSE r.reported_at + m.target * 0.75 * interval '1 second' END,
                   CASE WHEN r.is_open THEN NULL
                        ELSE r.reported_at + m.target * 0.5 * interval '1 second' END,
                   0, CASE WHEN r.is_open THEN 'pending' ELSE 'met' END, false, false,
                   NULL, NULL
            FROM service_servicerequest r
            CROSS JOIN (VALUES ('on_site', 0, 14400), ('solution', 1, 3600),
                               ('resolved', 2, 43200), ('restored', 3, 86400))
                       AS m(key, position, target)
            """
        )
        # As if the sweep had been running: what is already due was announced.
        cursor.execute(
            "UPDATE service_milestone SET at_risk_notified_at = now() "
            "WHERE met_at IS NULL AND warn_at <= now()"
        )
        cursor.execute(
            "UPDATE service_milestone SET breach_notified_at = now() "
            "WHERE met_at IS NULL AND due_at < now()"
        )
        cursor.execute(
            """
            INSERT INTO service_serviceevent
              (request_id, type, occurred_at, recorded_at, actor_id, data, idempotency_key,
               recorded_late, late_reason)
            SELECT id, 'dispatched', reported_at + interval '5 minutes', now(), %(user)s,
                   jsonb_build_object('engineer_ids', jsonb_build_array(%(engineer)s),
                                      'parts', jsonb_build_array()),
                   NULL, false, ''
            FROM service_servicerequest WHERE is_open
            """,
            params,
        )
        cursor.execute(
            "INSERT INTO service_servicerequest_engineers (servicerequest_id, user_id) "
            "SELECT id, %(engineer)s FROM service_servicerequest WHERE is_open",
            params,
        )
        cursor.execute("ANALYZE")
    print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)


def _percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    return (
        f"p50 {statistics.median(samples) * 1000:6.1f} ms · p95 {p95 * 1000:6.1f} ms · "
        f"max {samples[-1] * 1000:6.1f} ms · n={len(samples)}"
    )


def _timed(fn, runs: int) -> list[float]:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def _tick_with_newly_due(sweep, due: int) -> float:
    """One sweep tick after ``due`` milestones fell due since the last one."""
    from service.models import Milestone

    batch = list(
        Milestone.objects.filter(met_at__isnull=True, due_at__isnull=False, request__is_open=True)
        .exclude(breach_notified_at__isnull=True)
        .values_list("pk", flat=True)[:due]
    )
    Milestone.objects.filter(pk__in=batch).update(at_risk_notified_at=None, breach_notified_at=None)
    t0 = time.perf_counter()
    sweep()
    return time.perf_counter() - t0


def _post_request_with_and_without_routing(client, runs: int) -> dict[str, str]:
    """``POST /api/v1/service-requests`` with the routing handler registered (one more
    outbox row per request; the notices are the worker's) and without, in alternating
    blocks of ten so that drift falls on both. The requests made are deleted after."""
    from assets.models import Device
    from core import outbox
    from core.models import OutboxEvent
    from core.retention import purge_allowed
    from service import notices
    from service.models import ServiceRequest

    devices = iter(list(Device.objects.order_by("pk").values_list("pk", flat=True)) * 20)
    before = ServiceRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    events_before = OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def post_request():
        response = client.post(
            "/api/v1/service-requests",
            json.dumps({"device_id": next(devices), "description": "No image · 无图像"}),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content[:300]

    on: list[float] = []
    off: list[float] = []
    try:
        for _block in range(max(1, runs // 20)):
            on += _timed(post_request, 10)
            outbox.unregister(notices.HANDLER)
            try:
                off += _timed(post_request, 10)
            finally:
                outbox.register(
                    notices.HANDLER,
                    events=notices.ROUTED_EVENTS,
                    func=notices.route,
                    database_only=True,
                )
    finally:
        made = ServiceRequest.objects.filter(pk__gt=before)
        with purge_allowed():  # the bench's own throwaway requests
            made.delete()
        OutboxEvent.objects.filter(pk__gt=events_before).delete()
    return {
        "POST /service-requests, routing on": _percentiles(on),
        "POST /service-requests, routing off": _percentiles(off),
    }


def measure(runs: int) -> dict[str, str]:
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from accounts.models import User
    from medservice.gunicorn_conf import tune_garbage_collector
    from service.models import ServiceRequest

    results: dict[str, str] = {}
    manager = User.objects.get(username="bench-manager")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager)
    # As a gunicorn worker of `manage.py serve` runs: start-up objects frozen (gc.freeze).
    client.get("/dispatch/")
    tune_garbage_collector()

    def board_api():
        response = client.get("/api/v1/service-requests?state=open&limit=50")
        assert response.status_code == 200, response.content[:300]

    results["dispatch board (API, 50 rows)"] = _percentiles(_timed(board_api, runs))

    try:
        board_url = reverse("service:board")
    except NoReverseMatch:
        board_url = None
    if board_url:

        def board_page():
            response = client.get(board_url)
            assert response.status_code == 200

        results["dispatch board (HTML page, 25 rows)"] = _percentiles(_timed(board_page, runs))

    open_ids = list(
        ServiceRequest.objects.filter(is_open=True).order_by("pk").values_list("pk", flat=True)
    )
    targets = iter(open_ids[: runs + 1])

    def post_event():
        request_id = next(targets)
        response = client.post(
            f"/api/v1/service-requests/{request_id}/events",
            json.dumps({"type": "callback"}),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content[:300]

    results["POST .../events"] = _percentiles(_timed(post_event, runs))
    results.update(_post_request_with_and_without_routing(client, runs))

    try:
        from service.escalation import sweep
    except ImportError:
        sweep = None  # type: ignore[assignment]  # a tree from before the sweeper
    if sweep is not None:
        results["sweep tick, nothing due"] = _percentiles(_timed(sweep, runs))
        # 20,000 open requests reported over 20 hours bring about 60 new deadlines a
        # minute (a warning and a deadline each for ~3 promises of ~17 new requests).
        for due in (60, 200):
            results[f"sweep tick, {due} newly due"] = _percentiles(
                [_tick_with_newly_due(sweep, due) for _ in range(5)]
            )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM service_servicerequest")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM service_milestone")
        milestones = cursor.fetchone()[0]
    results["data"] = f"{total:,} requests ({OPEN:,} open), {milestones:,} milestones"
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--only",
        choices=[
            "service",
            "maintenance",
            "stock",
            "catalogue",
            "page_weight",
            "notify",
            "duty",
            "archive",
            "search",
            "exports",
            "kpis",
        ],
    )
    parser.add_argument("--devices", type=int, default=None, help="maintenance: devices")
    parser.add_argument("--movements", type=int, default=None, help="stock: ledger rows")
    args = parser.parse_args()
    print(f"{platform.node()} · {os.cpu_count()} cores · {platform.python_version()}", flush=True)
    if args.only in (None, "notify"):
        from bench import notify

        print("notify: a burst of 1,000 new requests told by one worker", flush=True)
        for name, figure in notify.measure().items():
            print(f"{name:44} {figure}", flush=True)
        if args.only == "notify":
            return
    if args.only in (None, "page_weight"):
        from bench import page_weight

        print("my jobs on a slow network (served as `make run` does, Slow 4G)", flush=True)
        for line in page_weight.report(page_weight.measure()):
            print(line, flush=True)
        if args.only == "page_weight":
            return
    if args.only in (None, "exports"):
        from bench import exports

        print("exports: 100,000 service requests to .xlsx and .csv", flush=True)
        for name, figure in exports.measure().items():
            print(f"{name:20} {figure}", flush=True)
        if args.only == "exports":
            return
    if args.only in (None, "archive"):
        from bench import archive

        print("service archive: a device with 2,000 entries", flush=True)
        for name, figure in archive.measure(runs=min(args.runs, 100)).items():
            print(f"{name:48} {figure}", flush=True)
        if args.only == "archive":
            return
    if args.only in (None, "search"):
        from bench import search

        print("search box: 1,000,000 requests and 100,000 devices", flush=True)
        for name, figure in search.measure(runs=min(args.runs, 50)).items():
            print(f"{name:72} {figure}", flush=True)
        if args.only == "search":
            return
    if args.only in (None, "kpis"):
        from bench import kpis

        print("key figures: a year of 1,000,000 closed requests, 100,000 devices", flush=True)
        for name, figure in kpis.measure(runs=min(args.runs, 20)).items():
            print(f"{name:48} {figure}", flush=True)
        if args.only == "kpis":
            return
    if args.only in (None, "duty"):
        from bench import duty

        print("duty roster: gap detection, 20 regions × 60 days", flush=True)
        for name, figure in duty.measure().items():
            print(f"{name:48} {figure}", flush=True)
        if args.only == "duty":
            return
    if args.only in (None, "catalogue"):
        from bench import catalogue_import

        print("spare parts: catalogue import (check, confirm)", flush=True)
        for name, figure in catalogue_import.measure(sizes=list(catalogue_import.SIZES)).items():
            print(f"{name:48} {figure}", flush=True)
        if args.only == "catalogue":
            return
    if args.only in (None, "stock"):
        from bench import stock

        print("spare parts: stock page, stock API, stock_reserve", flush=True)
        figures = stock.measure(
            movements=args.movements or stock.MOVEMENTS,
            runs=args.runs,
            rebuild=args.rebuild,
        )
        for name, figure in figures.items():
            print(f"{name:48} {figure}", flush=True)
        if args.only == "stock":
            return
    if args.only != "service":
        from bench import maintenance

        print("planned maintenance: visits_generate(horizon_days=90)", flush=True)
        figures = maintenance.measure(
            devices=args.devices or maintenance.DEVICES, rebuild=args.rebuild
        )
        for name, figure in figures.items():
            print(f"{name:32} {figure}", flush=True)
        if args.only == "maintenance":
            return
    ensure_database(BENCH_URL, rebuild=args.rebuild)
    setup_django(BENCH_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # a database built by an older checkout
    if not _built():
        from django.db import connection

        # Start from an empty database (a run may have been interrupted halfway).
        connection.close()
        ensure_database(BENCH_URL, rebuild=True)
        build()
    print("service requests", flush=True)
    for name, figure in measure(args.runs).items():
        print(f"{name:32} {figure}")


if __name__ == "__main__":
    main()
