"""``manage.py seed_demo [--once]``: load the demo data and print the demo logins."""

import time

from django.core.management.base import BaseCommand

from demo.catalogue import DEMO_PASSWORD
from demo.seeding import demo_data_loaded, demo_logins, seed_demo


class Command(BaseCommand):
    help = (
        "Load the demo data (the seed's vendor, three hospitals, ~200 devices, contracts, "
        "~40 service requests) "
        "through the services. Idempotent: a second run creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="Do nothing (but print the logins) when the demo data is already loaded.",
        )

    def handle(self, *args, once: bool = False, **options):
        if once and demo_data_loaded():
            self.stdout.write("demo data already loaded")
        else:
            started = time.monotonic()
            report = seed_demo()
            seconds = time.monotonic() - started
            if report.created:
                made = ", ".join(f"{count} {kind}" for kind, count in report.created.items())
                self.stdout.write(
                    self.style.SUCCESS(f"Demo data created in {seconds:.1f} s: {made}.")
                )
            else:
                self.stdout.write("Demo data already complete: nothing created.")
            cover = " · ".join(f"{basis} {count}" for basis, count in sorted(report.cover.items()))
            self.stdout.write(f"Demo devices by cover today: {cover}")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write(f"  {'username':<12} {'password':<16} role")
        for username, role in demo_logins():
            self.stdout.write(f"  {username:<12} {DEMO_PASSWORD:<16} {role}")
