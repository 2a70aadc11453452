"""Bulk writes the services share (the people sync, the scenario copy)."""

from django.db import connection

BATCH = 500  # rows per bulk statement: well under SQLite's variable limit


def bulk_update(model, objects: list, fields: list[str]) -> None:
    """Write the given fields of many rows.

    On PostgreSQL one `UPDATE ... FROM (VALUES ...)` per thousand rows. Django's
    bulk_update builds a CASE per field and row: a sync changing the title of 50,000 people
    took 77 s with it over every field, 12 s over the changed field only, and 4.8 s in all
    with this (docs/performance.md). Elsewhere (SQLite) Django's bulk_update.
    """
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, fields, batch_size=BATCH)
        return
    columns = [model._meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(["id", *(connection.ops.quote_name(c.column) for c in columns)])
    assignments = ", ".join(
        f"{connection.ops.quote_name(c.column)} = v.{connection.ops.quote_name(c.column)}"
        f"::{c.db_type(connection)}"
        for c in columns
    )
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objects), 1000):
            chunk = objects[start : start + 1000]
            params = []
            for obj in chunk:
                params.append(obj.pk)
                params.extend(
                    c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns
                )
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} "
                f"FROM (VALUES {', '.join([row] * len(chunk))}) AS v({names}) "
                "WHERE t.id = v.id::bigint",
                params,
            )


# A bulk write that changes at least this many rows refreshes the planner's statistics.
ANALYZE_FROM_ROWS = 1000


def analyze(*models) -> None:
    """Refresh PostgreSQL's statistics of these tables after a bulk load. Without it the
    planner believes a table that just grew from 0 to 50,000 rows still holds a handful, and
    sorts all of them before a LIMIT instead of reading an index (docs/performance.md).
    Autovacuum would catch up, but only after the first pages had been slow. SQLite: nothing."""
    if connection.vendor != "postgresql" or not models:
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
