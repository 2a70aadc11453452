"""Bulk writes the services share (the people sync, the scenario copy)."""

import logging
from enum import Enum
from functools import partial
from typing import Any

from django.db import DatabaseError, connection, models, transaction

logger = logging.getLogger(__name__)

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
    transaction.on_commit(partial(_vacuum, tables))


def _vacuum(tables: str) -> None:
    """VACUUM the tables once the load is committed (it cannot run inside a transaction):
    it marks the new rows visible to all in the visibility map, so counting an
    organisation's people reads the index alone (3 ms at L instead of 13 ms, which read each
    row). Autovacuum would, later, where it is on. A failure here loses nothing: the load
    is committed; it is logged."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {tables}")
    except DatabaseError:
        logger.exception("VACUUM %s after a bulk load failed", tables)


def _plain(value: Any) -> Any:
    """A value as COPY writes it: a row by its id, a choice by its value."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Enum):
        return value.value
    return value


def reserve_ids(model, count: int) -> list[int]:
    """`count` new ids of `model`'s table, taken from its sequence in one query, for rows
    that point at each other (a manager) to be written with their ids in one COPY.
    PostgreSQL only."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_insert(model, rows: list[dict[str, Any]], *, same: dict[str, Any]) -> None:
    """Insert rows with PostgreSQL's `COPY ... FROM STDIN`: the fastest load there is, with
    every constraint and index of the table checked as for an INSERT (a violation raises,
    and the transaction writes nothing). Each row gives the same fields, by attribute name
    (`manager_id`), and `same` the values of every row (the attribution, by name or
    attribute name: a row or None); other fields take their default. Each row's `id` comes
    from `reserve_ids`. PostgreSQL only."""
    if not rows:
        return
    fields = list(model._meta.concrete_fields)
    by_name = {**{field.name: field for field in fields},
               **{field.attname: field for field in fields}}
    template = {field.attname: _plain(field.get_default()) for field in fields}
    template.update({by_name[name].attname: _plain(value) for name, value in same.items()})
    varying = list(rows[0])
    unknown = [name for name in varying if name not in template]
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(unknown)}")
    columns = list(template)
    # Where each varying value goes in the row written.
    slots = [columns.index(name) for name in varying]
    quote = connection.ops.quote_name
    statement = (f"COPY {quote(model._meta.db_table)} "
                 f"({', '.join(quote(by_name[name].column) for name in columns)}) FROM STDIN")
    base = list(template.values())
    # Django's cursor wrapper has no copy(); the psycopg cursor under it has.
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = base.copy()
            for slot, value in zip(slots, row.values(), strict=True):
                values[slot] = value
            copy.write_row(values)
