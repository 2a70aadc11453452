"""Bulk writes the services share (the people sync, the scenario copy)."""

import json
import logging
from collections.abc import Sequence
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
    # A JSON value (a pipeline's required stages) is written as its text.
    as_json = [isinstance(by_name[name], models.JSONField) for name in varying]
    for position, name in enumerate(columns):
        if isinstance(by_name[name], models.JSONField) and base[position] is not None:
            base[position] = json.dumps(base[position])
    # Django's cursor wrapper has no copy(); the psycopg cursor under it has.
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = base.copy()
            for slot, value, text in zip(slots, row.values(), as_json, strict=True):
                values[slot] = json.dumps(value) if text and value is not None else value
            copy.write_row(values)


def copy_within(model, *, where: str, params: list, same: dict[str, Any],
                maps: dict[str, dict[int, int]] | None = None, self_refs: Sequence[str] = (),
                keep_map: bool = True) -> dict[int, int]:
    """Copy the rows of `model` that `where` selects (SQL on the source rows, aliased `s`,
    with `params`) into new rows, in one statement run inside PostgreSQL: no row travels
    to Python and back, so a design of 50,000 people is copied in a fraction of a second.
    Each new row takes a new id from the table's sequence (in the order of the old ids),
    `same` for the fields it names (by name or attribute name), the new id of the row a
    foreign key in `maps` names (attribute name -> old id -> new id, another table's copy)
    or in `self_refs` (a key to the same table: a manager), and every other field as the
    source row has it. Returns the map of ids (old -> new), or {} without `keep_map`.
    PostgreSQL only."""
    maps = maps or {}
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    by_name = {**{field.name: field for field in fields},
               **{field.attname: field for field in fields}}
    fixed = {by_name[name].attname: _plain(value) for name, value in same.items()}
    columns, values, joins, args = ["id"], ["m.new"], [], []
    for number, (attname, mapping) in enumerate(maps.items()):
        # Each map goes as two texts of comma-separated ids, split inside the database:
        # psycopg dumps a list of 50,000 ints to an array in a tenth of a second, joining
        # them to a text takes milliseconds.
        joins.append(f"LEFT JOIN unnest(string_to_array(%s, ',')::bigint[], "
                     f"string_to_array(%s, ',')::bigint[]) AS r{number}(old, new) "
                     f"ON r{number}.old = s.{quote(by_name[attname].column)}")
        args += [",".join(map(str, mapping)), ",".join(map(str, mapping.values()))]
    for number, attname in enumerate(self_refs):
        joins.append(f"LEFT JOIN map AS x{number} "
                     f"ON x{number}.old = s.{quote(by_name[attname].column)}")
    select_args = []
    for field in fields:
        columns.append(quote(field.column))
        if field.attname in fixed:
            value = fixed[field.attname]
            if isinstance(field, models.JSONField) and value is not None:
                value = json.dumps(value)
            values.append("%s")
            select_args.append(value)
        elif field.attname in maps:
            values.append(f"r{list(maps).index(field.attname)}.new")
        elif field.attname in self_refs:
            values.append(f"x{list(self_refs).index(field.attname)}.new")
        else:
            values.append(f"s.{quote(field.column)}")
    statement = (
        f"WITH map AS MATERIALIZED (SELECT s.id AS old, "
        f"nextval(pg_get_serial_sequence(%s, 'id')) AS new FROM "
        f"(SELECT s.id FROM {table} AS s WHERE {where} ORDER BY s.id) AS s), "
        f"made AS (INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {table} AS s JOIN map AS m ON m.old = s.id "
        f"{' '.join(joins)} WHERE {where}) "
        + ("SELECT old, new FROM map" if keep_map else "SELECT count(*) FROM map"))
    with connection.cursor() as cursor:
        # The parameters in the order their placeholders appear: the sequence, `where`'s,
        # the fixed values (in the SELECT list), the joined maps, `where`'s again (which
        # keeps the source rows read by their index, not the whole table's).
        cursor.execute(statement, [model._meta.db_table, *params, *select_args, *args,
                                   *params])
        rows = cursor.fetchall()
    return dict(rows) if keep_map else {}
