"""Words for the timeline's refusals: the pure rules give codes, people read sentences."""

from django.utils.translation import gettext as _

from .timeline import EventType


def event_label(event_type: str) -> str:
    labels = {
        EventType.CALLBACK: _("call back"),
        EventType.REMOTE_RESOLVED: _("fixed by phone"),
        EventType.DISPATCHED: _("dispatch"),
        EventType.ARRIVED: _("arrival on site"),
        EventType.SOLUTION_PROPOSED: _("solution proposed"),
        EventType.PAUSED: _("pause"),
        EventType.RESUMED: _("resume"),
        EventType.LOANER_INSTALLED: _("loaner installed"),
        EventType.RESOLVED: _("repair done"),
        EventType.CUSTOMER_SIGNED: _("customer signature"),
        EventType.FILED: _("filing"),
        EventType.CLOSED: _("closing"),
        EventType.REOPENED: _("reopening"),
    }
    return (
        str(labels.get(EventType(event_type), event_type))
        if event_type in set(EventType)
        else event_type
    )


def timeline_message(code: str, event_type: str) -> str:
    messages = {
        "after_closed": _("The request is closed: only reopening it is possible."),
        "already_paused": _("The clock is already paused."),
        "already_resolved": _("The request is already resolved."),
        "resume_without_pause": _("The clock is not paused, so it cannot resume."),
        "solution_before_arrival": _("A solution is proposed on site: record the arrival first."),
        "resolved_before_arrival": _(
            "Nobody has arrived on site yet: record the arrival first, or record a fix by "
            "phone instead."
        ),
        "signed_before_resolution": _("The customer signs after the repair is done."),
        "filed_before_signature": _("Only a record signed by the customer can be filed."),
        "closed_before_resolution": _("The request cannot be closed before the repair is done."),
        "reopen_while_open": _("Only a resolved or closed request can be reopened."),
        "root_cause_missing": _(
            "An emergency request cannot be closed without its root-cause report (R-5.5)."
        ),
        "unknown_event": _("Unknown event."),
    }
    message = messages.get(code, code)
    return _("%(event)s refused: %(reason)s") % {
        "event": event_label(event_type),
        "reason": message,
    }
