"""Reading a design's history, and restoring from it.

Every model of the design keeps a history table (django-simple-history, see
`teams.history`), each entry filed under its organisation. A page of one design's history is a
UNION over those tables, newest first, then the page's entries and the ones before them (for
the values before and after) by table, and the names they refer to: a fixed number of
queries whatever the size of the design or of its history.

Restoring goes through the services, like every other write: an earlier value of a person,
team, membership, pipeline, cell or of the settings is written back; a deleted team or
pipeline comes back with the same id, with the memberships or cells deleted with it, and a
deleted cell or membership comes back if both its ends are still there. A promotion records
every row it removes as deleted (`orgdesign.scenarios.services`), so a team or pipeline it removed
comes back the same way, with the memberships or cells it removed whose other end is back;
a person it removed is refused (the services make no person with a given id). This module
writes to both apps' tables, so it lives above them, like the scenarios.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from pipelines import services as pipeline_services
from pipelines.models import Engagement, Pipeline, Position
from teams import history as recording
from teams import services
from teams.actor import Actor
from teams.models import Door, Level, Membership, Organisation, Person, Team

PER_PAGE = 50
# How long before a team's (or pipeline's) deletion its memberships (or cells) may have been
# deleted with it: the same transaction, so well within this.
WITH_ITS_PARENT = datetime.timedelta(minutes=5)

# The object types of a design's history, as named in URLs and filters.
KINDS: dict[str, type[models.Model]] = {
    "person": Person,
    "team": Team,
    "membership": Membership,
    "pipeline": Pipeline,
    "engagement": Engagement,
    "position": Position,
    "level": Level,
    "organisation": Organisation,
}
KIND_LABELS = {
    "person": "Person",
    "team": "Team",
    "membership": "Membership",
    "pipeline": "Pipeline",
    "engagement": "Cell of the matrix",
    "position": "Position",
    "level": "Level and cost",
    "organisation": "Settings",
}
ACTIONS = {recording.ADDED: "added", recording.CHANGED: "changed", recording.DELETED: "deleted"}

# Columns that say who wrote a row or when it was made: shown as the entry's author, not as
# changes of the object.
_NOT_SHOWN = {"id", "organisation", "updated_by", "updated_by_token", "updated_via",
              "created_at", "scim_deleted_at", "scenario_of"}
# A person entry's dotted lines, as kept with it (simple-history's table of them).
_LINES = ("historicalperson_dotted_line_managers_set",)
DOTTED = "Dotted-line managers"


def dotted_line_ids(record) -> list[int]:
    """The dotted-line managers a person entry holds (prefetched with the entry)."""
    return sorted(row.to_person_id for row in getattr(record, _LINES[0]).all())


# Which referenced objects' names a field needs.
_REFERENCES = {"manager": "person", "lead": "person", "pm_owner": "person",
               "ml_head": "person", "person": "person", "team": "team", "pipeline": "pipeline"}


@dataclass(frozen=True)
class Filters:
    """What a history page shows: all of a design's changes, or those of one object type,
    door, person, team or pipeline, in a range of dates (both ends included)."""

    kind: str = ""
    door: str = ""
    person: int | None = None
    team: int | None = None
    pipeline: int | None = None
    position: int | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None
    # Whether the reader may see money: the level table's history is an admin's alone.
    money: bool = False

    def tables(self) -> dict[str, dict]:
        """The tables to read and the conditions on each, beyond the organisation."""
        about: dict[str, dict] = {kind: {} for kind in KINDS if self.money or kind != "level"}
        if self.person is not None:
            about = {"person": {"id": self.person}, "membership": {"person_id": self.person}}
        if self.position is not None:
            about = {"position": {"id": self.position}}
        if self.team is not None:
            about = {kind: {**about[kind], **cond} for kind, cond in {
                "team": {"id": self.team}, "membership": {"team_id": self.team},
                "engagement": {"team_id": self.team}, "position": {"team_id": self.team},
            }.items() if kind in about}
        if self.pipeline is not None:
            about = {kind: {**about[kind], **cond} for kind, cond in {
                "pipeline": {"id": self.pipeline},
                "engagement": {"pipeline_id": self.pipeline},
                "position": {"pipeline_id": self.pipeline},
            }.items() if kind in about}
        if self.kind:
            about = {self.kind: about[self.kind]} if self.kind in about else {}
        common = {}
        if self.door:
            common["updated_via"] = self.door
        if self.since:
            common["history_date__gte"] = _midnight(self.since)
        # Up to the end of `until`: the midnight after it, which the last day a date can
        # be (9999-12-31) does not have; nothing is later than that day anyway.
        if self.until and self.until < datetime.date.max:
            common["history_date__lt"] = _midnight(self.until + datetime.timedelta(days=1))
        return {kind: {**common, **cond} for kind, cond in about.items()}


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    kind: str
    record: models.Model  # the historical row
    previous: models.Model | None
    subject: str = ""
    changes: list[Change] = field(default_factory=list)

    @property
    def action(self) -> str:
        return ACTIONS[self.record.history_type]

    @property
    def restorable(self) -> bool:
        return self.kind in _RESTORERS

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def door(self) -> str:
        return Door(self.record.updated_via).label if self.record.updated_via else ""

    @property
    def author(self) -> str:
        if self.record.updated_by_id is not None:
            user = self.record.updated_by
            return user.get_username() if user else f"user #{self.record.updated_by_id}"
        if self.record.updated_by_token_id is not None:
            token = self.record.updated_by_token
            return f"token {token.name}" if token else "a revoked token"
        return "the system"

    @property
    def reason(self) -> str:
        return self.record.history_change_reason or ""


def history_queryset(organisation: Organisation, filters: Filters):
    """A design's history entries, newest first, as (history_date, history_id, kind) rows."""
    parts = [
        KINDS[kind].history.filter(history_org=organisation.pk, **conditions)
        .annotate(history_kind=Value(kind, output_field=models.CharField()))
        .values_list("history_date", "history_id", "history_kind")
        .order_by()
        for kind, conditions in filters.tables().items()
    ]
    if not parts:
        return Person.history.none().values_list("history_date", "history_id")
    first, *rest = parts
    return first.union(*rest, all=True).order_by("-history_date", "-history_id")


