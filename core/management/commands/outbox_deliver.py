"""Deliver the due outbox rows now, in this process (what the worker does every minute):
for an operator who does not want to wait, and for a machine without a running worker."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from core.outbox import deliver_due


class Command(BaseCommand):
    help = "Deliver the pending outbox rows whose time has come and print the counts."

    def handle(self, *args, **options):
        self.stdout.write(str(deliver_due()))
