"""The seed's three plan kinds as default templates for every device (product model and
category both empty), with the default numbers and short checklists. Written out here: a
migration never imports app code."""

from django.db import migrations

BASE = [
    {"key": "appearance", "label": "外观及连接线检查", "type": "pass_fail"},
    {"key": "self_test", "label": "开机自检", "type": "pass_fail"},
]
LEAKAGE = {
    "key": "leakage_current",
    "label": "漏电流",
    "type": "number",
    "unit": "µA",
    "max": 100,
}
TEMPLATES = [
    # kind, every (months), tolerance (± days), checklist
    ("patrol", 1, 7, BASE),
    ("inspection", 3, 14, [*BASE, LEAKAGE]),
    ("overhaul", 12, 30, [
        *BASE,
        LEAKAGE,
        {"key": "safety", "label": "安全性能检测", "type": "pass_fail"},
        {"key": "remarks", "label": "备注", "type": "text"},
    ]),
]  # fmt: skip


def load(apps, schema_editor):
    Template = apps.get_model("maintenance", "MaintenancePlanTemplate")
    for kind, months, tolerance, checklist in TEMPLATES:
        Template.objects.get_or_create(
            kind=kind,
            product_model=None,
            category="",
            active=True,
            defaults={
                "interval_months": months,
                "tolerance_days": tolerance,
                "checklist": checklist,
            },
        )


def unload(apps, schema_editor):
    Template = apps.get_model("maintenance", "MaintenancePlanTemplate")
    Template.objects.filter(
        product_model=None, category="", kind__in=[kind for kind, *_ in TEMPLATES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0001_maintenance_plans_and_visits")]

    operations = [migrations.RunPython(load, unload)]
