"""One filter definition per list (GUIDE 14): the inbox page and GET /inbox share one
FilterSet; each person sees their own messages only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from core.tests.apiclient import Api, locs
from core.tests.filtering import assert_one_definition
from notify.filters import InboxFilterSet
from notify.tests.factories import InboxMessageFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)


def test_the_inbox_has_one_filter_definition(client):
    me = UserFactory(username="me")
    read = InboxMessageFactory(user=me, subject="read", created_at=T0, read_at=T0)
    unread = InboxMessageFactory(user=me, subject="unread", created_at=T0)
    InboxMessageFactory(subject="someone else's", created_at=T0)
    client.force_login(me)
    page = client.get(reverse("notify:inbox"))
    assert_one_definition(client, InboxFilterSet, api_path="/inbox", page_response=page)
    assert list(page.context["page_obj"]) == [unread, read]
    api = Api(client, me)
    body = api.get("/inbox").json()
    assert [m["id"] for m in body["items"]] == [unread.pk, read.pk]
    assert body["items"][0]["subject"] == "unread" and body["items"][0]["read_at"] is None

    page = client.get(reverse("notify:inbox"), {"unread": "true"})
    assert list(page.context["page_obj"]) == [unread]
    assert [m["id"] for m in api.get("/inbox", unread="true").json()["items"]] == [unread.pk]
    page = client.get(reverse("notify:inbox"), {"unread": "false"})
    assert list(page.context["page_obj"]) == [read]
    assert [m["id"] for m in api.get("/inbox", unread="false").json()["items"]] == [read.pk]
    assert locs(api.get("/inbox", unread="perhaps")) == [["query", "unread"]]
    # The page ignores what it cannot read, as a search box does.
    assert client.get(reverse("notify:inbox"), {"unread": "perhaps"}).status_code == 200
