"""Writing history: the entries that django-simple-history does not write by itself.

simple-history records each `save()` and `delete()` of a model instance through signals; the
models of the design stamp who is writing (`Actor.stamp`) before they save, and the history
row copies that stamp. Bulk writes (the people sync, roster and matrix imports) send no
signals, so they record here, in a fixed number of statements per thousand rows, never a
query per row. A design's copy (a scenario) writes no per-row history: it is recorded once,
on the new organisation. A promotion records one entry on its origin and, in bulk, a
deletion entry for every row it removes, so each can be brought back.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connection, models
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from teams.actor import Actor
from teams.design_version import design_changed

BATCH = 1000
ADDED, CHANGED, DELETED = "+", "~", "-"
# The reason on the memberships deleted with their team, by which restoring the team finds them.
WITH_ITS_TEAM = "Deleted with its team"
WITH_ITS_PIPELINE = "Deleted with its pipeline"


def organisation_of(instance) -> int | None:
    """The organisation a row of the design belongs to (its own id for an organisation)."""
    if hasattr(instance, "organisation_id"):
        return instance.organisation_id
    if hasattr(instance, "team_id"):  # a membership or a cell of the matrix
        parent = "pipeline" if hasattr(instance, "pipeline_id") else "team"
        return getattr(instance, parent).organisation_id
    return instance.pk  # the organisation itself


@receiver(pre_create_historical_record)
def _file_entry(sender, instance, history_instance, **kwargs) -> None:
    """An entry written by simple-history's signals: its organisation, and its author, the
    login stamped on the row (by id: the user need not be loaded)."""
    history_instance.history_org = organisation_of(instance)
    history_instance.history_user_id = instance.updated_by_id
    # Whatever is recorded changed the design: the analyses kept of it are out of date.
    design_changed(history_instance.history_org)


@contextmanager
def left_out(instance):
    """Writes to `instance` (its saves, its many-to-many changes) that simple-history is not
    to record: the caller records them itself, as one entry."""
    instance.skip_history_when_saving = True
    try:
        yield instance
    finally:
        del instance.skip_history_when_saving


def record(
    objects: Iterable[models.Model],
    kind: str,
    *,
    organisation_id: int,
    actor: Actor | None = None,
    reason: str = "",
) -> None:
    """History entries of `kind` for rows just written in bulk (or about to be deleted),
    with their values as stored. `actor`, for a delete, is who deleted them."""
    objects = list(objects)
    if objects:
        record_ids(type(objects[0]), [obj.pk for obj in objects], kind,
                   organisation_id=organisation_id, actor=actor, reason=reason)


def record_ids(
    model: type[models.Model],
    ids: list[int],
    kind: str,
    *,
    organisation_id: int,
    actor: Actor | None = None,
    reason: str = "",
) -> None:
    """History entries for rows by id, copied by the database itself: one
    `INSERT ... SELECT` (and one more for their many-to-many rows, a person's dotted lines)
    for all of them on PostgreSQL, which takes the ids as one array, and per thousand rows
    elsewhere. Building the entries in Python doubled the time of a 50,000 person sync
    (docs/performance.md)."""
    if not ids:
        return
    design_changed(organisation_id)
    history_model = model.history.model
    quote = connection.ops.quote_name
    now = history_model._meta.get_field("history_date").get_db_prep_value(
        timezone.now(), connection
    )
    # The entry's columns, and what each is copied from: the row's own column, or, for a
    # delete, who deleted it.
    stamp = actor.fields() if actor is not None else {}
    columns, sources, params = [], [], []
    for field in history_model.tracked_fields:
        columns.append(field.column)
        if field.name in stamp:
            value = stamp[field.name]
            sources.append("%s")
            params.append(getattr(value, "pk", value))
        else:
            sources.append(quote(field.column))
    author = ("%s", [stamp["updated_by"].pk if stamp.get("updated_by") else None]) \
        if actor is not None else (quote("updated_by_id"), [])
    columns += ["history_date", "history_type", "history_change_reason", "history_org",
                "history_user_id"]
    sources += ["%s", "%s", "%s", "%s", author[0]]
    params += [now, kind, reason or None, organisation_id, *author[1]]
    insert = (
        f"INSERT INTO {quote(history_model._meta.db_table)} "
        f"({', '.join(map(quote, columns))}) "
        f"SELECT {', '.join(sources)} FROM {quote(model._meta.db_table)} WHERE id "
    )
    size = len(ids) if connection.vendor == "postgresql" else BATCH
    with connection.cursor() as cursor:
        for start in range(0, len(ids), size):
            among, chunk = _among(ids[start : start + size])
            cursor.execute(insert + among, [*params, *chunk])
            for field in history_model._history_m2m_fields:
                _record_m2m(cursor, field, history_model, (among, chunk), now, kind)


def _among(ids: list[int]) -> tuple[str, list]:
    """A condition that a column is one of `ids`, and its parameters: one array on
    PostgreSQL, a parameter each elsewhere. The array is unnested into a set the planner
    joins with: `= ANY(array)` compares each row with each element, minutes for 50,000."""
    if connection.vendor == "postgresql":
        return "IN (SELECT unnest(%s::bigint[]))", [ids]
    return f"IN ({', '.join(['%s'] * len(ids))})", ids


def _record_m2m(cursor, field, history_model, among: tuple[str, list], now, kind) -> None:
    """The many-to-many rows (a person's dotted lines) as of the entries just written: what
    simple-history does for one entry, for many at once (`among`: which, from `_among`)."""
    quote = connection.ops.quote_name
    through = field.remote_field.through
    m2m_model = HistoricalRecords.m2m_models[field]
    source = through._meta.get_field(field.m2m_field_name()).column
    target = through._meta.get_field(field.m2m_reverse_field_name()).column
    history = m2m_model._meta.get_field("history").column
    # The rows of the chosen people first (none, for new people), then the entries of just
    # those. Left to itself, PostgreSQL joined every entry of the same instant (50,000 after a
    # sync, estimated at 60) with every chosen id: minutes.
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    cursor.execute(
        f"WITH t AS {materialized} (SELECT id, {quote(source)}, {quote(target)} "
        f"FROM {quote(through._meta.db_table)} WHERE {quote(source)} {among[0]}) "
        f"INSERT INTO {quote(m2m_model._meta.db_table)} "
        f"(id, {quote(source)}, {quote(target)}, {quote(history)}) "
        f"SELECT t.id, t.{quote(source)}, t.{quote(target)}, h.history_id "
        f"FROM t JOIN {quote(history_model._meta.db_table)} h ON h.id = t.{quote(source)} "
        f"WHERE h.history_date = %s AND h.history_type = %s",
        [*among[1], now, kind],
    )


def delete_recorded(
    model: type[models.Model],
    ids: list[int],
    *,
    organisation_id: int,
    actor: Actor,
    reason: str = "",
) -> None:
    """Delete rows by id, recording each one's last values and who deleted it: one insert and
    one delete per thousand rows. Only for tables that nothing else points at (memberships
    and cells of the matrix): the delete cascades nowhere."""
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        record_ids(model, chunk, DELETED, organisation_id=organisation_id, actor=actor,
                   reason=reason)
        # A plain DELETE: the history is written above, and the signals of Model.delete()
        # would write it again, a row at a time.
        rows = model.objects.filter(pk__in=chunk)
        rows._raw_delete(rows.db)
