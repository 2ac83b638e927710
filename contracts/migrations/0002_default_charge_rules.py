"""Load the seed's charge rules (R-3.4, R-6.3, R-7.7, R-7.8) and coverage settings.

The values are written out here on purpose: a migration must not import app code, so
later edits of ``contracts.coverage.DEFAULT_PRICES`` never rewrite history.
"""

from django.db import migrations

FREE, COST, LIST = "free", "cost", "list"
LINES = ("parts", "labor", "travel")
DEFAULTS = {
    # basis: (quality: parts, labor, travel), (non_quality: parts, labor, travel)
    "warranty": ((FREE, FREE, FREE), (COST, FREE, FREE)),
    "extended_warranty": ((FREE, FREE, FREE), (COST, FREE, FREE)),
    "not_accepted": ((FREE, FREE, FREE), (COST, FREE, FREE)),
    "agreement": ((FREE, FREE, FREE), (COST, FREE, FREE)),
    "none": ((COST, LIST, LIST), (COST, LIST, LIST)),
}


def load(apps, schema_editor):
    ChargeRule = apps.get_model("contracts", "ChargeRule")
    CoverageSettings = apps.get_model("contracts", "CoverageSettings")
    for basis, (quality, non_quality) in DEFAULTS.items():
        for cause, prices in (("quality", quality), ("non_quality", non_quality)):
            for line, pricing in zip(LINES, prices, strict=True):
                ChargeRule.objects.get_or_create(
                    basis=basis, cause=cause, line=line, defaults={"pricing": pricing}
                )
    CoverageSettings.objects.get_or_create(
        pk=1,
        defaults={
            "default_warranty_months": 12,
            "component_warranty_months": 12,
            "undetermined_as": "quality",
        },
    )


def unload(apps, schema_editor):
    apps.get_model("contracts", "ChargeRule").objects.all().delete()
    apps.get_model("contracts", "CoverageSettings").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
