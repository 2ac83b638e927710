"""A delivering worker for ``test_outbox_kill.py``, run as a separate process:
``python -m core.tests.outbox_worker GATE_DIR [batch]`` with the suite's database in
DATABASE_URL.

It registers the probe handler with a blocking tail (test-only: never in the project's
code), then runs ``manage.py outbox_deliver``, the real delivery path. The handler writes its
effect and, for an event whose payload does not say ``"block": false``, says so by creating
``GATE_DIR/reached`` and waits, inside the delivery's open transaction and holding its
claim, for ``GATE_DIR/release`` (the test kills it first). With ``batch`` the handler is
registered as database-only, so the rows before the blocking one share its transaction."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main(gate: Path, *, batch: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medservice.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from core import outbox
    from core.models import OutboxEvent
    from core.tests.outbox_probe import PROBE, write_effect

    def blocking_probe(event: OutboxEvent) -> None:
        write_effect(event)
        if not event.payload.get("block", True):
            return
        (gate / "reached").write_text(str(event.pk))
        deadline = time.monotonic() + 300
        while not (gate / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    outbox.register(PROBE, events=[PROBE], func=blocking_probe, database_only=batch)
    call_command("outbox_deliver")


if __name__ == "__main__":
    main(Path(sys.argv[1]), batch=sys.argv[2:] == ["batch"])
