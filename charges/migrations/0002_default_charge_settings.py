"""Load the default rates of the charge statements: labor per hour and travel per trip, at
cost and at list price, in CNY. Defaults, not constants: edited in the admin (GUIDE 9).

Written out here on purpose: a migration must not import app code.
"""

from decimal import Decimal

from django.db import migrations

DEFAULTS = {
    "labor_hour_cost": Decimal("120.00"),
    "labor_hour_list": Decimal("180.00"),
    "travel_trip_cost": Decimal("200.00"),
    "travel_trip_list": Decimal("300.00"),
    "currency": "CNY",
}


def load(apps, schema_editor):
    ChargeSettings = apps.get_model("charges", "ChargeSettings")
    ChargeSettings.objects.get_or_create(pk=1, defaults=DEFAULTS)


def unload(apps, schema_editor):
    apps.get_model("charges", "ChargeSettings").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("charges", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
