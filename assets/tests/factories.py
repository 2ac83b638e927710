import datetime as dt

import factory

from assets.models import Device, EmergencyProcedure, MainComponent, ProductModel
from customers.tests.factories import DepartmentFactory


class ProductModelFactory(factory.django.DjangoModelFactory[ProductModel]):
    class Meta:
        model = ProductModel

    manufacturer = "Qingdun"
    name = factory.Sequence(lambda n: f"Model {n}")
    category = "monitoring"
    risk_class = "II"
    main_components = ["main board", "power supply"]


class DeviceFactory(factory.django.DjangoModelFactory[Device]):
    class Meta:
        model = Device

    product_model = factory.SubFactory(ProductModelFactory)
    serial_number = factory.Sequence(lambda n: f"SN{n:06d}")
    department = factory.SubFactory(DepartmentFactory)
    hospital = factory.SelfAttribute("department.hospital")
    installed_on = dt.date(2026, 1, 5)
    accepted_on = dt.date(2026, 1, 10)


class MainComponentFactory(factory.django.DjangoModelFactory[MainComponent]):
    class Meta:
        model = MainComponent

    device = factory.SubFactory(DeviceFactory)
    name = "main board"
    serial_number = factory.Sequence(lambda n: f"MB{n:06d}")
    installed_on = dt.date(2026, 1, 5)


class EmergencyProcedureFactory(factory.django.DjangoModelFactory[EmergencyProcedure]):
    class Meta:
        model = EmergencyProcedure

    department = factory.SubFactory(DepartmentFactory)
    product_model = factory.SubFactory(ProductModelFactory)
    title = "Emergency procedure"
    text = "Switch to the backup unit, call the hotline."
