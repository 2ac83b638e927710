"""The domain events service publishes through the outbox (``core.outbox``), for the apps
above it: ``service`` may not import ``parts``, ``charges`` or the others that build on it,
yet some of them must act when a request moves on (dispatching reserves parts, closing
releases them). Service writes the event in the transaction of the change; an upper app
registers a handler for the names it cares about in its ``AppConfig.ready``.

Payloads hold ids only; a handler reads the rows it needs.
"""

from __future__ import annotations

from collections.abc import Iterable

from core import outbox

from .timeline import EventType

# {request_id, device_id, hospital_id}
REQUEST_OPENED = "service.request_opened"
# {request_id, event_id (None when the contract's dedicated engineers were taken at
# opening), engineer_ids}
ENGINEERS_ASSIGNED = "service.engineers_assigned"
# {milestone_id, request_id, key}: claimed by the escalation sweep, once each.
MILESTONE_AT_RISK = "service.milestone_at_risk"
MILESTONE_BREACHED = "service.milestone_breached"


def step_recorded(type: str) -> str:
    """The event of a newly stored timeline step, one name per step type
    ("service.request_dispatched", "service.request_closed" …), so that a handler is
    delivered only the steps it reacts to. Payload: {request_id, event_id, type, actor_id}."""
    return f"service.request_{EventType(type).value}"


STEPS_RECORDED = frozenset(step_recorded(t) for t in EventType)


def publish_opened(*, request_id: int, device_id: int, hospital_id: int) -> None:
    outbox.publish(
        REQUEST_OPENED,
        {"request_id": request_id, "device_id": device_id, "hospital_id": hospital_id},
    )


def publish_step(*, request_id: int, event_id: int, type: str, actor_id: int | None) -> None:
    outbox.publish(
        step_recorded(type),
        {"request_id": request_id, "event_id": event_id, "type": type, "actor_id": actor_id},
    )


def publish_engineers_assigned(
    *, request_id: int, event_id: int | None, engineer_ids: Iterable[int]
) -> None:
    outbox.publish(
        ENGINEERS_ASSIGNED,
        {"request_id": request_id, "event_id": event_id, "engineer_ids": list(engineer_ids)},
    )
