"""Existing statements under the review-and-send workflow (issue 12 §4).

States keep their values: a draft stays a draft (so its hospital no longer sees it until
the vendor reviews and sends it), a disputed statement stays disputed (its hospital still
sees it, and the service manager now answers it), an accepted one stays accepted. Their
history starts from what the rows know: drafted (when created), disputed (by whom, when,
with the reason) and accepted (by whom, when)."""

from django.db import migrations


def backfill(apps, schema_editor):
    ChargeStatement = apps.get_model("charges", "ChargeStatement")
    StatementEvent = apps.get_model("charges", "StatementEvent")
    events = []
    for statement in ChargeStatement.objects.filter(events__isnull=True).order_by("pk"):
        events.append(
            StatementEvent(
                statement=statement, kind="drafted", version=1, occurred_at=statement.created_at
            )
        )
        if statement.disputed_at is not None:
            events.append(
                StatementEvent(
                    statement=statement,
                    kind="disputed",
                    version=1,
                    actor_id=statement.disputed_by_id,
                    occurred_at=statement.disputed_at,
                    message=statement.dispute_comment,
                )
            )
        if statement.accepted_at is not None:
            events.append(
                StatementEvent(
                    statement=statement,
                    kind="accepted",
                    version=1,
                    actor_id=statement.accepted_by_id,
                    occurred_at=statement.accepted_at,
                    data={"content_hash": statement.content_hash},
                )
            )
    StatementEvent.objects.bulk_create(events, batch_size=500)


def forget(apps, schema_editor):
    apps.get_model("charges", "StatementEvent").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("charges", "0003_statement_review_send_history")]

    operations = [migrations.RunPython(backfill, forget)]
