import factory

from accounts.tests.factories import UserFactory
from notify.models import InboxMessage


class InboxMessageFactory(factory.django.DjangoModelFactory[InboxMessage]):
    class Meta:
        model = InboxMessage

    user = factory.SubFactory(UserFactory)
    kind = "test"
    subject = factory.Sequence(lambda n: f"Message {n}")
    body = "Something happened."
    url = "/"
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")


def routes_off() -> None:
    """Switch every route off, as an administrator can in the admin: tests that count
    other messages (the sweep's alerts) are not told of the new request itself."""
    from notify.models import NotificationRoute
    from notify.routing import routed_kinds, routes_seed

    routes_seed()
    assert routed_kinds()
    NotificationRoute.objects.update(active=False)
