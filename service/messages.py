"""Words for the timeline's refusals: the pure rules give codes, people read sentences."""

from django.utils.translation import gettext as _

from .timeline import EventType


def event_label(event_type: str) -> str:
    labels = {
        EventType.CALLBACK: _("call back"),
        EventType.REMOTE_RESOLVED: _("fixed by phone"),
        EventType.DISPATCHED: _("dispatch"),
        EventType.ARRIVED: _("arrival on site"),
        EventType.DEPARTED: _("left the site"),
        EventType.SOLUTION_PROPOSED: _("solution proposed"),
        EventType.PAUSED: _("pause"),
        EventType.RESUMED: _("resume"),
        EventType.LOANER_INSTALLED: _("loaner installed"),
        EventType.RESOLVED: _("repair done"),
        EventType.CUSTOMER_SIGNED: _("customer signature"),
        EventType.FILED: _("filing"),
        EventType.CLOSED: _("closing"),
        EventType.REOPENED: _("reopening"),
        EventType.CALL: _("call from the hospital"),
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
        "already_on_site": _(
            "The engineer is already on site since the last arrival. If they left in "
            "between, record that they left first."
        ),
        "departed_not_on_site": _("Nobody is on site: there is no arrival to leave from."),
        "already_proposed": _("A solution is already proposed on this trip."),
        "already_signed": _("The customer has already signed."),
        "already_filed": _("The signed record is already filed."),
        "already_dispatched": _("This dispatch is already recorded."),
        "already_called_back": _("The call-back is already recorded."),
        "resolved_before_arrival": _(
            "Nobody has arrived on site yet: record the arrival first, or record a fix by "
            "phone instead."
        ),
        "signed_before_resolution": _("The customer signs after the repair is done."),
        "filed_before_signature": _("Only a record signed by the customer can be filed."),
        "closed_before_resolution": _("The request cannot be closed before the repair is done."),
        "reopen_while_open": _("Only a resolved or closed request can be reopened."),
        "root_cause_missing": _(
            "An emergency request cannot be closed without its root-cause report."
        ),
        "unknown_event": _("Unknown event."),
    }
    message = messages.get(code, code)
    return _("%(event)s refused: %(reason)s") % {
        "event": event_label(event_type),
        "reason": message,
    }


def step_refusal_message(event_type: str) -> str:
    """Why this user may not record this step: who records it instead."""
    who = {
        EventType.CALLBACK: _("the hotline, a manager or an engineer of the request"),
        EventType.DISPATCHED: _("the hotline or a manager"),
        EventType.ARRIVED: _("an engineer the request is dispatched to"),
        EventType.DEPARTED: _("an engineer the request is dispatched to"),
        EventType.SOLUTION_PROPOSED: _("an engineer the request is dispatched to"),
        EventType.RESOLVED: _("an engineer the request is dispatched to"),
        EventType.REMOTE_RESOLVED: _("an engineer of the request or a manager"),
        EventType.PAUSED: _("an engineer of the request or a manager"),
        EventType.RESUMED: _("an engineer of the request or a manager"),
        EventType.LOANER_INSTALLED: _("an engineer of the request or a manager"),
        EventType.CUSTOMER_SIGNED: _("the customer, by signing the repair record"),
        EventType.FILED: _("the office or the hotline"),
        EventType.CLOSED: _("the office or the hotline"),
        EventType.REOPENED: _("the office or the hotline"),
        EventType.CALL: _("the hotline"),
    }
    return _("You may not record this step (%(step)s): it is recorded by %(who)s.") % {
        "step": event_label(event_type),
        "who": who.get(EventType(event_type), "—") if event_type in set(EventType) else "—",
    }
