"""notify_users: one inbox row per person, one e-mail per address, after commit, once."""

import pytest
from django.db import transaction

from accounts.tests.factories import UserFactory
from notify.models import InboxMessage
from notify.services import (
    inbox_mark_all_read,
    inbox_message_mark_read,
    notify_users,
)
from notify.tests.factories import InboxMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return [
        UserFactory(username="li", email="li@vendor.example"),
        UserFactory(username="wang", email="wang@vendor.example"),
        UserFactory(username="zhao", email=""),
    ]


def tell(users, prefix="alert:1", **extra):
    return notify_users(
        users=users,
        kind="alert",
        subject="SR-2026-000001: something\nhappened",
        body="Details",
        url="/service-requests/1/",
        dedupe_key_prefix=prefix,
        **extra,
    )


def test_one_row_per_user_and_one_email_per_address_after_commit(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = tell(people)
    assert len(rows) == 3
    assert mailoutbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == ["li@vendor.example", "wang@vendor.example"]
    message = mailoutbox[0]
    assert message.subject == "SR-2026-000001: something happened"  # no header injection
    assert "/service-requests/1/" in message.body
    assert set(InboxMessage.objects.values_list("user__username", "dedupe_key")) == {
        ("li", f"alert:1:{people[0].pk}"),
        ("wang", f"alert:1:{people[1].pk}"),
        ("zhao", f"alert:1:{people[2].pk}"),
    }


def test_the_same_alert_twice_tells_nobody_twice(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tell(people[:1])
        assert [row.user for row in tell(people)] == people[1:]
    assert InboxMessage.objects.count() == 3
    assert sorted(m.to[0] for m in mailoutbox) == ["li@vendor.example", "wang@vendor.example"]


def test_a_rolled_back_transaction_sends_nothing(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        tell(people)
        raise RuntimeError
    assert callbacks == []
    assert mailoutbox == []
    assert not InboxMessage.objects.exists()


def test_also_email_reaches_people_without_an_account(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tell([], also_email=["nurse@hospital.example", "nurse@hospital.example"])
    assert [m.to for m in mailoutbox] == [["nurse@hospital.example"]]
    assert not InboxMessage.objects.exists()


def test_a_mail_server_that_refuses_does_not_undo_the_inbox(
    people, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    with django_capture_on_commit_callbacks(execute=True):
        tell(people)  # port 9 (discard) is closed: the e-mail fails, the rows stay
    assert InboxMessage.objects.count() == 3


def test_mark_read(people):
    mine = InboxMessageFactory(user=people[0])
    other = InboxMessageFactory(user=people[1])
    inbox_message_mark_read(message=mine)
    first_read = InboxMessage.objects.get(pk=mine.pk).read_at
    assert first_read is not None
    inbox_message_mark_read(message=InboxMessage.objects.get(pk=mine.pk))
    assert InboxMessage.objects.get(pk=mine.pk).read_at == first_read  # the first read stays
    assert inbox_mark_all_read(user=people[1]) == 1
    assert InboxMessage.objects.get(pk=other.pk).read_at is not None
