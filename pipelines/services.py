"""Every write to pipelines and engagements (the rows and cells of the matrix)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pipelines.models import (
    Engagement,
    EngagementRole,
    Pipeline,
    Stage,
    default_required_stages,
    is_effort,
)
from teams import history
from teams.actor import SYSTEM, Actor
from teams.bulk import bulk_update
from teams.history import WITH_ITS_PIPELINE, delete_recorded
from teams.models import Organisation, Person, Team
from teams.services import UNSET, lock_unchanged, require_same_org, validate_instance


def clean_stages(stages: Iterable[str]) -> list[str]:
    stages = list(stages)
    unknown = [stage for stage in stages if stage not in Stage.values]
    if unknown:
        raise ValidationError(
            {
                "required_stages": (
                    f"Unknown stage {', '.join(map(repr, unknown))}; stages are "
                    f"{', '.join(Stage.values)}."
                )
            }
        )
    # Keep the pipeline order and drop repeats.
    return [stage for stage in Stage.values if stage in stages]


@transaction.atomic
def pipeline_create(
    *,
    organisation: Organisation,
    name: str,
    pm_owner: Person | None = None,
    lifecycle: str = "incubating",
    tier: str = "normal",
    metric: str = "",
    required_stages: Iterable[str] | None = None,
    id: int | None = None,
    actor: Actor = SYSTEM,
) -> Pipeline:
    """A new pipeline; `id` is given only to bring back a deleted one from its history."""
    require_same_org(organisation.id, "pm_owner", pm_owner)
    pipeline = Pipeline(
        id=id,
        organisation=organisation,
        name=name,
        pm_owner=pm_owner,
        lifecycle=lifecycle,
        tier=tier,
        metric=metric,
        required_stages=(
            default_required_stages() if required_stages is None else clean_stages(required_stages)
        ),
    )
    validate_instance(pipeline)
    actor.stamp(pipeline)
    pipeline.save()
    return pipeline


@transaction.atomic
def pipeline_update(
    *,
    pipeline: Pipeline,
    name: str = UNSET,
    pm_owner: Person | None = UNSET,
    lifecycle: str = UNSET,
    tier: str = UNSET,
    metric: str = UNSET,
    required_stages: Iterable[str] = UNSET,
    expected_version: str | None = None,
    actor: Actor = SYSTEM,
) -> Pipeline:
    lock_unchanged(pipeline, expected_version)
    if pm_owner is not UNSET:
        require_same_org(pipeline.organisation_id, "pm_owner", pm_owner)
        pipeline.pm_owner = pm_owner
    if required_stages is not UNSET:
        pipeline.required_stages = clean_stages(required_stages)
    for field, value in (("name", name), ("lifecycle", lifecycle), ("tier", tier),
                         ("metric", metric)):
        if value is not UNSET:
            setattr(pipeline, field, value)
    validate_instance(pipeline)
    actor.stamp(pipeline)
    pipeline.save()
    return pipeline


@transaction.atomic
def pipeline_delete(*, pipeline: Pipeline, actor: Actor = SYSTEM) -> None:
    """Delete a pipeline and its cells, recorded as deleted with it, so restoring the
    pipeline brings them back."""
    delete_recorded(
        Engagement,
        list(pipeline.engagements.values_list("id", flat=True)),
        organisation_id=pipeline.organisation_id,
        actor=actor,
        reason=WITH_ITS_PIPELINE,
    )
    actor.stamp(pipeline)
    pipeline.delete()


def check_effort(effort: object) -> None:
    """An effort is a whole percent from 1 to 100, or None (the team's capacity left by the
    set efforts is shared equally)."""
    if effort is not None and not is_effort(effort):
        raise ValidationError(
            {"effort": f"Effort must be a whole percent from 1 to 100, or empty, not {effort!r}."}
        )


class CellChanged(ValidationError):
    """The cell was changed by someone else since the editor saw it: nothing was written.
    `current` is the role it holds now ("" when empty)."""

    def __init__(self, *, pipeline: Pipeline, team: Team, current: str):
        self.current = current
        super().__init__(
            f"{team.name} in {pipeline.name} was changed by someone else to "
            f"{current or 'nothing'}; your change was not saved."
        )


@transaction.atomic
def engagements_set(
    *,
    organisation: Organisation,
    cells: dict[tuple[int, int], str | None],
    actor: Actor = SYSTEM,
) -> None:
    """Several cells of the matrix at once, (pipeline id, team id) -> role, None or ""
    clearing it, as `engagement_set` would set each (the efforts kept): a fix of every error
    sets hundreds of cells, and one at a time they were most of its time at 50,000 people.
    A few statements whatever their number, and one history entry per cell written; a cell
    that already holds its role is left as it is. Every pipeline and team must be the
    organisation's, else nothing is written."""
    if not cells:
        return
    for role in cells.values():
        if role and role not in EngagementRole.values:
            raise ValidationError(
                {"role": f"Unknown role {role!r}; roles are {', '.join(EngagementRole.values)}."}
            )
    pipeline_ids = {pipeline_id for pipeline_id, _ in cells}
    team_ids = {team_id for _, team_id in cells}
    found = (Pipeline.objects.filter(organisation=organisation, pk__in=pipeline_ids).count(),
             Team.objects.filter(organisation=organisation, pk__in=team_ids).count())
    if found != (len(pipeline_ids), len(team_ids)):
        raise ValidationError(f"A pipeline or team of these cells is not in {organisation}.")
    existing = {
        (engagement.pipeline_id, engagement.team_id): engagement
        for engagement in Engagement.objects.filter(pipeline_id__in=pipeline_ids,
                                                    team_id__in=team_ids)
    }
    cleared, changed, made = [], [], []
    now = timezone.now()
    for key, role in cells.items():
        engagement = existing.get(key)
        if not role:
            if engagement is not None:
                cleared.append(engagement.pk)
        elif engagement is None:
            made.append(Engagement(pipeline_id=key[0], team_id=key[1], role=role,
                                   **actor.fields()))
        elif engagement.role != role:
            engagement.role = role
            actor.stamp(engagement)
            engagement.updated_at = now
            changed.append(engagement)
    delete_recorded(Engagement, cleared, organisation_id=organisation.pk, actor=actor)
    if changed:
        bulk_update(Engagement, changed, ["role", "updated_by", "updated_by_token",
                                          "updated_via", "updated_at"])
        history.record(changed, history.CHANGED, organisation_id=organisation.pk)
    if made:
        Engagement.objects.bulk_create(made)
        history.record(made, history.ADDED, organisation_id=organisation.pk)


