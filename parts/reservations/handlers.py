"""Parts reacting to the service timeline (issue 5 §1) through the outbox: dispatching
reserves the parts the symptom calls for, closing gives back what is still held. Thin: each
handler reads the rows named by the event and calls one service of ``parts.reservations.services``.

Registered in ``PartsConfig.ready`` for the events ``service`` publishes with each stored
step (``service.events``). They run in the worker after the step committed, so a dispatch
never fails because of parts; a handler that raises (a refused reservation) is retried
with backoff and its error stays in sight in the admin's outbox deliveries.

Both are idempotent, keyed by the service event: a reservation carries the key
``dispatch-<event>-<part>`` and is made once; a release gives back only what is still held.
"""

from __future__ import annotations

from core.models import OutboxEvent
from service.events import step_recorded
from service.models import ServiceEvent
from service.timeline import EventType

from . import services as dispatch

RESERVE_ON_DISPATCH = "parts.reserve_on_dispatch"
RELEASE_ON_CLOSE = "parts.release_on_close"
DISPATCHED = step_recorded(EventType.DISPATCHED)
CLOSED = step_recorded(EventType.CLOSED)


def _service_event(event: OutboxEvent) -> ServiceEvent:
    return ServiceEvent.objects.select_related("request", "actor").get(pk=event.payload["event_id"])


def reserve_on_dispatch(event: OutboxEvent) -> None:
    step = _service_event(event)
    if engineer := dispatch.dispatch_engineer(step.request, step):
        dispatch.parts_reserve_for_dispatch(
            request=step.request, engineer=engineer, user=step.actor, event_id=step.pk
        )


def release_on_close(event: OutboxEvent) -> None:
    step = _service_event(event)
    dispatch.parts_release_for_request(request=step.request, user=step.actor)
