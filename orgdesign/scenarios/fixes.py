"""Write a remedy's changes (`orgdesign.analysis.changes.Change`) into a design.

Each kind of change writes itself (`changes.Kind.apply`) through the `Writer` below; each
write goes through the service that owns its rule (managers through `managers_set`, which
refuses a reporting loop; a cell through `engagement_set`, a position opened through
`position_create`...), so a fix tried in a scenario is checked exactly as the same edit made
by hand. The changes were computed on the design a scenario was copied from: `ids` maps that
design's ids to the scenario's. This module writes to both apps' tables, so it lives above them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from orgdesign.analysis.changes import KINDS, Change
from pipelines import services as pipeline_services
from pipelines.models import Engagement, Pipeline
from pipelines.positions import position_create
from teams import history, services
from teams.actor import SYSTEM, Actor
from teams.models import Membership, Organisation, Person, Team


@dataclass
class IdMap:
    """Ids of one design (the origin) to another's (its copy); empty maps mean the same."""

    people: dict[int, int] = field(default_factory=dict)
    teams: dict[int, int] = field(default_factory=dict)
    pipelines: dict[int, int] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=dict)


def _get(model, organisation: Organisation, ids: dict[int, int], ref):
    """The row `ref` names, in `organisation`; refused when it is no longer there."""
    pk = ids.get(ref.id, ref.id) if ids else ref.id
    row = model.objects.filter(organisation=organisation, pk=pk).first()
    if row is None:
        raise ValidationError(
            f"{ref.name} is no longer in {organisation.name}: the design changed since the fix "
            "was proposed."
        )
    return row


def record_copied(
    organisation: Organisation, changes: Sequence[Change], ids: IdMap, reason: str
) -> None:
    """Entries for the copied rows the changes are about to change, as copied: a scenario's
    copy records only itself, and each change's entry then reads "before → after" instead
    of "? → after"."""
    records = {kind: [c for c in changes if KINDS[c.action].records == kind]
               for kind in ("person", "team", "pipeline", "cell")}
    people = {ids.people.get(c.subject.id, c.subject.id) for c in records["person"]}
    teams = {ids.teams.get(c.subject.id, c.subject.id) for c in records["team"]}
    pipelines = {ids.pipelines.get(c.subject.id, c.subject.id) for c in records["pipeline"]}
    cells = {(ids.pipelines.get(c.subject.id, c.subject.id), ids.teams.get(c.to.id, c.to.id))
             for c in records["cell"]}
    engagements = [
        pk for pk, pipeline_id, team_id in Engagement.objects.filter(
            pipeline__organisation=organisation, pipeline_id__in={p for p, _ in cells}
        ).values_list("pk", "pipeline_id", "team_id")
        if (pipeline_id, team_id) in cells
    ]
    for model, pks in ((Person, people), (Team, teams), (Pipeline, pipelines),
                       (Engagement, engagements)):
        existing = list(model.objects.filter(pk__in=pks).values_list("pk", flat=True))
        history.record_ids(model, existing, history.ADDED, organisation_id=organisation.pk,
                           reason=reason)


class Writer:
    """The `changes.Writer` of a stored design: each kind of change (`changes.KINDS`) writes
    itself through these, and these through the services. Cells and managers are written
    together, at the end (`finish`), after the rest, which none depends on: cells in a few
    statements (`engagements_set`), managers with one check of the whole organisation for
    loops, not one per person (hundreds when every error of a 50,000-person design is
    fixed)."""

    def __init__(self, organisation: Organisation, ids: IdMap, actor: Actor):
        self.organisation, self.ids, self.actor = organisation, ids, actor
        self.managers: dict[int, int | None] = {}
        self.cells: dict[tuple[int, int], str | None] = {}
        self.rows: dict[type, dict[int, object]] = {Person: {}, Team: {}, Pipeline: {}}

    def _maps(self) -> dict[str, tuple[type, dict[int, int]]]:
        return {"person": (Person, self.ids.people), "team": (Team, self.ids.teams),
                "pipeline": (Pipeline, self.ids.pipelines)}

    def read(self, changes: Sequence[Change]) -> None:
        """Read every row the changes name, one query per table, instead of one per change
        (hundreds when every error is fixed); each is then written through its service as
        the rows it hands back are kept up to date."""
        wanted: dict[str, set[int]] = {"person": set(), "team": set(), "pipeline": set()}
        for change in changes:
            for ref in (change.subject, change.to, change.from_team):
                if ref is not None and ref.type in wanted:
                    wanted[ref.type].add(ref.id)
        for kind, (model, ids) in self._maps().items():
            pks = [ids.get(ref_id, ref_id) for ref_id in wanted[kind]]
            if pks:
                self.rows[model] = model.objects.filter(
                    organisation=self.organisation, pk__in=pks).in_bulk()

    def _row(self, model, ids: dict[int, int], ref):
        found = self.rows[model].get(ids.get(ref.id, ref.id))
        return found if found is not None else _get(model, self.organisation, ids, ref)

    def person(self, ref) -> Person:
        return self._row(Person, self.ids.people, ref)

    def team(self, ref) -> Team:
        return self._row(Team, self.ids.teams, ref)

    def pipeline(self, ref) -> Pipeline:
        return self._row(Pipeline, self.ids.pipelines, ref)

    def set_manager(self, person: Person, manager: Person | None) -> None:
        self.managers[person.pk] = manager.pk if manager is not None else None

    def set_lead(self, team: Team, lead: Person) -> None:
        services.team_update(team=team, lead=lead, actor=self.actor)

    def set_pm(self, pipeline: Pipeline, pm: Person) -> None:
        pipeline_services.pipeline_update(pipeline=pipeline, pm_owner=pm, actor=self.actor)

    def set_stages(self, pipeline: Pipeline, stages: list[str]) -> None:
        pipeline_services.pipeline_update(pipeline=pipeline, required_stages=stages,
                                          actor=self.actor)

    def set_cell(self, pipeline: Pipeline, team: Team, role: str | None) -> None:
        self.cells[(pipeline.pk, team.pk)] = role

    def move_member(self, person: Person, source: Team, target: Team) -> None:
        membership = Membership.objects.filter(person=person, team=source).first()
        if membership is None:
            raise ValidationError(
                f"{person.name} is no longer in {source.name}: the design changed since the "
                "fix was proposed."
            )
        services.membership_remove(person=person, team=source, actor=self.actor)
        services.membership_set(person=person, team=target, allocation=membership.allocation,
                                actor=self.actor)

    def open_position(self, team: Team, *, title: str, role: str, fte: int,
                      pipeline: Pipeline | None) -> None:
        position_create(organisation=self.organisation, team=team, title=title, role=role,
                        fte=fte, pipeline=pipeline, actor=self.actor)

    def finish(self) -> None:
        pipeline_services.engagements_set(organisation=self.organisation, cells=self.cells,
                                          actor=self.actor)
        services.managers_set(organisation=self.organisation, managers=self.managers,
                              actor=self.actor)


@transaction.atomic
def apply_changes(
    *,
    organisation: Organisation,
    changes: Sequence[Change],
    ids: IdMap | None = None,
    actor: Actor = SYSTEM,
) -> None:
    """Make every change, or none: the first refused one undoes the others."""
    write = Writer(organisation, ids or IdMap(), actor)
    write.read(changes)
    for change in changes:
        kind = KINDS.get(change.action)
        if kind is None:
            raise ValidationError(f"Unknown change {change.action!r}.")
        kind.apply(change, write)
    write.finish()
