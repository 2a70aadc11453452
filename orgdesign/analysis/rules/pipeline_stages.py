"""Who owns each required stage of a pipeline: nobody, several teams, one person, or less than
one FTE. The remedies staff the stage with people already there first; then with a position
to hire (in the owner team, or a team of the stage's kind), judged in plan mode; dropping the
stage comes last."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from orgdesign.analysis.changes import (
    DROP_STAGE,
    MOVE_MEMBER,
    Change,
    drop_refused,
    move_refused,
)
from orgdesign.analysis.declare import ERROR, WARNING, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    Ref,
    name_list,
    pipeline_ref,
    team_ref,
)
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.proposals import (
    CANDIDATES,
    SEVERAL_STAGES_ROLE,
    STAGE_ROLES,
    Remedy,
    kind_label,
    load,
    members,
    ml_teams_of_kind,
    open_position,
    owned_pipelines,
    planned_fte,
    planned_members,
    plural,
    role_words,
    set_cell,
    spare,
)
from pipelines.models import STAGE_KIND, EngagementRole, Lifecycle, Pipeline
from teams.models import Role, Team, TeamKind


def owner_teams_by_stage(index: OrgIndex, pipeline: Pipeline) -> dict[str, list[Team]]:
    """The owner teams of each stage of a pipeline, by name: the teams engaged as owner whose
    kind covers the stage, and, while the pipeline incubates, every product squad engaged as
    owner (embedded teams incubate)."""
    squads_cover = pipeline.lifecycle == Lifecycle.INCUBATING
    owners: dict[str, list[Team]] = {str(stage): [] for stage in STAGE_KIND}
    for engagement in index.engagements_by_pipeline.get(pipeline.id, ()):
        team = index.teams_by_id.get(engagement.team_id)
        if team is None or engagement.role != EngagementRole.OWNER:
            continue
        for stage, kind in STAGE_KIND.items():
            if team.kind == kind or (squads_cover and team.kind == TeamKind.PRODUCT_SQUAD):
                owners[str(stage)].append(team)
    for teams in owners.values():
        teams.sort(key=lambda team: (team.name.casefold(), team.id))
    return owners


def pipeline_stage_rules(index: OrgIndex, only: set[int] | None = None) -> Iterator[Finding]:
    """Who owns each required stage: nobody (no owner team, or only owner teams with nobody
    in them), several teams, one person, or people who add up to less than one FTE. Of the
    pipelines of `only` alone when given (`Rule.per`)."""
    members_of = index.active_members_by_team
    for pipeline in index.pipelines_among(only):
        subject = pipeline_ref(pipeline)
        required = set(pipeline.required_stages or ())
        # A squad covering every stage of an incubating pipeline: its staffing is said once
        # for the pipeline, naming the stages, not once a stage.
        squad_stages: dict[int, list[str]] = defaultdict(list)
        for stage, engaged in owner_teams_by_stage(index, pipeline).items():
            owners = [team for team in engaged if members_of.get(team.id)]
            empty = [team for team in engaged if not members_of.get(team.id)]
            if stage in required and not owners:
                message = f"No team owns the {stage} stage of {pipeline.name}"
                if empty:
                    names = name_list([team.name for team in empty])
                    has = "has" if len(empty) == 1 else "have"
                    message += f": its owner {names} {has} no active member"
                yield Finding(
                    "pipeline.stage_unowned",
                    subject,
                    message + ".",
                    tuple(team_ref(team) for team in empty),
                    stage=stage,
                )
            # Two teams engaged as owner are two accountable for the stage, staffed or not.
            if len(engaged) > 1:
                names = ", ".join(team.name for team in engaged)
                yield Finding(
                    "pipeline.stage_multiple_owners",
                    subject,
                    f"The {stage} stage of {pipeline.name} has {len(engaged)} owners: {names}.",
                    tuple(team_ref(team) for team in engaged),
                    stage=stage,
                )
            if stage not in required:
                continue
            for team in owners:
                if team.kind == TeamKind.PRODUCT_SQUAD:
                    squad_stages[team.id].append(stage)
                    continue
                yield from thin_staffing(index, pipeline, team, [stage])
        for team_id, stages in squad_stages.items():
            yield from thin_staffing(index, pipeline, index.teams_by_id[team_id], stages)


def thin_staffing(
    index: OrgIndex, pipeline: Pipeline, team: Team, stages: list[str]
) -> Iterator[Finding]:
    """`pipeline.single_person_stage` or `pipeline.stage_understaffed` for an owner team with
    active members, of one stage or (a squad incubating) of several."""
    members = len(index.active_members_by_team.get(team.id, ()))
    fte = index.active_allocation_by_team.get(team.id, 0)
    stage = stages[0] if len(stages) == 1 else None
    what = (
        f"The {stages[0]} stage of {pipeline.name} is"
        if stage
        else f"The {name_list(stages)} stages of {pipeline.name} are"
    )
    if members == 1:
        yield Finding(
            "pipeline.single_person_stage",
            pipeline_ref(pipeline),
            f"{what} owned by {team.name}, which has a single active member.",
            (team_ref(team),),
            stage=stage,
        )
    elif fte < 100:
        yield Finding(
            "pipeline.stage_understaffed",
            pipeline_ref(pipeline),
            f"{what} owned by {team.name}, whose {members} active members add up to "
            f"{fte / 100:g} FTE, less than one.",
            (team_ref(team),),
            stage=stage,
        )


def stage_unowned(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    """Staff the stage: a team of its kind in the ML org owns it (the least loaded first),
    an owner team with nobody in it stepping down to contributor; or a member of the team of
    its kind with the most spare people joins that empty owner. Dropping the stage comes
    last, and only where the seeds allow it (`drop_refused`)."""
    pipeline_id, stage = finding.subject.id, finding.stage
    kind = STAGE_KIND[stage]
    # The owner teams with no active member (`related`), which stay engaged as owner.
    empty = [index.teams_by_id[ref.id] for ref in finding.related
             if ref.type == "team" and ref.id in index.teams_by_id]
    empty_ids = {team.id for team in empty}
    teams = sorted((t for t in ml_teams_of_kind(index, kind) if t.id not in empty_ids),
                   key=lambda t: (load(index, t), t.name.casefold(), t.id))
    for team in teams[:CANDIDATES]:
        changes = [set_cell(index, pipeline_id, team, EngagementRole.OWNER)]
        changes += [set_cell(index, pipeline_id, owner, EngagementRole.CONTRIBUTOR)
                    for owner in empty if owner.kind != TeamKind.PRODUCT_SQUAD]
        yield Remedy(
            f"Make {team.name} (owns {plural(owned_pipelines(index, team.id), 'pipeline')} "
            f"with {plural(members(index, team.id), 'active member')}) owner of the {stage} "
            "stage of "
            f"{finding.subject.name}.",
            tuple(changes),
        )
    for owner in empty[:1]:
        yield from staff_from_spare(index, owner, kind)
    # Or hire: a position in an owner team with nobody in it (none open there yet)...
    for owner in [t for t in empty if not planned_members(index, t.id)][:CANDIDATES]:
        yield hire(index, finding, owner, 100)
    # ... or in a team of the stage's kind with nobody in it, which then owns the stage.
    vacant = sorted((t for t in ml_teams_of_kind(index, kind)
                     if t.id not in empty_ids and not members(index, t.id)),
                    key=lambda t: (t.name.casefold(), t.id))
    for team in vacant[:CANDIDATES]:
        who, change = seat(index, finding, team, 100)
        changes = [set_cell(index, pipeline_id, team, EngagementRole.OWNER)]
        changes += [set_cell(index, pipeline_id, owner, EngagementRole.CONTRIBUTOR)
                    for owner in empty if owner.kind != TeamKind.PRODUCT_SQUAD]
        yield Remedy(
            f"Make {team.name} (no active member yet) owner of the {stage} stage of "
            f"{finding.subject.name}, and open a position in it: {who}.",
            (*changes, change),
        )
    if drop_refused(index, pipeline_id, stage) is None:
        yield Remedy(
            f"Drop the {stage} stage from what {finding.subject.name} requires.",
            (Change(DROP_STAGE, finding.subject,
                    f"{finding.subject.name} no longer requires the {stage} stage.",
                    stage=stage),),
            last_resort=True,
        )


def staff_from_spare(index: OrgIndex, owner: Team, kind: str) -> Iterator[Remedy]:
    """A member of the ML team of `kind` with the most spare people (not its lead, nor a lead
    of any team, nor anyone the seeds would not move) joins `owner`."""
    teams = sorted(
        (t for t in ml_teams_of_kind(index, kind, other_than=owner.id)
         if members(index, t.id) > 1),
        key=lambda t: (-spare(index, t), t.name.casefold(), t.id),
    )
    leads = index.led_team_ids_by_person
    for team in teams[:1]:
        movable = sorted(
            (
                index.people_by_id[pid] for pid in index.active_members_by_team.get(team.id, ())
                if pid != team.lead_id and not leads.get(pid)
                and owner.id not in {m.team_id for m in index.memberships_by_person[pid]}
                and move_refused(index, pid, owner.lead_id) is None
            ),
            key=lambda person: (person.name.casefold(), person.id),
        )
        for person in movable[:1]:
            yield Remedy(
                f"Move {person.name} from {team.name} into {owner.name}.",
                (Change(MOVE_MEMBER, Ref("person", person.id, person.name),
                        f"{person.name} moves from {team.name} to {owner.name}.",
                        to=team_ref(owner), from_team=team_ref(team)),),
            )


def seat(index: OrgIndex, finding: Finding, team: Team, fte: int) -> tuple[str, Change]:
    """A position opened in `team` for the stage (or stages) of the finding's pipeline, of
    the role that does the stage's work; and who it is for, in words."""
    stage = finding.stage
    if stage in STAGE_ROLES:
        role, title = STAGE_ROLES[stage], f"the {stage} stage"
    else:
        # A squad incubating the pipeline, owner of several stages (its message names them).
        role, title = SEVERAL_STAGES_ROLE, "an incubating pipeline"
    change = open_position(index, team, role, fte, finding.subject.id,
                           f"{Role(role).label} for {title}")
    words = role_words(role)
    article = "an" if words[0] in "aeiouAEIOU" or words.startswith("ML") else "a"
    return f"{article} {words} at {fte}% of one FTE", change


