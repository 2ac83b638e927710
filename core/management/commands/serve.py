"""Serve the app (gunicorn) and its background worker (huey) together.

``make run`` uses this so that one command brings up everything; if either process exits,
the other is stopped and the command fails, rather than leaving a web app whose jobs never
run.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web app with gunicorn and run the huey worker alongside."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, host: str, port: int, workers: int, **options):
        python = sys.executable
        web = [
            python, "-m", "gunicorn", "medservice.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-",
            "--config", "python:medservice.gunicorn_conf",
        ]  # fmt: skip
        worker = [python, "manage.py", "run_huey", "--quiet"]
        cwd = str(settings.BASE_DIR)
        procs = [subprocess.Popen(worker, cwd=cwd), subprocess.Popen(web, cwd=cwd)]
        self.stdout.write(self.style.SUCCESS(f"medservice at http://{host}:{port}/ (Ctrl-C stops)"))

        def stop(*_):
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
        finally:
            stop()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        codes = [proc.returncode for proc in procs]
        if any(code not in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes):
            sys.exit(1)
