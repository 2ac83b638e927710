"""The indexes the search box needs on PostgreSQL (issue 14 §4): pg_trgm GIN indexes on the
upper-cased text it finds by substring (``icontains`` compares ``UPPER(column)``), Chinese
included; for a text of two characters, which has no trigram ("黑屏"), the function
``search_bigrams`` (the distinct two-character pieces of a text) and GIN indexes of its
array (``core.search.ContainsPair``); btree indexes on the upper-cased serial number and
asset tag it compares exactly (``iexact``). The small tables (hospitals, departments, contacts, models) are read
whole faster than through an index. SQLite has no pg_trgm: there these operations do
nothing, and the search reads the tables (a small installation).

They live in the search app, which needs them, rather than in the apps that own the
tables: those apps' migrations stay as they are."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "search_request_number_trgm": "service_servicerequest USING gin (UPPER(number) gin_trgm_ops)",
    "search_request_symptom_trgm": (
        "service_servicerequest USING gin (UPPER(description) gin_trgm_ops)"
    ),
    "search_device_serial_trgm": "assets_device USING gin (UPPER(serial_number) gin_trgm_ops)",
    "search_device_asset_tag_trgm": "assets_device USING gin (UPPER(asset_tag) gin_trgm_ops)",
    "search_device_location_trgm": "assets_device USING gin (UPPER(location) gin_trgm_ops)",
    "search_request_symptom_bigram": (
        "service_servicerequest USING gin (search_bigrams(UPPER(description)))"
    ),
    "search_device_serial_bigram": "assets_device USING gin (search_bigrams(UPPER(serial_number)))",
    "search_device_asset_tag_bigram": "assets_device USING gin (search_bigrams(UPPER(asset_tag)))",
    "search_device_location_bigram": "assets_device USING gin (search_bigrams(UPPER(location)))",
    "search_device_serial_upper": "assets_device (UPPER(serial_number))",
    "search_device_asset_tag_upper": "assets_device (UPPER(asset_tag))",
}


class PostgresOnlySQL(migrations.RunSQL):
    """SQL that exists only on PostgreSQL; elsewhere the migration does nothing."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


# IMMUTABLE: an index may hold its result. An empty array for a text shorter than two.
BIGRAMS = """
CREATE OR REPLACE FUNCTION search_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ARRAY(
        SELECT DISTINCT substr(value, i, 2) FROM generate_series(1, char_length(value) - 1) AS i
    )
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0001_initial"),
        ("service", "0001_initial"),
    ]

    operations = [
        TrigramExtension(),
        PostgresOnlySQL(sql=BIGRAMS, reverse_sql="DROP FUNCTION IF EXISTS search_bigrams(text)"),
        *(
            PostgresOnlySQL(
                sql=f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
                reverse_sql=f"DROP INDEX IF EXISTS {name}",
            )
            for name, target in INDEXES.items()
        ),
    ]
