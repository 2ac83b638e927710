"""One huey consumer of the supervised layout (``deploy/supervisord.conf``).

Every consumer runs what is queued; only worker 0 also schedules the periodic jobs (the SLA
sweep, the overdue sweeps, the heartbeat), so each fires once a minute however many
consumers run. More schedulers would not break anything (every sweep claims its rows with a
conditional UPDATE, and the heartbeat is an upsert), but each job would run M times.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Seconds a graceful stop (SIGINT) waits for running jobs before interrupting them.
SHUTDOWN_TIMEOUT = 20.0


class Command(BaseCommand):
    help = "Run huey consumer NUMBER of the layout; consumer 0 also schedules periodic jobs."

    def add_arguments(self, parser):
        parser.add_argument("--number", type=int, default=0)

    def handle(self, *args, number: int, **options):
        call_command(
            "run_huey", periodic=number == 0, verbose=False, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
