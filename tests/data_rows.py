"""Test support shared by the project's conftest and by Django ``TestCase`` classes, whose
``setUpTestData`` runs before any pytest fixture. It lives in the test tree, not in ``core``:
it knows the domain's data migrations, and ``core`` imports no app (docs/architecture.md)."""

from __future__ import annotations

import importlib

# The data migrations whose rows (charge rules, SLA policies, plan templates, training
# topics, charge settings) are part of the schema's promise.
DATA_MIGRATIONS = (
    "contracts.migrations.0002_default_charge_rules",
    "service.migrations.0002_default_policies",
    "maintenance.migrations.0002_default_plan_templates",
    "maintenance.migrations.0005_default_safety_items",
    "training.migrations.0002_standard_topics",
    "charges.migrations.0002_default_charge_settings",
)


def reload_data_migration_rows() -> None:
    """Put back the data migrations' rows when a transactional test has flushed them. The
    loaders are idempotent, and a flush empties every table, so one check stands for all."""
    from django.apps import apps

    from service.models import SlaPolicy

    if not SlaPolicy.objects.exists():
        for module in DATA_MIGRATIONS:
            importlib.import_module(module).load(apps, None)