def history_page(organisation: Organisation, filters: Filters, number=1, per_page=PER_PAGE):
    """One page of a design's history (a Paginator page of Entry), in a fixed number of
    queries: the count, the page, then per table on the page its rows and the ones before
    them, then the names the entries refer to."""
    page = Paginator(history_queryset(organisation, filters), per_page).get_page(number)
    page.object_list = entries_of(list(page.object_list))
    return page


def entries_of(rows: list[tuple]) -> list[Entry]:
    ids_by_kind: dict[str, list[int]] = defaultdict(list)
    for _, history_id, kind in rows:
        ids_by_kind[kind].append(history_id)
    records, previous = {}, {}
    for kind, ids in ids_by_kind.items():
        model = KINDS[kind].history.model
        # Entries written together (a sync) share their date: the id orders them then.
        earlier = model.objects.filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id")),
            id=OuterRef("id"),
        ).order_by("-history_date", "-history_id")
        lines = _LINES if kind == "person" else ()
        found = list(
            model.objects.filter(history_id__in=ids)
            .select_related("updated_by", "updated_by_token")
            .prefetch_related(*lines)
            .annotate(previous_id=Subquery(earlier.values("history_id")[:1]))
        )
        before = {
            row.history_id: row
            for row in model.objects.filter(
                history_id__in=[r.previous_id for r in found if r.previous_id]
            ).prefetch_related(*lines)
        }
        for record in found:
            records[kind, record.history_id] = record
            previous[kind, record.history_id] = before.get(record.previous_id)
    entries = [
        Entry(kind, records[kind, history_id], previous[kind, history_id])
        for _, history_id, kind in rows
    ]
    names = _names(entries)
    for entry in entries:
        entry.subject = _subject(entry, names)
        entry.changes = _changes(entry, names)
    return entries


