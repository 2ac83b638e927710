"""The seed's promises as the default SLA policies (see docs/requirements.md, "Where the seed
contradicts itself"), a 24×7 calendar (R-6.2) and a working-hours calendar for contracts
that use one. Written out here: a migration never imports app code."""

from datetime import time, timedelta

from django.db import migrations

CALENDARS = [
    # key, zh, en, kind, opens, closes
    ("24x7", "全天候（7×24 小时）", "Around the clock (24×7)", "around_the_clock", None, None),
    ("working-hours-cn", "工作时间（中国节假日）", "Working hours (China holidays)",
     "working_hours", time(8, 0), time(17, 30)),
]  # fmt: skip

H, M = timedelta(hours=1), timedelta(minutes=1)
POLICIES = {
    "standard": {
        "names": ("标准报修", "Standard"),
        "default_for": "normal",
        "milestones": [
            # key, zh, en, starts at, met by, target, skipped by a remote fix
            ("on_site", "到场", "Engineer on site", "reported", ["arrived"], 4 * H, True),
            ("solution", "提出解决方案", "Solution proposed", "arrived",
             ["solution_proposed", "resolved"], 1 * H, True),
            ("resolved", "修复完成", "Repair done", "reported",
             ["resolved", "remote_resolved"], 12 * H, False),
            ("restored", "恢复使用", "Use restored", "reported",
             ["loaner_installed", "resolved", "remote_resolved"], 24 * H, False),
        ],
    },
    "emergency": {
        "names": ("紧急报修", "Emergency"),
        "default_for": "emergency",
        "milestones": [
            ("callback", "回电", "Called back", "reported",
             ["callback", "remote_resolved"], 15 * M, False),
            ("on_site", "到场", "Engineer on site", "reported", ["arrived"], 8 * H, True),
            ("resolved", "排除故障", "Fault cleared", "reported",
             ["resolved", "remote_resolved"], 12 * H, False),
        ],
    },
}  # fmt: skip


def load(apps, schema_editor):
    SlaCalendar = apps.get_model("service", "SlaCalendar")
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    MilestoneDefinition = apps.get_model("service", "MilestoneDefinition")
    for key, zh, en, kind, opens, closes in CALENDARS:
        SlaCalendar.objects.get_or_create(
            key=key,
            defaults={"name_zh": zh, "name_en": en, "kind": kind, "opens": opens, "closes": closes},
        )
    around_the_clock = SlaCalendar.objects.get(key="24x7")
    for key, spec in POLICIES.items():
        zh, en = spec["names"]
        policy, _ = SlaPolicy.objects.get_or_create(
            key=key,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "calendar": around_the_clock,
                "default_for": spec["default_for"],
            },
        )
        for position, (mkey, mzh, men, starts, met_by, target, skipped) in enumerate(
            spec["milestones"]
        ):
            MilestoneDefinition.objects.get_or_create(
                policy=policy,
                key=mkey,
                defaults={
                    "name_zh": mzh,
                    "name_en": men,
                    "position": position,
                    "starts_at": starts,
                    "met_by": met_by,
                    "target": target,
                    "skipped_by_remote": skipped,
                },
            )


def unload(apps, schema_editor):
    apps.get_model("service", "SlaPolicy").objects.all().delete()
    apps.get_model("service", "SlaCalendar").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
