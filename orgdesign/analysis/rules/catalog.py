"""Conway's check: does the code ownership the software catalog records match the design?
A component of a pipeline's stage owned by another team than the stage's owner, a component a
pipeline runs on owned outside the ML org, a component owned by nobody the design knows, and
a stage owned on paper with nothing behind it (`orgdesign.analysis.catalog` matches the
catalog to the design)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from orgdesign.analysis.catalog import Placed
from orgdesign.analysis.declare import INFO, WARNING, CatalogueEntry, Rule
from orgdesign.analysis.finding import Finding, Ref, name_list, pipeline_ref, team_ref
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.proposals import Remedy, set_cell
from orgdesign.analysis.rules.dependencies import outside_dependency
from orgdesign.analysis.rules.pipeline_stages import owner_teams_by_stage
from pipelines.models import STAGE_KIND, EngagementRole, Stage


def component_ref(placed: Placed) -> Ref:
    return Ref("component", placed.row.id, placed.row.name)


def catalog_rules(index: OrgIndex) -> Iterator[Finding]:
    catalog = index.catalog
    if not catalog.present:
        return
    in_ml_org = index.teams_in_ml_org
    for pipeline_id, components in sorted(catalog.by_pipeline.items()):
        pipeline = index.pipelines_by_id[pipeline_id]
        owners = owner_teams_by_stage(index, pipeline)
        staged: set[str] = set()
        for placed in sorted(components, key=lambda placed: placed.row.name.casefold()):
            subject = component_ref(placed)
            team = placed.team
            if placed.stage:
                staged.add(placed.stage)
            if team is None:
                said = (f"its owner {placed.owner_ref} matches no team" if placed.owner_ref
                        else "the catalog names no owner for it")
                yield Finding(
                    "catalog.component_unowned", subject,
                    f"{placed.row.name}, a component of {pipeline.name}, has no owner team: "
                    f"{said}.",
                    (pipeline_ref(pipeline),), stage=placed.stage or None,
                )
                continue
            if in_ml_org.get(team.id) is False:
                yield Finding(
                    "catalog.owner_outside_ml_org", subject,
                    f"{pipeline.name} runs on {placed.row.name}, owned by {team.name}, a team "
                    "outside the ML org.",
                    (pipeline_ref(pipeline), team_ref(team)), stage=placed.stage or None,
                )
            stage_owners = owners.get(placed.stage, []) if placed.stage else []
            if stage_owners and team not in stage_owners:
                yield Finding(
                    "catalog.stage_owned_elsewhere", subject,
                    f"{placed.row.name}, of the {placed.stage} stage of {pipeline.name}, is "
                    f"owned by {team.name} in the catalog, but the stage's owner is "
                    f"{name_list([owner.name for owner in stage_owners])}.",
                    (pipeline_ref(pipeline), team_ref(team),
                     *(team_ref(owner) for owner in stage_owners)),
                    stage=placed.stage,
                )
        # Only the pipelines the catalog covers (those with a component): of the others it
        # says nothing, rather than that each of their stages is empty.
        for stage in pipeline.required_stages or ():
            if owners.get(stage) and stage not in staged:
                yield Finding(
                    "catalog.stage_without_components", pipeline_ref(pipeline),
                    f"The {stage} stage of {pipeline.name} is owned by "
                    f"{name_list([team.name for team in owners[stage]])} on paper, but no "
                    "component of the catalog serves it.",
                    tuple(team_ref(team) for team in owners[stage]), stage=stage,
                )


# The remedies.

def owner_outside(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    """Bring the component's owner team into the ML org: the moves a dependency on that team
    is offered (`dependencies.outside_dependency`)."""
    owner = finding.related[1]
    if owner.id in index.teams_by_id:
        yield from outside_dependency(index, replace(finding, subject=owner))


def engage_owner(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    """Make the component's owner team an owner of the stage in the matrix, when its kind
    covers the stage (a team of another kind owns no stage by being engaged)."""
    pipeline, owner = finding.related[0], finding.related[1]
    team = index.teams_by_id.get(owner.id)
    if team is None or pipeline.id not in index.pipelines_by_id:
        return
    if STAGE_KIND.get(Stage(finding.stage)) == team.kind:
        yield Remedy(
            f"Engage {team.name} as an owner of {pipeline.name}, where the catalog already has "
            f"it own the {finding.stage} stage's code.",
            (set_cell(index, pipeline.id, team, EngagementRole.OWNER),),
        )


# The declarations.

STAGE_OWNED_ELSEWHERE = CatalogueEntry(
    "catalog.stage_owned_elsewhere", WARNING, "Component owned by another team than its stage",
    "Conway's law: a system's structure follows its owners'. When the code of a stage belongs "
    "to another team than the one accountable for the stage, the design is on paper only: "
    "changes to the stage wait on a team with other priorities (seed 002: critical "
    "dependencies under the same management).",
    "Hand the component to the stage's owner team in the catalog, or make the component's "
    "owner the owner of the stage in the matrix.",
    subject="component",
    remedies=(engage_owner,),
    related_label="Pipeline, owner and stage owners",
)
OWNER_OUTSIDE_ML_ORG = CatalogueEntry(
    "catalog.owner_outside_ml_org", WARNING, "Component owned outside the ML org",
    "A pipeline runs on this component, and the team that owns it reports outside the ML org: "
    "its priorities and KPIs are set by someone else (seed 002: \"all of its critical "
    "dependencies under the same management\").",
    "Move the component to a team of the ML org, or move its team under the ML head.",
    subject="component",
    remedies=(owner_outside,),
    related_label="Pipeline and owner",
)
COMPONENT_UNOWNED = CatalogueEntry(
    "catalog.component_unowned", WARNING, "Component without an owner team",
    "Nobody the design knows is accountable for a component a pipeline runs on: when it "
    "breaks, nobody's priorities include fixing it.",
    "Name its owner in the catalog (spec.owner or CODEOWNERS), or match its group to a team "
    "on the catalog page.",
    subject="component",
    related_label="Pipeline",
)
STAGE_WITHOUT_COMPONENTS = CatalogueEntry(
    "catalog.stage_without_components", INFO, "Stage with no component behind it",
    "A team owns the stage on paper, but the catalog shows no system serving it: the "
    "ownership may be nominal, or the catalog incomplete.",
    "Annotate the stage's components (orgdesign.io/pipeline, orgdesign.io/stage), or check "
    "whether the stage is really worked on.",
    subject="pipeline",
    related_label="Owner teams",
)

RULE = Rule(
    catalog_rules,
    # The catalog changes through its import only, which judges the design afresh; within a
    # design, the owners of stages and who is in the ML org move these findings.
    reads={"people", "reporting", "teams", "pipelines", "engagements"},
    codes=(STAGE_OWNED_ELSEWHERE, OWNER_OUTSIDE_ML_ORG, COMPONENT_UNOWNED,
           STAGE_WITHOUT_COMPONENTS),
)
