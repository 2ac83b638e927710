"""Who records a step in tests that are about the clock or the timeline, not about who may
record what (that is ``test_step_rules.py``)."""

from __future__ import annotations

from service.rules import may_record_step


def step_actor(request, kind: str, preferred):
    """``preferred`` when they may record ``kind`` on ``request``; else an engineer the
    request is dispatched to who may (arrivals, solutions, repairs); else nobody: the
    system itself, which the rules do not ask."""
    if preferred is None or may_record_step(preferred, request, kind):
        return preferred
    for engineer in request.engineers.all():
        if may_record_step(engineer, request, kind):
            return engineer
    return None
