"""Writing a list of design changes (`orgdesign.analysis.changeset.DesignChange`, in a
design's own ids) into that design through the services, so a merge is checked like the
same edits made by hand: a reporting loop, a team left without its name, a position that
cannot be filled, each refuses the whole merge (the caller's transaction).

Objects a change adds (`new<id>`) are created first, then every field and reference is set
(the managers at once, `managers_set`, so that a reorganisation that swaps two people's
managers is judged on its end state), then memberships, cells and positions, and last the
removals. A person is never deleted from a design: one removed is deactivated.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils import timezone

from orgdesign.analysis.changeset import DesignChange, DesignRows
from pipelines import positions as position_services
from pipelines import services as pipeline_services
from pipelines.models import Pipeline, Position
from teams import history, services
from teams.actor import Actor
from teams.bulk import bulk_update
from teams.models import Organisation, Person, Team

PERSON_SET = ("name", "title", "role", "worker_type", "level", "department", "email",
              "external_id", "active")
# The fields a merge writes for many people at once; the others (an external id, unique;
# active, with what leaving means) go person by person through `person_update`.
BULK_PERSON_FIELDS = frozenset({"name", "title", "role", "worker_type", "level",
                                "department", "email"})


class Writer:
    def __init__(self, organisation: Organisation, target: DesignRows, actor: Actor):
        self.organisation = organisation
        self.target = target  # the design as it must be once written (for added objects)
        self.actor = actor
        self.made: dict[str, dict[str, int]] = {"person": {}, "team": {}, "pipeline": {},
                                                "position": {}}

    def pk(self, kind: str, key: str | None) -> int | None:
        if key is None:
            return None
        if key.startswith("new"):
            if key not in self.made[kind]:
                raise ValidationError(f"The {kind} {key} the merge points at was not made.")
            return self.made[kind][key]
        return int(key)

    def row(self, model, kind: str, key: str):
        found = model.objects.filter(organisation=self.organisation,
                                     pk=self.pk(kind, key)).first()
        if found is None:
            raise ValidationError(f"The {kind} {key} is no longer in the design.")
        return found

    def person(self, key):
        return None if key is None else self.row(Person, "person", key)

    def write(self, changes: list[DesignChange]) -> None:
        by_kind: dict[str, list[DesignChange]] = defaultdict(list)
        for change in changes:
            by_kind[change.type].append(change)
        self._add(by_kind)
        self._fields(by_kind)
        self._pairs(by_kind)
        self._positions(by_kind["position"])
        self._remove(by_kind)

    def _add(self, by_kind) -> None:
        for change in by_kind["person"]:
            if change.action == "added":
                row = change.after
                made = services.person_create(
                    organisation=self.organisation, actor=self.actor,
                    **{name: row[name] for name in PERSON_SET if name in row
                       and name not in ("worker_type", "level")})
                services.person_update(person=made, worker_type=row.get("worker_type",
                                       "employee"), level=row.get("level", ""),
                                       actor=self.actor)
                self.made["person"][change.id] = made.pk
        for change in by_kind["team"]:
            if change.action == "added":
                row = change.after
                made = services.team_create(
                    organisation=self.organisation, actor=self.actor,
                    **{n: row[n] for n in ("name", "kind", "kpi", "kpi_type", "external_id")})
                self.made["team"][change.id] = made.pk
        for change in by_kind["pipeline"]:
            if change.action == "added":
                row = change.after
                made = pipeline_services.pipeline_create(
                    organisation=self.organisation, actor=self.actor,
                    **{n: row[n] for n in ("name", "lifecycle", "tier", "metric",
                                           "required_stages")})
                self.made["pipeline"][change.id] = made.pk

    def _fields(self, by_kind) -> None:
        managers: dict[int, int | None] = {}
        for change in by_kind["person"]:
            if change.action == "added":
                if change.after.get("manager") is not None:
                    managers[self.pk("person", change.id)] = self.pk("person",
                                                                     change.after["manager"])
            elif change.action == "changed" and change.field == "manager":
                managers[self.pk("person", change.id)] = self.pk("person", change.after)
        services.managers_set(organisation=self.organisation, managers=managers,
                              actor=self.actor)
        updates: dict[tuple[str, str], dict] = defaultdict(dict)
        for kind in ("person", "team", "pipeline"):
            for change in by_kind[kind]:
                if change.action == "changed" and change.field != "manager":
                    updates[(kind, change.id)][change.field] = change.after
                elif change.action == "added" and kind == "team" and change.after.get("lead"):
                    updates[(kind, change.id)]["lead"] = change.after["lead"]
                elif (change.action == "added" and kind == "pipeline"
                      and change.after.get("pm_owner")):
                    updates[(kind, change.id)]["pm_owner"] = change.after["pm_owner"]
        simple = {key: fields for (kind, key), fields in updates.items()
                  if kind == "person" and fields.keys() <= BULK_PERSON_FIELDS}
        self._people_in_bulk(simple)
        for (kind, key), fields in updates.items():
            if kind == "person":
                if key not in simple:
                    services.person_update(person=self.person(key), actor=self.actor,
                                           **fields)
            elif kind == "team":
                if "lead" in fields:
                    fields["lead"] = self.person(fields["lead"])
                services.team_update(team=self.row(Team, "team", key), actor=self.actor,
                                     **fields)
            else:
                if "pm_owner" in fields:
                    fields["pm_owner"] = self.person(fields["pm_owner"])
                pipeline_services.pipeline_update(
                    pipeline=self.row(Pipeline, "pipeline", key), actor=self.actor, **fields)

    def _people_in_bulk(self, updates: dict[str, dict]) -> None:
        """Plain fields of many people (a re-org retitles dozens) in one statement per
        thousand rows and one history statement, checked by the one check of a person's
        fields (`person_values`), as the sync writes them."""
        if not updates:
            return
        pks = {self.pk("person", key): fields for key, fields in updates.items()}
        people = {person.pk: person for person in Person.objects.filter(
            organisation=self.organisation, pk__in=list(pks))}
        missing = sorted(set(pks) - set(people))
        if missing:
            raise ValidationError(f"The people {missing[:10]} are no longer in the design.")
        now, names = timezone.now(), set()
        for pk, fields in pks.items():
            values, errors = services.person_values(fields, creating=False)
            if errors:
                raise ValidationError({f"{people[pk].name}: {field}": messages
                                       for field, messages in errors.items()})
            for name, value in values.items():
                setattr(people[pk], name, value)
                names.add(name)
            self.actor.stamp(people[pk])
            people[pk].updated_at = now
        bulk_update(Person, list(people.values()),
                    [*sorted(names), "updated_by", "updated_by_token", "updated_via",
                     "updated_at"])
        history.record(list(people.values()), history.CHANGED,
                       organisation_id=self.organisation.pk, actor=self.actor)

    def _pairs(self, by_kind) -> None:
        for change in by_kind["membership"]:
            person_key, team_key = change.id.split("-", 1)
            person, team = self.person(person_key), self.row(Team, "team", team_key)
            if change.action == "removed":
                services.membership_remove(person=person, team=team, actor=self.actor)
            else:
                allocation = (change.after["allocation"] if change.action == "added"
                              else change.after)
                services.membership_set(person=person, team=team, allocation=allocation,
                                        actor=self.actor)
        cells: dict[str, dict] = defaultdict(dict)
        for change in by_kind["engagement"]:
            if change.action == "removed":
                cells[change.id] = {"role": None}
            elif change.action == "added":
                cells[change.id] = dict(change.after)
            else:
                cells[change.id][change.field] = change.after
        for key, values in cells.items():
            pipeline_key, team_key = key.split("-", 1)
            pipeline_services.engagement_set(
                pipeline=self.row(Pipeline, "pipeline", pipeline_key),
                team=self.row(Team, "team", team_key), actor=self.actor,
                role=values.get("role", self.target.engagements.get(key, {}).get("role")),
                **({"effort": values["effort"]} if "effort" in values else {}))

    def _positions(self, changes: list[DesignChange]) -> None:
        for change in changes:
            if change.action == "added":
                row = change.after
                made = position_services.position_create(
                    organisation=self.organisation, actor=self.actor,
                    team=self.row(Team, "team", row["team"]), title=row["title"],
                    role=row["role"], level=row["level"], fte=row["fte"],
                    target_date=_date(row.get("target_date")),
                    pipeline=(self.row(Pipeline, "pipeline", row["pipeline"])
                              if row.get("pipeline") else None))
                self.made["position"][change.id] = made.pk
                self._status(made, row.get("status"), row.get("person"))
            elif change.action == "removed":
                position_services.position_delete(
                    position=self.row(Position, "position", change.id), actor=self.actor)
            else:
                position = self.row(Position, "position", change.id)
                if change.field == "status":
                    self._status(position, change.after,
                                 self.target.positions.get(change.id, {}).get("person"))
                elif change.field == "person":
                    continue  # set with the status (a filled position names its person)
                elif change.field in ("team", "pipeline"):
                    model = Team if change.field == "team" else Pipeline
                    value = (self.row(model, change.field, change.after)
                             if change.after else None)
                    position_services.position_update(position=position, actor=self.actor,
                                                      **{change.field: value})
                else:
                    value = (_date(change.after) if change.field == "target_date"
                             else change.after)
                    position_services.position_update(position=position, actor=self.actor,
                                                      **{change.field: value})

    def _status(self, position: Position, status: str | None, person_key) -> None:
        if status in (None, position.status):
            return
        if status == "filled":
            position_services.position_fill(position=position, person=self.person(person_key),
                                            actor=self.actor)
        elif status == "cancelled":
            position_services.position_cancel(position=position, actor=self.actor)
        elif status == "open":
            position_services.position_reopen(position=position, actor=self.actor)

    def _remove(self, by_kind) -> None:
        for change in by_kind["pipeline"]:
            if change.action == "removed":
                pipeline_services.pipeline_delete(
                    pipeline=self.row(Pipeline, "pipeline", change.id), actor=self.actor)
        for change in by_kind["team"]:
            if change.action == "removed":
                services.team_delete(team=self.row(Team, "team", change.id), actor=self.actor)
        for change in by_kind["person"]:
            if change.action == "removed":
                person = self.person(change.id)
                if person.active:
                    services.person_deactivate(person=person, actor=self.actor)


def _date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) and value else value


def write_changes(*, organisation: Organisation, changes: list[DesignChange],
                  target: DesignRows, actor: Actor) -> dict[str, dict[str, int]]:
    """Write `changes` (from the design as it is to `target`) into `organisation`. Returns
    the ids of the objects made, by kind and by the key the changes gave them (`new<id>`)."""
    writer = Writer(organisation, target, actor)
    writer.write(changes)
    return writer.made


# The kinds of the two objects a pair's key names.
PAIRS = {"membership": ("person", "team"), "engagement": ("pipeline", "team")}


def written_key(kind: str, key: str, made: dict[str, dict[str, int]]) -> str:
    """The key of an object a change named, once written: what it added (`new<id>`, or a
    pair naming one) by the id the writer gave it."""
    kinds = PAIRS.get(kind, (kind,))
    parts = key.split("-", 1) if kind in PAIRS else [key]
    return "-".join(str(made[part_kind][part]) if part.startswith("new") else part
                    for part_kind, part in zip(kinds, parts, strict=True))
