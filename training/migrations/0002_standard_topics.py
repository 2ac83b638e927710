"""The seed's three standard training topics (§二, R-2.1 a-c), verbatim, as editable rows.
Written out here: a migration never imports app code. Idempotent (the test suite reloads
it after a flush): a topic whose key exists is left as an administrator edited it."""

from django.db import migrations

TOPICS = [
    # key, Chinese (the seed's words), English, order
    ("performance", "产品性能、特点、结构的原理及分析",
     "Product performance, features, structure and working principles", 10),
    ("installation", "产品应用及安装的要求及规范",
     "Application and installation requirements and norms", 20),
    ("operation-maintenance", "产品运行操作及维护保养的要点及注意事项",
     "Key points and cautions of operation and of maintenance and upkeep", 30),
]  # fmt: skip


def load(apps, schema_editor):
    Topic = apps.get_model("training", "TrainingTopic")
    for key, zh, en, order in TOPICS:
        Topic.objects.get_or_create(
            key=key,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "standard": True,
                "active": True,
                "sort_order": order,
            },
        )


def unload(apps, schema_editor):
    Topic = apps.get_model("training", "TrainingTopic")
    Topic.objects.filter(key__in=[key for key, *_ in TOPICS], sessions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0001_training_plans_and_sessions")]

    operations = [migrations.RunPython(load, unload)]
