import factory

from accounts.models import User, VendorRole


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    password = factory.django.Password("pw")
    vendor_role = ""


class VendorUserFactory(UserFactory):
    vendor_role = VendorRole.MANAGER


def vendor_user(role: str, **kwargs) -> User:
    return UserFactory(vendor_role=role, **kwargs)
