"""Who owns each pipeline: a product manager of the ML org (seed 002's ML Product Manager)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from orgdesign.analysis.changes import (
    SET_PM,
    Change,
)
from orgdesign.analysis.declare import ERROR, WARNING, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    Ref,
    person_ref,
    pipeline_ref,
)
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.proposals import (
    CANDIDATES,
    Remedy,
)
from pipelines.models import EngagementRole, Lifecycle, Pipeline
from teams.models import Role, TeamKind


def pipeline_owner_rules(index: OrgIndex, only: set[int] | None = None) -> Iterator[Finding]:
    for pipeline in index.pipelines_among(only):
        subject = pipeline_ref(pipeline)
        if pipeline.pm_owner_id is None:
            yield Finding(
                "pipeline.no_pm", subject, f"Pipeline {pipeline.name} has no PM owner."
            )
            continue
        pm = index.people_by_id.get(pipeline.pm_owner_id)
        if pm is None:
            continue
        related = (person_ref(pm),)
        if not pm.active:
            yield Finding(
                "pipeline.pm_inactive",
                subject,
                f"The PM owner of {pipeline.name}, {pm.name}, has left the organisation.",
                related,
            )
        if pm.role != Role.PRODUCT_MANAGER:
            yield Finding(
                "pipeline.pm_not_product_manager",
                subject,
                f"{pipeline.name} is owned by {pm.name}, whose role is "
                f"{Role(pm.role).label.lower()}, not product manager.",
                related,
            )
        # False only: a PM whose chain stops short of the top is a gap in the HR data,
        # flagged by person.no_manager, not a PM of another org. A squad incubating its own
        # ML project with its own PM is seed 000's embedded model, done right.
        if index.in_ml_org(pm.id) is False and not squad_incubates(index, pipeline):
            yield Finding(
                "pipeline.pm_outside_ml_org",
                subject,
                f"{pipeline.name} is owned by {pm.name}, who does not report into the ML org.",
                related,
            )


def squad_incubates(index: OrgIndex, pipeline: Pipeline) -> bool:
    """An incubating pipeline owned by a product squad (engaged as owner)."""
    return pipeline.lifecycle == Lifecycle.INCUBATING and any(
        engagement.role == EngagementRole.OWNER
        and getattr(index.teams_by_id.get(engagement.team_id), "kind", None)
        == TeamKind.PRODUCT_SQUAD
        for engagement in index.engagements_by_pipeline.get(pipeline.id, ())
    )


def pipeline_pm(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    pipeline = index.pipelines_by_id[finding.subject.id]
    owned = Counter(p.pm_owner_id for p in index.data.pipelines if p.pm_owner_id is not None)
    pms = sorted(
        (
            person for person in index.data.people
            if person.active and person.role == Role.PRODUCT_MANAGER
            and person.id != pipeline.pm_owner_id
            and (index.ml_head is None or index.in_ml_org(person.id))
        ),
        key=lambda person: (owned[person.id], person.name.casefold(), person.id),
    )
    for pm in pms[:CANDIDATES]:
        count = owned[pm.id]
        yield Remedy(
            f"Make {pm.name}, an ML product manager with {count} pipeline"
            f"{'s' if count != 1 else ''}, PM owner of {pipeline.name}.",
            (Change(SET_PM, finding.subject, f"{pm.name} owns {pipeline.name} as its PM.",
                    to=Ref("person", pm.id, pm.name)),),
        )


# The declarations.

NO_PM = CatalogueEntry(
    "pipeline.no_pm", ERROR, "Pipeline without a PM",
    "ML Product Managers own the rows of the matrix: without one, nobody is accountable "
    "for the model and nobody pulls resources from the teams to improve it.",
    "Give the pipeline an ML Product Manager as its owner.",
    subject="pipeline",
    remedies=(pipeline_pm,),
)

PM_INACTIVE = CatalogueEntry(
    "pipeline.pm_inactive", ERROR, "Pipeline PM has left",
    "Nobody analyses the model's failure cases or argues for its resources any more, and "
    "the teams working on it have nobody to set their priorities for it.",
    "Hand the pipeline to an active ML Product Manager.",
    subject="pipeline",
    remedies=(pipeline_pm,),
)

PM_NOT_PRODUCT_MANAGER = CatalogueEntry(
    "pipeline.pm_not_product_manager", WARNING, "Pipeline owned by a non-PM",
    "Analysing failure cases, setting product strategy and integrating across teams is a "
    "job of its own; an engineer or scientist who owns the row does it part time, next to "
    "their own team's work.",
    "Make an ML Product Manager the owner, or correct the person's role if they are one.",
    subject="pipeline",
    remedies=(pipeline_pm,),
)

PM_OUTSIDE_ML_ORG = CatalogueEntry(
    "pipeline.pm_outside_ml_org", WARNING, "Pipeline PM outside the ML org",
    "ML PMs pull resources from the ML teams and speak for the model to stakeholders "
    "outside; a PM whose manager sits in another org answers to that org's priorities. "
    "A product squad incubating its own ML project with its own PM is seed 000's "
    "embedded model done right, and is not flagged.",
    "Move the PM's reporting line into the ML org, or hand the pipeline to an ML PM.",
    subject="pipeline",
    remedies=(pipeline_pm,),
)

RULE = Rule(
    pipeline_owner_rules,
    reads={"pipelines", "people", "reporting", "engagements", "teams"},
    per="pipeline",
    codes=(NO_PM, PM_INACTIVE, PM_NOT_PRODUCT_MANAGER, PM_OUTSIDE_ML_ORG),
)
