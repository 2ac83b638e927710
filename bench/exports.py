"""`make bench`, exports (issue 14 §3): 100,000 service requests exported to ``.xlsx`` and
``.csv``, as the worker writes a big export, and to ``.xlsx`` within the request (the page's
download under a raised limit: the code path of the API's ``format=``).

    python -m bench.exports [--rebuild]   (python -m bench --only exports)

Builds (once; `--rebuild` to start over) a database `medservice_bench_exports`
(``BENCH_EXPORTS_DATABASE_URL``): 1,000 devices in ten hospitals and 100,000 service
requests, each with an engineer (the list's columns read the device, its model, the hospital,
the department, the recorder and the engineers). Each measure runs in its own
``python -m bench.exports --run <what>`` subprocess, so its peak resident memory
(``ru_maxrss``) is the export's own, next to the process's size before it started.
Target (issue 14 §3): under 30 s and 300 MiB for the workbook. Not a test: nothing here
asserts a time.
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

from bench import ensure_database, setup_django

BENCH_URL = os.environ.get(
    "BENCH_EXPORTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medservice_bench_exports"
)
REQUESTS, DEVICES, HOSPITALS = 100_000, 1_000, 10
MEASURES = ("worker xlsx", "worker csv", "inline xlsx")


def _built() -> bool:
    from service.models import ServiceRequest

    try:
        return ServiceRequest.objects.filter(number=f"SR-X-{REQUESTS - 1:06d}").exists()
    except Exception:
        return False


def build() -> float:
    from datetime import date, timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    from accounts.models import User
    from assets.models import Device, ProductModel
    from customers.models import Department, Hospital
    from service.models import ServiceRequest, SlaPolicy

    now = timezone.now()
    User.objects.create_user("bench-manager", password="x", vendor_role="manager")
    engineers = [
        User.objects.create_user(f"bench-engineer-{i}", password="x", vendor_role="engineer",
                                 first_name=f"工程师{i}")
        for i in range(20)
    ]  # fmt: skip
    hospitals = [Hospital.objects.create(name=f"青岛市第{i}人民医院") for i in range(HOSPITALS)]
    departments = [Department.objects.create(hospital=h, name="重症医学科") for h in hospitals]
    model = ProductModel.objects.create(manufacturer="迈瑞", name="BeneVision N17")
    devices = Device.objects.bulk_create(
        Device(product_model=model, serial_number=f"EXPORT-{i}",
               hospital=departments[i % HOSPITALS].hospital,
               department=departments[i % HOSPITALS], installed_on=date(2024, 11, 1))
        for i in range(DEVICES)
    )  # fmt: skip
    policy = SlaPolicy.objects.get(key="standard")
    requests = ServiceRequest.objects.bulk_create(
        (
            ServiceRequest(
                number=f"SR-X-{i:06d}", device=devices[i % DEVICES],
                hospital_id=devices[i % DEVICES].hospital_id,
                department_id=devices[i % DEVICES].department_id, policy=policy,
                severity="normal", channel="hotline", status="closed", is_open=False,
                reported_at=now - timedelta(minutes=10 * i), recorded_by=engineers[0],
                reporter_name="护士长", description="监护仪开机后无显示，报警灯常亮",
            )
            for i in range(REQUESTS)
        ),
        batch_size=5000,
    )  # fmt: skip
    through = ServiceRequest.engineers.through
    through.objects.bulk_create(
        (
            through(servicerequest_id=r.pk, user_id=engineers[i % 20].pk)
            for i, r in enumerate(requests)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - t0


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(what: str) -> dict[str, str]:
    """One measure in this process: the time and the peak resident memory."""
    setup_django(BENCH_URL)
    from django.conf import settings
    from django.test import Client, override_settings
    from django.urls import reverse

    from accounts.models import User
    from exports.models import ExportJob
    from exports.services import export_job_run

    manager = User.objects.get(username="bench-manager")
    before = _rss_mib()
    t0, cpu0 = time.perf_counter(), time.process_time()
    if what.startswith("worker"):
        job = ExportJob.objects.create(
            owner=manager, list_name="service-requests", query="",
            format=what.split()[-1], language="zh-hans", time_zone="Asia/Shanghai",
            rows_total=REQUESTS,
        )  # fmt: skip
        export_job_run(job_id=job.pk)
        job.refresh_from_db()
        assert job.state == "done", job.error
        rows = job.rows_done
        written = Path(settings.MEDIA_ROOT) / job.file
        size_mib = written.stat().st_size / 2**20
        written.unlink()
        job.delete()
    else:
        # The page's download answering at once (what the API's ``format=`` does too): the
        # limit raised so that 100,000 rows are written in the request.
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(manager)
        with override_settings(EXPORT_INLINE_MAX_ROWS=10 * REQUESTS):
            response = client.get(
                reverse("exports:download"), {"list": "service-requests", "format": "xlsx"}
            )
        assert response.status_code == 200
        chunks = response.streaming_content  # type: ignore[attr-defined]
        size_mib = sum(len(chunk) for chunk in chunks) / 2**20
        rows = REQUESTS
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        what: (
            f"{elapsed:5.1f} s ({cpu:4.1f} s CPU) · peak RSS {_rss_mib():5.0f} MiB"
            f" (process before: {before:.0f} MiB) · {rows:,} rows · {size_mib:.1f} MiB file"
        )
    }


def run(rebuild: bool) -> dict[str, str]:
    ensure_database(BENCH_URL, rebuild=rebuild)
    setup_django(BENCH_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if _built():
        return {}
    from django.db import connection

    connection.close()
    ensure_database(BENCH_URL, rebuild=True)
    setup_django(BENCH_URL)
    return {"built in": f"{build():.0f} s"}


def _subprocess(*args: str) -> dict[str, str]:
    out = subprocess.run(  # noqa: S603 - our own module, no user input
        [sys.executable, "-m", "bench.exports", *args],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(*, rebuild: bool = False) -> dict[str, str]:
    """Build (in a subprocess) if needed, then each measure in a subprocess of its own."""
    figures = _subprocess("--build", *(["--rebuild"] if rebuild else []))
    for what in MEASURES:
        figures.update(_subprocess("--run", what))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run", choices=MEASURES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        print(json.dumps(run(args.rebuild), ensure_ascii=False))
        return
    if args.run:
        print(json.dumps(run_one(args.run), ensure_ascii=False))
        return
    for name, figure in measure(rebuild=args.rebuild).items():
        print(f"{name:20} {figure}", flush=True)


if __name__ == "__main__":
    main()
