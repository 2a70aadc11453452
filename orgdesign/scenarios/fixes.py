"""Write a remedy's changes (`orgdesign.analysis.remedies.Change`) into a design.

Each change goes through the service that owns its rule (a manager through
`person_update`, which refuses a reporting loop; a cell through `engagement_set`...), so a
fix tried in a scenario is checked exactly as the same edit made by hand. The changes were
computed on the design a scenario was copied from: `ids` maps that design's ids to the
scenario's. This module writes to both apps' tables, so it lives above them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from orgdesign.analysis import remedies
from orgdesign.analysis.remedies import Change
from pipelines import services as pipeline_services
from pipelines.models import Engagement, Pipeline
from teams import history, services
from teams.actor import SYSTEM, Actor
from teams.models import Membership, Organisation, Person, Team


@dataclass
class IdMap:
    """Ids of one design (the origin) to another's (its copy); empty maps mean the same."""

    people: dict[int, int] = field(default_factory=dict)
    teams: dict[int, int] = field(default_factory=dict)
    pipelines: dict[int, int] = field(default_factory=dict)


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
    people = {ids.people.get(c.subject.id, c.subject.id) for c in changes
              if c.action in (remedies.SET_MANAGER, remedies.MOVE_MEMBER)}
    teams = {ids.teams.get(c.subject.id, c.subject.id) for c in changes
             if c.action == remedies.SET_LEAD}
    pipelines = {ids.pipelines.get(c.subject.id, c.subject.id) for c in changes
                 if c.action in (remedies.SET_PM, remedies.DROP_STAGE)}
    cells = {(ids.pipelines.get(c.subject.id, c.subject.id), ids.teams.get(c.to.id, c.to.id))
             for c in changes if c.action == remedies.SET_CELL}
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


@transaction.atomic
def apply_changes(
    *,
    organisation: Organisation,
    changes: Sequence[Change],
    ids: IdMap | None = None,
    actor: Actor = SYSTEM,
) -> None:
    """Make every change, or none: the first refused one undoes the others."""
    ids = ids or IdMap()

    def person(ref) -> Person:
        return _get(Person, organisation, ids.people, ref)

    def team(ref) -> Team:
        return _get(Team, organisation, ids.teams, ref)

    def pipeline(ref) -> Pipeline:
        return _get(Pipeline, organisation, ids.pipelines, ref)

    # Managers are moved together, after the rest (which no move depends on): one check of
    # the whole organisation for loops, not one per person (hundreds when every error of a
    # 50,000-person design is fixed).
    managers: dict[int, int | None] = {}
    for change in changes:
        action = change.action
        if action == remedies.SET_MANAGER:
            managers[person(change.subject).pk] = person(change.to).pk if change.to else None
        elif action == remedies.SET_LEAD:
            services.team_update(team=team(change.subject), lead=person(change.to), actor=actor)
        elif action == remedies.SET_PM:
            pipeline_services.pipeline_update(
                pipeline=pipeline(change.subject), pm_owner=person(change.to), actor=actor
            )
        elif action == remedies.DROP_STAGE:
            row = pipeline(change.subject)
            pipeline_services.pipeline_update(
                pipeline=row,
                required_stages=[s for s in row.required_stages if s != change.stage],
                actor=actor,
            )
        elif action == remedies.SET_CELL:
            pipeline_services.engagement_set(
                pipeline=pipeline(change.subject), team=team(change.to), role=change.role or None,
                actor=actor,
            )
        elif action == remedies.MOVE_MEMBER:
            who, source, target = person(change.subject), team(change.from_team), team(change.to)
            membership = Membership.objects.filter(person=who, team=source).first()
            if membership is None:
                raise ValidationError(
                    f"{who.name} is no longer in {source.name}: the design changed since the "
                    "fix was proposed."
                )
            services.membership_remove(person=who, team=source, actor=actor)
            services.membership_set(person=who, team=target, allocation=membership.allocation,
                                    actor=actor)
        else:
            raise ValidationError(f"Unknown change {action!r}.")
    services.managers_set(organisation=organisation, managers=managers, actor=actor)
