"""The demo's calendar feeds (issue 4 §5): one engineer's own feed and one hospital's,
made through ``agenda.services.calendar_feed_create``.

A feed's address is shown once, when it is created, and only its hash is kept, so these
feeds' addresses are known to nobody: a demo user who wants an address to subscribe to
makes his own on the calendar's "New feed" page (/calendar/feeds/new/). The feeds here
show what the "My calendar feeds" list looks like. A feed that exists (same owner, same
calendar, not revoked) is left alone, so a second run creates nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from accounts.models import User
from agenda.models import CalendarFeed, FeedScope
from agenda.services import calendar_feed_create
from customers.models import Hospital

ENGINEER_FEED = ("engineer1", "张伟的日程")  # owner and subject, name
HOSPITAL_FEED = ("h1-admin", "h1", "设备科日程")  # owner, hospital key, name


def seed_agenda(
    *, users: Mapping[str, User], hospitals: Mapping[str, Hospital], created: Counter
) -> None:
    engineer_name, engineer_feed_name = ENGINEER_FEED
    engineer = users[engineer_name]
    if (
        not CalendarFeed.objects.active()
        .filter(owner=engineer, scope=FeedScope.ENGINEER, engineer=engineer)
        .exists()
    ):
        calendar_feed_create(
            owner=engineer, scope=FeedScope.ENGINEER, engineer=engineer, name=engineer_feed_name
        )  # the token is dropped on purpose: it is never printed
        created["calendar feeds"] += 1

    owner_name, hospital_key, hospital_feed_name = HOSPITAL_FEED
    owner, hospital = users[owner_name], hospitals[hospital_key]
    if (
        not CalendarFeed.objects.active()
        .filter(owner=owner, scope=FeedScope.HOSPITAL, hospital=hospital)
        .exists()
    ):
        calendar_feed_create(
            owner=owner, scope=FeedScope.HOSPITAL, hospital=hospital, name=hospital_feed_name
        )
        created["calendar feeds"] += 1
