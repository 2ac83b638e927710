"""The demo's calendar feeds: one engineer's, one hospital's, and nothing more on a second
run."""

from __future__ import annotations

from collections import Counter

from agenda.models import CalendarFeed
from demo.agenda_seeding import seed_agenda


def test_seed_agenda_is_idempotent(two, capsys):
    users = {"engineer1": two.engineer, "h1-admin": two.a_admin}
    hospitals = {"h1": two.a}
    created: Counter = Counter()
    seed_agenda(users=users, hospitals=hospitals, created=created)
    assert created["calendar feeds"] == 2
    feeds = CalendarFeed.objects.order_by("scope")
    assert [(f.scope, f.owner, f.target) for f in feeds] == [
        ("engineer", two.engineer, two.engineer),
        ("hospital", two.a_admin, two.a),
    ]
    seed_agenda(users=users, hospitals=hospitals, created=created)
    assert created["calendar feeds"] == 2 and CalendarFeed.objects.count() == 2
    assert "cal_" not in capsys.readouterr().out  # no token is printed
