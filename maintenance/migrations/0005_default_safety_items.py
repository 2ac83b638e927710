"""The default templates' safety items (issue 12 §1): the self-test (开机自检), the leakage
current (漏电流, electrical safety), the safety performance test (安全性能检测) and any alarm
check are marked ``"safety": true``; failing one on a visit puts the device out of use.
Written out here: a migration never imports app code."""

from django.db import migrations

SAFETY_KEYS = {"self_test", "leakage_current", "safety"}
SAFETY_TYPES = {"pass_fail", "number"}


def _is_safety(item) -> bool:
    key = str(item.get("key") or "")
    return item.get("type") in SAFETY_TYPES and (key in SAFETY_KEYS or key.startswith("alarm"))


def _defaults(apps):
    Template = apps.get_model("maintenance", "MaintenancePlanTemplate")
    return Template.objects.filter(product_model=None, category="")


def load(apps, schema_editor):
    for template in _defaults(apps):
        checklist = [
            {**item, "safety": True} if isinstance(item, dict) and _is_safety(item) else item
            for item in template.checklist or []
        ]
        if checklist != template.checklist:
            template.checklist = checklist
            template.save(update_fields=["checklist"])


def unload(apps, schema_editor):
    for template in _defaults(apps):
        checklist = [
            {k: v for k, v in item.items() if k != "safety"} if isinstance(item, dict) else item
            for item in template.checklist or []
        ]
        if checklist != template.checklist:
            template.checklist = checklist
            template.save(update_fields=["checklist"])


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0004_special_visits_and_visit_photos")]

    operations = [migrations.RunPython(load, unload)]