@transaction.atomic
def engagement_set(
    *,
    pipeline: Pipeline,
    team: Team,
    role: str | None,
    effort: int | None = UNSET,
    expected: str | None = None,
    actor: Actor = SYSTEM,
) -> Engagement | None:
    """Set the cell of (pipeline, team) to a role; None or "" clears it (and its effort).
    `effort` (a percent of the team's capacity, or None) is kept as it is when not given: a
    role changed in the matrix keeps the effort set on the pipeline's page or the API.
    `expected`, the role the editor saw ("" for an empty cell), refuses the write with
    `CellChanged` when the cell holds another now."""
    if pipeline.organisation_id != team.organisation_id:
        raise ValidationError({"team": f"{team} belongs to another organisation."})
    if expected is not None:
        # The pipeline's row is locked until the write commits: an empty cell has no row of
        # its own to lock, and two editors of one cell must not both pass the check.
        Pipeline.objects.select_for_update().filter(pk=pipeline.pk).first()
        current = (
            Engagement.objects.filter(pipeline=pipeline, team=team)
            .values_list("role", flat=True).first()
        ) or ""
        if current != expected:
            raise CellChanged(pipeline=pipeline, team=team, current=current)
    if not role:
        delete_recorded(
            Engagement,
            list(
                Engagement.objects.filter(pipeline=pipeline, team=team).values_list("id", flat=True)
            ),
            organisation_id=pipeline.organisation_id,
            actor=actor,
        )
        return None
    if role not in EngagementRole.values:
        raise ValidationError(
            {"role": f"Unknown role {role!r}; roles are {', '.join(EngagementRole.values)}."}
        )
    values = {"role": role, **actor.fields()}
    if effort is not UNSET:
        check_effort(effort)
        values["effort"] = effort
    engagement, _ = Engagement.objects.update_or_create(
        pipeline=pipeline, team=team, defaults=values
    )
    return engagement
