import factory

from accounts.tests.factories import UserFactory
from customers.models import Contact, Department, Hospital, HospitalMembership, HospitalRole


class HospitalFactory(factory.django.DjangoModelFactory[Hospital]):
    class Meta:
        model = Hospital

    name = factory.Sequence(lambda n: f"Hospital {n}")
    time_zone = "Asia/Shanghai"


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department

    hospital = factory.SubFactory(HospitalFactory)
    name = factory.Sequence(lambda n: f"Department {n}")


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    hospital = factory.SubFactory(HospitalFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    phone = "0532-0000000"


def hospital_user(hospital, role=HospitalRole.EQUIPMENT_ADMIN, departments=(), **kwargs):
    """A user of ``hospital``: its equipment administrator, or a user of ``departments``."""
    user = UserFactory(**kwargs)
    membership = HospitalMembership.objects.create(user=user, hospital=hospital, role=role)
    membership.departments.set(departments)
    return user
