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