def hire(index: OrgIndex, finding: Finding, team: Team, fte: int) -> Remedy:
    """Open a position in `team` (see `seat`)."""
    who, change = seat(index, finding, team, fte)
    stages = (f"the {finding.stage} stage of {finding.subject.name}" if finding.stage
              else f"the stages of {finding.subject.name} it owns")
    return Remedy(f"Open a position in {team.name}: {who} for {stages}.", (change,))


def single_person_stage(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    """Hand the stage to a team with more people, or move someone into the owner team; or
    open a position in the owner team (none open there yet)."""
    owner = index.teams_by_id[finding.related[0].id]
    yield from single_person_from_people(index, finding, owner)
    if planned_members(index, owner.id) < 2:
        yield hire(index, finding, owner, 100)


def stage_understaffed(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    """A position in the owner team of what brings it to one FTE, with the positions already
    open there counted."""
    owner = index.teams_by_id[finding.related[0].id]
    missing = 100 - planned_fte(index, owner.id)
    if missing > 0:
        yield hire(index, finding, owner, missing)


def single_person_from_people(index: OrgIndex, finding: Finding,
                              owner: Team) -> Iterator[Remedy]:
    pipeline_id, stage = finding.subject.id, finding.stage
    if stage not in STAGE_KIND:
        return  # several stages of a squad at once: no one team of a kind takes them all
    kind = STAGE_KIND[stage]
    teams = sorted(
        (t for t in ml_teams_of_kind(index, kind, other_than=owner.id) if members(index, t.id) > 1),
        key=lambda t: (-spare(index, t), t.name.casefold(), t.id),
    )
    for team in teams[:CANDIDATES]:
        changes = [set_cell(index, pipeline_id, team, EngagementRole.OWNER)]
        if owner.kind != TeamKind.PRODUCT_SQUAD:
            # The single-person team keeps working on it, no longer accountable for it.
            changes.append(set_cell(index, pipeline_id, owner, EngagementRole.CONTRIBUTOR))
        yield Remedy(
            f"Hand the {stage} stage of {finding.subject.name} to {team.name}, the "
            f"{kind_label(kind)} team with the most spare members ({members(index, team.id)} "
            f"active, owns {plural(owned_pipelines(index, team.id), 'pipeline')}).",
            tuple(changes),
        )
    # Or staff the owner: a member of the team with the most spare people joins it.
    yield from staff_from_spare(index, owner, kind)


def multiple_owners(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    owners = [index.teams_by_id[ref.id] for ref in finding.related]
    for keep in sorted(owners, key=lambda t: (load(index, t), t.name.casefold(), t.id)):
        others = [t for t in owners if t.id != keep.id]
        yield Remedy(
            f"Keep {keep.name} as the only owner of the {finding.stage} stage of "
            f"{finding.subject.name}; the others contribute.",
            tuple(set_cell(index, finding.subject.id, t, EngagementRole.CONTRIBUTOR)
                  for t in others),
        )


# The declarations.

STAGE_UNOWNED = CatalogueEntry(
    "pipeline.stage_unowned", ERROR, "Stage nobody owns",
    "Specialised teams look after their own components: a stage that no team is "
    "accountable for in this pipeline falls between them, and the model stalls there.",
    "Make a staffed team of that stage's kind the owner of the stage in this row (an "
    "owner team with nobody in it owns nothing: staff it, or open a position there, which "
    "counts once filled). Only while the pipeline "
    "incubates, and never for data or modeling (\"the two essential ingredients\", seed "
    "002), may a stage it does not need yet leave its required stages: tooling and "
    "deployment teams often emerge late.",
    subject="pipeline",
    remedies=(stage_unowned,),
)

STAGE_MULTIPLE_OWNERS = CatalogueEntry(
    "pipeline.stage_multiple_owners", WARNING, "Stage with several owners",
    "When two teams are accountable for the same stage, each can wait for the other, and "
    "the PM has no single team to hold to the stage's results.",
    "Keep one owner for the stage and make the other teams contributors.",
    subject="pipeline",
    remedies=(multiple_owners,),
    related_label="Owners",
)

SINGLE_PERSON_STAGE = CatalogueEntry(
    "pipeline.single_person_stage", WARNING, "Stage resting on one person",
    "One departure, illness or holiday stops the stage, and the pipeline with it.",
    "Staff the owner team with a second person, or move the stage to a team with more "
    "people; or open a position in the owner team.",
    subject="pipeline",
    remedies=(single_person_stage,),
    keyed_by_related=True,
    related_label="Owned by",
)

STAGE_UNDERSTAFFED = CatalogueEntry(
    "pipeline.stage_understaffed", WARNING, "Stage owned by less than one FTE",
    "Two people at 10% each are as fragile as one: the deployment stage of a critical "
    "model resting on slivers of people's time stops whenever their other work calls "
    "(seed 002: on a mature pipeline a 1% improvement is worth millions).",
    "Raise the owner team's allocations to at least one full-time person, or move the "
    "stage to a team that has the time; or open a position in the owner team for what is "
    "missing.",
    subject="pipeline",
    remedies=(stage_understaffed,),
    keyed_by_related=True,
)

RULE = Rule(
    pipeline_stage_rules,
    reads={"pipelines", "engagements", "teams", "memberships", "people"},
    per="pipeline",
    codes=(STAGE_UNOWNED, STAGE_MULTIPLE_OWNERS, SINGLE_PERSON_STAGE, STAGE_UNDERSTAFFED),
)
