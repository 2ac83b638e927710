"""Domain events of the service app, for the apps above it (issue 5 §1).

``service`` may not import ``parts``, ``charges`` or the others that build on it, yet some of
them must act when a request moves on (dispatching reserves parts, closing releases them).
So ``service`` publishes a plain Django signal *after the transaction commits* and the upper
app connects a thin receiver that calls one of its own services (docs/decisions.md). These
are not model signals: they fire from the service function, once per stored event.
"""

from __future__ import annotations

import django.dispatch

# Sent by ``service.services.service_request_record_event`` after the transaction that
# stored a NEW timeline event has committed (never for an idempotent replay, never if the
# transaction rolled back). ``sender`` is ``ServiceEvent``; keyword arguments:
#   request: the ``ServiceRequest`` (its engineers are set when the event carries them)
#   event:   the stored ``ServiceEvent`` (``event.type`` is a ``timeline.EventType`` value)
#   actor:   the ``User`` who recorded it, or None (an integration)
# A receiver's error is logged and never fails the event: it is already committed.
request_event_recorded = django.dispatch.Signal()