def _names(entries: list[Entry]) -> dict[str, dict[int, str]]:
    """The names of the people, teams and pipelines the entries refer to: from the design,
    else from their own last history entry (a team deleted since, say)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        for record in (entry.record, entry.previous):
            if record is None:
                continue
            if entry.kind in ("person", "team", "pipeline"):
                wanted[entry.kind].add(record.id)
            for name, kind in _REFERENCES.items():
                value = getattr(record, f"{name}_id", None)
                if value is not None:
                    wanted[kind].add(value)
            if entry.kind == "person":
                wanted["person"].update(dotted_line_ids(record))
    names: dict[str, dict[int, str]] = {}
    for kind, ids in wanted.items():
        model = KINDS[kind]
        found = dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))
        missing = ids - found.keys()
        if missing:
            for pk, name in (
                model.history.filter(id__in=missing)
                .order_by("history_date", "history_id")
                .values_list("id", "name")
            ):
                found[pk] = name  # the newest wins
        names[kind] = found
    return names


def _name(names, kind: str, pk: int | None) -> str:
    if pk is None:
        return "—"
    return names.get(kind, {}).get(pk) or f"{kind} #{pk}"


def _subject(entry: Entry, names) -> str:
    record = entry.record
    if entry.kind == "membership":
        return (f"{_name(names, 'person', record.person_id)} in "
                f"{_name(names, 'team', record.team_id)}")
    if entry.kind == "engagement":
        return (f"{_name(names, 'team', record.team_id)} in "
                f"{_name(names, 'pipeline', record.pipeline_id)}")
    if entry.kind == "position":
        return f"{record.title} in {_name(names, 'team', record.team_id)}"
    if entry.kind in ("organisation", "level"):
        return record.name
    return _name(names, entry.kind, record.id) if entry.kind != "person" else record.name


def _display(record, model_field, names) -> str:
    if record is None:
        return ""
    if model_field.name in _REFERENCES:
        return _name(names, _REFERENCES[model_field.name],
                     getattr(record, model_field.attname))
    value = getattr(record, model_field.attname)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value or ""))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def _changes(entry: Entry, names) -> list[Change]:
    """The fields an entry changed, with the values before and after. An addition shows what
    it was added with, a deletion what was deleted."""
    record, previous = entry.record, entry.previous
    model = KINDS[entry.kind]
    changes = []
    for model_field in model._meta.concrete_fields:
        if model_field.name in _NOT_SHOWN or model_field.name not in _tracked(record):
            continue
        label = str(model_field.verbose_name)
        label = label[:1].upper() + label[1:]
        if record.history_type == recording.ADDED:
            after = _display(record, model_field, names)
            if after:
                changes.append(Change(label, "", after))
        elif record.history_type == recording.DELETED:
            before = _display(record, model_field, names)
            if before:
                changes.append(Change(label, before, ""))
        else:
            before = _display(previous, model_field, names) if previous else "?"
            after = _display(record, model_field, names)
            if previous is None or before != after:
                changes.append(Change(label, before, after))
    if entry.kind == "person":
        lines = _dotted_lines(record, names)
        if record.history_type == recording.ADDED and lines:
            changes.append(Change(DOTTED, "", lines))
        elif record.history_type == recording.DELETED and lines:
            changes.append(Change(DOTTED, lines, ""))
        elif record.history_type == recording.CHANGED and previous is not None:
            earlier = _dotted_lines(previous, names)
            if earlier != lines:
                changes.append(Change(DOTTED, earlier or "none", lines or "none"))
    return changes


def _dotted_lines(record, names) -> str:
    return ", ".join(_name(names, "person", pk) for pk in dotted_line_ids(record))


def _tracked(record) -> set[str]:
    return {f.name for f in type(record).tracked_fields}


# Restoring ---------------------------------------------------------------------------------


def record_of(organisation: Organisation, kind: str, history_id: int):
    """One history entry of the design, or None (another design's, or none at all)."""
    if kind not in KINDS:
        return None
    return KINDS[kind].history.filter(history_org=organisation.pk, history_id=history_id).first()


@transaction.atomic
def restore(organisation: Organisation, kind: str, record, *, actor: Actor) -> str:
    """Write the values of a history entry back into the design, through the services, and
    say what was done. Raises ValidationError when it cannot be (an end of a cell is gone,
    a name is taken since, a manager would close a loop...)."""
    if kind not in _RESTORERS:
        raise ValidationError(
            "Positions and levels are not restored from history: edit them on their page."
        )
    return _RESTORERS[kind](organisation, record, actor)


def _live(model, organisation: Organisation, pk: int | None):
    if pk is None:
        return None
    if model is Organisation:
        return organisation if pk == organisation.pk else None
    return model.objects.filter(organisation=organisation, pk=pk).first()


def _person_or_none(organisation, pk):
    """A referenced person, or None when they are gone from the design (a promotion)."""
    return _live(Person, organisation, pk)


def _restore_person(organisation, record, actor) -> str:
    person = _live(Person, organisation, record.id)
    if person is None:
        raise ValidationError(
            f"{record.name} is no longer in this design (a promotion replaced its people)."
        )
    lines = dotted_line_ids(record)
    services.person_update(
        person=person,
        dotted_line_managers=list(Person.objects.filter(organisation=organisation, pk__in=lines)),
        name=record.name,
        external_id=record.external_id,
        email=record.email,
        user_name=record.user_name,
        given_name=record.given_name,
        family_name=record.family_name,
        title=record.title,
        department=record.department,
        role=record.role,
        manager=_person_or_none(organisation, record.manager_id),
        active=record.active,
        worker_type=record.worker_type,
        user_type=record.user_type,
        level=record.level,
        actor=actor,
    )
    return f"{record.name} is as they were on {record.history_date:%Y-%m-%d %H:%M} UTC."


def _restore_team(organisation, record, actor) -> str:
    values = {
        "name": record.name,
        "kind": record.kind,
        "lead": _person_or_none(organisation, record.lead_id),
        "kpi": record.kpi,
        "kpi_type": record.kpi_type,
        "external_id": record.external_id,
    }
    team = _live(Team, organisation, record.id)
    if team is not None:
        services.team_update(team=team, actor=actor, **values)
        return f"{record.name} is as it was on {record.history_date:%Y-%m-%d %H:%M} UTC."
    team = services.team_create(organisation=organisation, id=record.id, actor=actor, **values)
    brought = _bring_back(
        Membership, organisation, actor, reason=recording.WITH_ITS_TEAM, team_id=team.pk,
        other=("person_id", Person), values=("allocation",),
    )
    return f"{team.name} is back, with {brought} membership{'s' if brought != 1 else ''}."


def _restore_pipeline(organisation, record, actor) -> str:
    values = {
        "name": record.name,
        "pm_owner": _person_or_none(organisation, record.pm_owner_id),
        "lifecycle": record.lifecycle,
        "tier": record.tier,
        "metric": record.metric,
        "required_stages": record.required_stages,
    }
    pipeline = _live(Pipeline, organisation, record.id)
    if pipeline is not None:
        pipeline_services.pipeline_update(pipeline=pipeline, actor=actor, **values)
        return f"{record.name} is as it was on {record.history_date:%Y-%m-%d %H:%M} UTC."
    pipeline = pipeline_services.pipeline_create(
        organisation=organisation, id=record.id, actor=actor, **values
    )
    brought = _bring_back(
        Engagement, organisation, actor, reason=recording.WITH_ITS_PIPELINE,
        pipeline_id=pipeline.pk, other=("team_id", Team), values=("role", "effort"),
    )
    return f"{pipeline.name} is back, with {brought} cell{'s' if brought != 1 else ''}."


def _bring_back(model, organisation, actor, *, reason, other, values, **parent) -> int:
    """Recreate, in bulk, the rows deleted with their team or pipeline when it was last
    deleted (in the same transaction: just before it, recorded with `reason`, or with the
    reason of the parent's own entry when a promotion removed them all), where their other
    end is still in the design. Rows deleted with an earlier deletion of it stay deleted."""
    (parent_field, parent_id), = parent.items()
    other_field, other_model = other
    parent_model = Team if parent_field == "team_id" else Pipeline
    last = parent_model.history.filter(
        history_org=organisation.pk, id=parent_id, history_type=recording.DELETED
    ).order_by("-history_date", "-history_id").first()
    if last is None:
        # Removed without an entry (by a promotion before promotions recorded what they
        # removed): nothing is known to have gone with it.
        return 0
    reasons = [reason, last.history_change_reason] if last.history_change_reason else [reason]
    deleted = {}
    for row in model.history.filter(
        history_org=organisation.pk, history_type=recording.DELETED,
        history_change_reason__in=reasons,
        history_date__gte=last.history_date - WITH_ITS_PARENT,
        history_date__lte=last.history_date,
        **parent,
    ).order_by("history_date", "history_id"):
        # The newest wins.
        deleted[getattr(row, other_field)] = {name: getattr(row, name) for name in values}
    alive = set(
        other_model.objects.filter(organisation=organisation, pk__in=deleted).values_list(
            "pk", flat=True
        )
    )
    rows = [
        model(**{parent_field: parent_id, other_field: other_id, **kept}, **actor.fields())
        for other_id, kept in deleted.items()
        if other_id in alive
    ]
    model.objects.bulk_create(rows)
    recording.record(rows, recording.ADDED, organisation_id=organisation.pk)
    return len(rows)


def _restore_membership(organisation, record, actor) -> str:
    person = _live(Person, organisation, record.person_id)
    team = _live(Team, organisation, record.team_id)
    if person is None or team is None:
        raise ValidationError(
            "This membership cannot come back: its person or its team is no longer in the "
            "design (restore the team first)."
        )
    services.membership_set(person=person, team=team, allocation=record.allocation, actor=actor)
    return f"{person.name} is in {team.name} at {record.allocation}% again."


def _restore_engagement(organisation, record, actor) -> str:
    pipeline = _live(Pipeline, organisation, record.pipeline_id)
    team = _live(Team, organisation, record.team_id)
    if pipeline is None or team is None:
        raise ValidationError(
            "This cell cannot come back: its pipeline or its team is no longer in the design "
            "(restore that first)."
        )
    pipeline_services.engagement_set(
        pipeline=pipeline, team=team, role=record.role, effort=record.effort, actor=actor
    )
    return f"{team.name} is {record.get_role_display().lower()} of {pipeline.name} again."


def _restore_organisation(organisation, record, actor) -> str:
    services.organisation_update(
        organisation=organisation,
        name=record.name,
        ml_head=_person_or_none(organisation, record.ml_head_id),
        span_max=record.span_max,
        layers_max=record.layers_max,
        actor=actor,
    )
    return f"The settings are as they were on {record.history_date:%Y-%m-%d %H:%M} UTC."


_RESTORERS = {
    "person": _restore_person,
    "team": _restore_team,
    "membership": _restore_membership,
    "pipeline": _restore_pipeline,
    "engagement": _restore_engagement,
    "organisation": _restore_organisation,
}



def recorded_days(organisation: Organisation, since: datetime.datetime,
                  until: datetime.datetime) -> set[datetime.date]:
    """The days (UTC) on which anything of the design was recorded between `since` and
    `until`: one query, a UNION over the history tables. A back-fill judges the design
    again only after such a day; the days between repeat the same design."""
    parts = [
        model.history.filter(history_org=organisation.pk, history_date__gt=since,
                             history_date__lte=until)
        .annotate(day=TruncDate("history_date", tzinfo=datetime.UTC))
        .values_list("day", flat=True).distinct().order_by()
        for model in KINDS.values()
    ]
    first, *rest = parts
    return set(first.union(*rest))


def recorded_since(organisation: Organisation, moment: datetime.datetime) -> bool:
    """Whether anything of the design was recorded after `moment`."""
    return bool(recorded_days(organisation, moment, timezone.now()))
