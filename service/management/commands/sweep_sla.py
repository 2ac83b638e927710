"""``manage.py sweep_sla``: run one escalation sweep now and print what it sent."""

from django.core.management.base import BaseCommand

from service.escalation import sweep


class Command(BaseCommand):
    help = "Send the SLA alerts that are due (at risk, breached, spare parts first) once."

    def handle(self, *args, **options):
        result = sweep()
        self.stdout.write(
            f"at risk: {result.at_risk}, breached: {result.breached}, "
            f"spare parts prompts: {result.spare_parts_prompts}"
        )
