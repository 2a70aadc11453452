"""The rows a build writes, taken once per test process and written again for each test.

Building the demo organisation through the services (with its history) takes about half a
second; hundreds of tests ask for it. A `Snapshot` runs such a build once, in a transaction
it rolls back, and keeps every row the build added, in every table (history tables and
many-to-many tables included). `restore` then inserts the same rows, with the same primary
keys, in a statement or two a table: the database ends up as the build would have left it.

What differs from running the build again, and why it does not matter:

- Every date and time is moved forward by the time elapsed since the snapshot was taken, so
  the rows look written just now, as a fresh build's would, in the same order and with the
  same gaps between them (unless `move_times=False`: what the build returned, answers of the
  API say, may quote the stored times, which must then stay as they were).
- Each restored organisation gets a new design version (`design_changed`, as the build's
  own writes do): an analysis kept in this process under an earlier version of the same
  organisation id is never taken for the restored design.
- The primary keys are the snapshot's. A fresh build takes the next free ids; on SQLite,
  in a test that wrote nothing before, those are the same ids. `restore` refuses (returns
  False) when a row already holds one of those ids, and the caller builds afresh. On
  PostgreSQL the sequences are moved past the restored ids when they are not already.
- What the build kept outside the database (in this process, or on the connection) is not
  restored, except the design versions above. The builds snapshotted here keep nothing else.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

from teams.design_version import design_changed
from teams.models import Organisation


def _tables() -> list[type[models.Model]]:
    """Every model with a table of its own: many-to-many tables and the history models of
    django-simple-history included, proxies and unmanaged models left out."""
    seen, found = set(), []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        found.append(model)
    return found


def _all_rows(model: type[models.Model]) -> dict[Any, tuple]:
    """Every row of the table, by primary key."""
    names = [f.attname for f in model._meta.concrete_fields]
    return {row[0]: row[1:] for row in model._base_manager.values_list("pk", *names)}


@dataclass
class _Table:
    """The rows the build added to one table, as the INSERTs that write them again: as many
    rows to a statement as the database takes parameters for, so a statement or two a table."""

    model: type[models.Model]
    objs: list[models.Model]
    # Each row's parameters, ready for the database except the dates and times, which are
    # moved at each restore: (position in the row, value, how to adapt it) of each of those.
    params: list[list[Any]] = field(default_factory=list)
    times: list[list[tuple[int, datetime, Callable[[datetime], Any]]]] = field(
        default_factory=list)
    batch: int = 0
    inserts: dict[int, str] = field(default_factory=dict)  # by number of rows

    def prepare(self) -> None:
        quote = connection.ops.quote_name
        fields = self.model._meta.concrete_fields
        columns = ", ".join(quote(f.column) for f in fields)
        row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        # Django's own limit of parameters a statement (SQLite), and well under PostgreSQL's.
        self.batch = min(connection.ops.bulk_batch_size(fields, self.objs) or len(self.objs),
                         max(1, 32767 // len(fields)))
        for size in {min(self.batch, len(self.objs)), len(self.objs) % self.batch} - {0}:
            self.inserts[size] = (
                f"INSERT INTO {quote(self.model._meta.db_table)} ({columns}) "
                f"VALUES {', '.join([row_marks] * size)}"
            )
        for obj in self.objs:
            row, times = [], []
            for position, f in enumerate(fields):
                value = getattr(obj, f.attname)
                if isinstance(f, models.DateTimeField) and value is not None:
                    # A plain DateTimeField stores an aware value as the backend adapts it;
                    # at each restore that alone is done, for hundreds of values.
                    adapt = (connection.ops.adapt_datetimefield_value
                             if type(f) is models.DateTimeField and timezone.is_aware(value)
                             else partial(f.get_db_prep_save, connection=connection))
                    times.append((position, value, adapt))
                # The value as stored, as a raw save (loaddata) writes it: not `auto_now`'s.
                row.append(f.get_db_prep_save(value, connection))
            self.params.append(row)
            self.times.append(times)

    def write(self, cursor, shift: timedelta) -> None:
        rows = self.params if not shift else self._moved(shift)
        for start in range(0, len(rows), self.batch):
            chunk = rows[start:start + self.batch]
            cursor.execute(self.inserts[len(chunk)], [value for row in chunk for value in row])

    def _moved(self, shift: timedelta) -> list[list[Any]]:
        moved = []
        for row, times in zip(self.params, self.times, strict=True):
            row = list(row)
            for position, value, adapt in times:
                row[position] = adapt(value + shift)
            moved.append(row)
        return moved


@dataclass
class Snapshot:
    # The tables the build added rows to, in the order of the app registry: the foreign keys
    # are checked at the end of the transaction (SQLite and PostgreSQL both defer them), so
    # the order does not matter for them.
    tables: list[_Table]
    taken_at: datetime
    result: Any
    move_times: bool = True
    _prepared: bool = False
    _free_query: tuple[str, list] = ("", [])
    _sequences: str = ""
    _sequence_params: list = field(default_factory=list)

    @classmethod
    def take(cls, build: Callable[[], Any], *, move_times: bool = True) -> Snapshot | None:
        """Run `build` in a transaction that is rolled back, and keep the rows it added and
        what it returned. None (with a warning) when the build changed or deleted a row that
        was there before: restoring added rows alone would not reproduce it."""
        models_ = _tables()
        with transaction.atomic():
            before = {model: _all_rows(model) for model in models_}
            result = build()
            taken_at = timezone.now()
            tables, changed = [], []
            for model in models_:
                after = _all_rows(model)
                if any(after.get(pk) != row for pk, row in before[model].items()):
                    changed.append(model._meta.db_table)
                if after.keys() - before[model].keys():
                    old = before[model].keys()
                    tables.append(_Table(model, [
                        obj for obj in model._base_manager.order_by("pk") if obj.pk not in old
                    ]))
            transaction.set_rollback(True)
        if changed:
            warnings.warn(
                f"the build changed rows it did not add ({', '.join(changed)}): it is run "
                "afresh for each test", stacklevel=2,
            )
            return None
        return cls(tables=tables, taken_at=taken_at, result=result, move_times=move_times)

    def restore(self) -> bool:
        """Insert the snapshot's rows, unless one of their ids is taken (then False, and
        nothing is written)."""
        # The statements are made once: made through the ORM at each restore, they took half
        # as long as building the small organisation of tests/test_hostile_inputs.py.
        if not self._prepared:
            self._prepare()
        shift = timezone.now() - self.taken_at if self.move_times else timedelta(0)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(*self._free_query)
            if cursor.fetchone() is not None:
                return False
            for table in self.tables:
                table.write(cursor, shift)
            if self._sequences:
                cursor.execute(self._sequences, self._sequence_params)
            for table in self.tables:
                if table.model is Organisation:
                    for obj in table.objs:
                        design_changed(obj.pk)
        return True

    def _prepare(self) -> None:
        quote = connection.ops.quote_name
        checks, params = [], []
        for table in self.tables:
            table.prepare()
            pk = table.model._meta.pk
            pks = [obj.pk for obj in table.objs]
            name, column = quote(table.model._meta.db_table), quote(pk.column)
            if isinstance(pk, models.AutoField):
                # The ids the build took follow one another: one range is one short query.
                checks.append(f"SELECT 1 FROM {name} WHERE {column} BETWEEN %s AND %s")
                params += [min(pks), max(pks)]
            else:
                marks = ", ".join(["%s"] * len(pks))
                checks.append(f"SELECT 1 FROM {name} WHERE {column} IN ({marks})")
                params += [pk.get_db_prep_value(value, connection) for value in pks]
        self._free_query = (
            " UNION ALL ".join(f"SELECT * FROM ({check} LIMIT 1) AS t{i}"
                               for i, check in enumerate(checks)) or "SELECT 1 WHERE 1 = 0",
            params,
        )
        if connection.vendor == "postgresql":
            self._prepare_sequences()
        self._prepared = True

    def _prepare_sequences(self) -> None:
        """PostgreSQL: one statement that moves each sequence past the restored ids, where
        it is not already, so that the next row a test writes does not take one of them.
        (SQLite's AUTOINCREMENT moves past an id inserted explicitly by itself.)"""
        parts = []
        with connection.cursor() as cursor:
            for table in self.tables:
                pk = table.model._meta.pk
                if not isinstance(pk, models.AutoField):
                    continue
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)",
                               [table.model._meta.db_table, pk.column])
                (sequence,) = cursor.fetchone()
                if sequence is None:
                    continue
                highest = max(obj.pk for obj in table.objs)
                parts.append(
                    f"SELECT setval(%s, %s) FROM {sequence} "
                    "WHERE last_value + CASE WHEN is_called THEN 1 ELSE 0 END <= %s"
                )
                self._sequence_params += [sequence, highest, highest]
        self._sequences = " UNION ALL ".join(parts)
