"""A test-only outbox handler, registered by the tests that use it (a fixture here, the
worker script ``core/tests/outbox_worker.py`` there), never by the project's own code.

Its database effect is an ``OutboxEvent`` named ``EFFECT`` pointing at the event it handled:
a plain row without a unique key, so an effect done twice would show as two rows."""

from __future__ import annotations

from collections.abc import Callable

from core.models import OutboxEvent

PROBE = "tests.probe"
EFFECT = "tests.probe_effect"


def write_effect(event: OutboxEvent) -> None:
    OutboxEvent.objects.create(name=EFFECT, payload={"of": event.pk})


def effects_of(event: OutboxEvent) -> int:
    return OutboxEvent.objects.filter(name=EFFECT, payload__of=event.pk).count()


class Probe:
    """The in-process handler: writes its effect, then does what the test says."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.then: Callable[[OutboxEvent], None] | None = None

    def __call__(self, event: OutboxEvent) -> None:
        self.calls.append(event.pk)
        write_effect(event)
        if self.then is not None:
            self.then(event)
