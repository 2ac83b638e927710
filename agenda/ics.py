"""Calendar entries as an iCalendar (RFC 5545) feed that phones subscribe to.

All-day entries are ``DTSTART;VALUE=DATE`` with an exclusive ``DTEND`` (the next day for
a one-day entry), so a visit due on 1 March is on 1 March in every zone; timed entries
are written in UTC, which every calendar app converts to its own zone."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

from core.agenda import CalendarEntry

PRODID = "-//medservice//calendar feed//EN"
REFRESH = timedelta(hours=1)
ICS_STATUS = {"cancelled": "CANCELLED"}


def _event(entry: CalendarEntry, *, stamp: datetime, absolute: Callable[[str], str]) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    event.add("summary", entry.title)
    if isinstance(entry.starts, datetime):
        event.add("dtstart", entry.starts.astimezone(UTC))
        if isinstance(entry.ends, datetime):
            event.add("dtend", entry.ends.astimezone(UTC))
    else:
        ends = entry.ends if isinstance(entry.ends, date) else None
        if ends is None or isinstance(ends, datetime) or ends <= entry.starts:
            ends = entry.starts + timedelta(days=1)
        event.add("dtstart", entry.starts)
        event.add("dtend", ends)
    if entry.url:
        event.add("url", absolute(entry.url))
    location = entry.location or entry.hospital_name
    if location:
        event.add("location", location)
    if entry.description:
        event.add("description", entry.description)
    event.add("status", ICS_STATUS.get(entry.state, "CONFIRMED"))
    event.add("categories", [entry.kind])
    return event


def feed_ics(
    entries: Iterable[CalendarEntry],
    *,
    name: str,
    time_zone: str,
    absolute: Callable[[str], str] = lambda path: path,
    now: datetime | None = None,
) -> bytes:
    """The feed's bytes; ``absolute`` turns an entry's path into an absolute URL."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", time_zone)
    # How often a subscribing app should look again (Apple's and RFC 7986's spellings).
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    seen: set[str] = set()
    for entry in entries:
        if entry.uid in seen:  # one event per UID, even if two sources overlap
            continue
        seen.add(entry.uid)
        calendar.add_component(_event(entry, stamp=stamp, absolute=absolute))
    return calendar.to_ical()
