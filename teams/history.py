"""Writing history: the entries that django-simple-history does not write by itself.

simple-history records each `save()` and `delete()` of a model instance through signals; the
models of the design stamp who is writing (`Actor.stamp`) before they save, and the history
row copies that stamp. Bulk writes (the people sync, roster and matrix imports) send no
signals, so they record here, in a fixed number of statements per thousand rows, never a
query per row. A design's copies and wipes (scenarios) write no per-row history at all:
the copy is recorded once, on the new organisation, and a promotion once, on its origin.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from teams.actor import Actor

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
    """History entries of `kind` for rows held in full in memory (after a `bulk_create`, or
    just before a delete). `actor` restamps them first, for a delete."""
    objects = list(objects)
    if not objects:
        return
    model = type(objects[0])
    history_model = model.history.model
    now = timezone.now()
    rows = []
    for obj in objects:
        if actor is not None:
            actor.stamp(obj)
        rows.append(
            history_model(
                history_date=now,
                history_type=kind,
                history_user_id=obj.updated_by_id,
                history_change_reason=reason or None,
                history_org=organisation_id,
                **{field.attname: getattr(obj, field.attname)
                   for field in history_model.tracked_fields},
            )
        )
    history_model.objects.bulk_create(rows, batch_size=BATCH)
    for field in history_model._history_m2m_fields:
        _record_m2m(field, objects, rows)


def _record_m2m(field, objects, rows) -> None:
    """The many-to-many rows (a person's dotted lines) as of each entry, in bulk: what
    simple-history does for one entry, for a thousand at once."""
    through = field.remote_field.through
    source = field.m2m_field_name()  # the through table's column pointing at `objects`
    target = field.m2m_reverse_field_name()
    links = defaultdict(list)
    for start in range(0, len(objects), BATCH):
        chunk = [obj.pk for obj in objects[start : start + BATCH]]
        for link, owner, other in through.objects.filter(
            **{f"{source}__in": chunk}
        ).values_list("id", f"{source}_id", f"{target}_id"):
            links[owner].append((link, other))
    m2m_model = HistoricalRecords.m2m_models[field]
    m2m_model.objects.bulk_create(
        [
            m2m_model(history=row, id=link, **{f"{source}_id": obj.pk, f"{target}_id": other})
            for obj, row in zip(objects, rows, strict=True)
            for link, other in links.get(obj.pk, ())
        ],
        batch_size=BATCH,
    )


def record_ids(
    model: type[models.Model], ids: list[int], kind: str, *, organisation_id: int
) -> None:
    """History entries for rows written in bulk by id (their values as now stored): one
    read and one insert per thousand rows."""
    for start in range(0, len(ids), BATCH):
        record(
            model.objects.filter(pk__in=ids[start : start + BATCH]),
            kind,
            organisation_id=organisation_id,
        )


def delete_recorded(
    model: type[models.Model],
    ids: list[int],
    *,
    organisation_id: int,
    actor: Actor,
    reason: str = "",
) -> None:
    """Delete rows by id, recording each one's last values and who deleted it: one read, one
    insert and one delete per thousand rows. Only for tables that nothing else points at
    (memberships and cells of the matrix): the delete cascades nowhere."""
    for start in range(0, len(ids), BATCH):
        rows = list(model.objects.filter(pk__in=ids[start : start + BATCH]))
        record(rows, DELETED, organisation_id=organisation_id, actor=actor, reason=reason)
        # A plain DELETE: the history is written above, and the signals of Model.delete()
        # would write it again, a row at a time.
        chunk = model.objects.filter(pk__in=[row.pk for row in rows])
        chunk._raw_delete(chunk.db)
