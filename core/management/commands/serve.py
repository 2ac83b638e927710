"""Serve the web app (gunicorn) and its background workers (huey), each supervised.

``make run`` and production both start here. The layout is ``deploy/supervisord.conf``: this
command fills in its variables (an option, else the environment, else the embedded default)
and replaces itself with supervisord. supervisord restarts whichever process dies while the
others go on, and one signal to this process (Ctrl-C, SIGTERM from systemd) stops them all.
"""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from core.process_layout import (
    DEFAULT_HUEY_WORKERS,
    DEFAULT_WEB_THREADS,
    DEFAULT_WEB_WORKERS,
    ProcessLayout,
    default_run_dir,
    env_int,
)


class Command(BaseCommand):
    help = (
        "Serve the web app with gunicorn and run the huey workers, each supervised by "
        "supervisord (deploy/supervisord.conf)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=env_int("PORT", 8000))
        parser.add_argument(
            "--web-workers",
            "--workers",
            type=int,
            default=env_int("MEDSERVICE_WEB_WORKERS", DEFAULT_WEB_WORKERS),
            help="gunicorn worker processes (MEDSERVICE_WEB_WORKERS)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=env_int("MEDSERVICE_WEB_THREADS", DEFAULT_WEB_THREADS),
            help="threads per gunicorn worker (MEDSERVICE_WEB_THREADS)",
        )
        parser.add_argument(
            "--huey-workers",
            type=int,
            default=env_int("MEDSERVICE_HUEY_WORKERS", DEFAULT_HUEY_WORKERS),
            help="huey consumer processes (MEDSERVICE_HUEY_WORKERS)",
        )

    def handle(self, *args, host, port, web_workers, threads, huey_workers, **options):
        layout = ProcessLayout(
            host=host,
            port=port,
            web_workers=web_workers,
            web_threads=threads,
            huey_workers=huey_workers,
            run_dir=default_run_dir(),
        )
        if problems := layout.problems():
            raise CommandError("; ".join(problems))
        layout.run_dir.mkdir(parents=True, exist_ok=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"medservice at http://{layout.bind}/ ({web_workers} web processes, "
                f"{huey_workers} background workers; Ctrl-C stops)"
            )
        )
        sys.stdout.flush()
        sys.stderr.flush()
        command = layout.supervisord_command()
        # Replaced, not wrapped: the signals sent to this process reach supervisord itself.
        os.execve(command[0], command, {**os.environ, **layout.environment()})  # noqa: S606
