import datetime as dt

import factory

from contracts.models import Contract, ContractDevice, MaintenanceAgreement
from customers.tests.factories import HospitalFactory


class ContractFactory(factory.django.DjangoModelFactory[Contract]):
    class Meta:
        model = Contract
        skip_postgeneration_save = True

    hospital = factory.SubFactory(HospitalFactory)
    number = factory.Sequence(lambda n: f"F-QD-{n:05d}")
    signed_on = dt.date(2025, 12, 1)
    warranty_months = 12

    @factory.post_generation
    def devices(self: Contract, create, extracted, **kwargs):  # self: the contract made
        for device in extracted or []:
            ContractDevice.objects.create(contract=self, device=device)


class MaintenanceAgreementFactory(factory.django.DjangoModelFactory[MaintenanceAgreement]):
    class Meta:
        model = MaintenanceAgreement
        skip_postgeneration_save = True

    hospital = factory.SubFactory(HospitalFactory)
    number = factory.Sequence(lambda n: f"F-MA-{n:05d}")
    starts_on = dt.date(2027, 1, 11)
    ends_on = dt.date(2028, 1, 10)

    @factory.post_generation
    def devices(self, create, extracted, **kwargs):
        if extracted:
            self.devices.set(extracted)
