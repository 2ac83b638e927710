"""The inbox pages: one's own messages only, unread first, read when opened."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from accounts.tests.factories import UserFactory
from notify.context_processors import inbox as inbox_context
from notify.models import InboxMessage
from notify.tests.factories import InboxMessageFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def me(client):
    user = UserFactory(username="me")
    client.force_login(user)
    return user


def test_the_inbox_lists_my_messages_unread_first(client, me):
    InboxMessageFactory(user=me, subject="old read", created_at=T0, read_at=T0)
    InboxMessageFactory(
        user=me, subject="newer read", created_at=T0 + dt.timedelta(hours=2), read_at=T0
    )
    InboxMessageFactory(user=me, subject="old unread", created_at=T0 - dt.timedelta(hours=1))
    InboxMessageFactory(user=me, subject="new unread", created_at=T0 + dt.timedelta(hours=1))
    InboxMessageFactory(subject="someone else's")
    response = client.get(reverse("notify:inbox"))
    assert response.status_code == 200
    subjects = [m.subject for m in response.context["page_obj"]]
    assert subjects == ["new unread", "old unread", "newer read", "old read"]
    body = response.content.decode()
    assert "someone else" not in body
    assert response.context["unread"] == 2
    assert reverse("notify:mark_all_read") in body


def test_opening_a_message_marks_it_read_and_follows_its_link(client, me):
    message = InboxMessageFactory(user=me, url="/service-requests/7/")
    response = client.get(reverse("notify:message", args=[message.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/service-requests/7/"
    message.refresh_from_db()
    assert message.read_at is not None


def test_a_message_without_a_safe_link_is_shown_in_place(client, me):
    for url in ("", "https://evil.example/phish"):
        message = InboxMessageFactory(user=me, url=url, body="Line one\nLine two")
        response = client.get(reverse("notify:message", args=[message.pk]))
        assert response.status_code == 200
        assert "Line one" in response.content.decode()


def test_someone_elses_message_is_not_found(client, me):
    theirs = InboxMessageFactory()
    assert client.get(reverse("notify:message", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_is_a_post_and_touches_only_mine(client, me):
    InboxMessageFactory.create_batch(3, user=me)
    theirs = InboxMessageFactory()
    assert client.get(reverse("notify:mark_all_read")).status_code == 405
    response = client.post(reverse("notify:mark_all_read"))
    assert response.status_code == 302
    assert not InboxMessage.objects.filter(user=me, read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_needs_a_login(client):
    message = InboxMessageFactory()
    for url in (reverse("notify:inbox"), reverse("notify:message", args=[message.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_the_badge_counts_my_unread_messages_only_when_shown(me, django_assert_num_queries):
    InboxMessageFactory.create_batch(2, user=me)
    InboxMessageFactory(user=me, read_at=T0)
    InboxMessageFactory()
    request = RequestFactory().get("/")
    request.user = me
    with django_assert_num_queries(0):
        context = inbox_context(request)  # counted lazily: pages without the badge pay nothing
    with django_assert_num_queries(1):
        rendered = Template(
            "{% if inbox_unread_count %}{{ inbox_unread_count }}{% endif %}"
        ).render(Context(context))
    assert rendered == "2"


def test_no_badge_for_anonymous_visitors():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert inbox_context(request) == {}
