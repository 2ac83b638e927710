"""Parts reacting to the service timeline (issue 5 §1). Thin: each receiver calls one
service of ``parts.dispatch``; no business logic here (GUIDE: none in signals).

Connected in ``PartsConfig.ready`` to ``service.signals.request_event_recorded``, which
service sends after the event's transaction committed. A dispatch must never fail because of
parts: a refused reservation is logged and swallowed.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError

from service.timeline import EventType

from . import dispatch

logger = logging.getLogger(__name__)


def _never_fails(receiver):
    def wrapper(sender, *, request, event, actor=None, **kwargs):
        try:
            receiver(request=request, event=event, actor=actor)
        except ValidationError:
            logger.exception("parts: %s of request %s not handled", event.type, request.pk)

    # Named like the receiver, but not through functools.wraps: its ``__wrapped__`` makes
    # inspect.signature report the receiver's own signature (no **kwargs), and with DEBUG on
    # Django refuses to connect a receiver that does not accept keyword arguments.
    wrapper.__name__ = receiver.__name__
    wrapper.__qualname__ = receiver.__qualname__
    wrapper.__doc__ = receiver.__doc__
    return wrapper


@_never_fails
def reserve_on_dispatch(*, request, event, actor) -> None:
    if event.type == EventType.DISPATCHED and (
        engineer := dispatch.dispatch_engineer(request, event)
    ):
        dispatch.parts_reserve_for_dispatch(
            request=request, engineer=engineer, user=actor, event_id=event.pk
        )


@_never_fails
def release_on_close(*, request, event, actor) -> None:
    if event.type == EventType.CLOSED:
        dispatch.parts_release_for_request(request=request, user=actor)
