"""A team promised to pipelines beyond its capacity."""

from __future__ import annotations

from collections.abc import Iterator

from orgdesign.analysis.declare import WARNING, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    pipeline_ref,
    team_ref,
)
from orgdesign.analysis.orgdata import OrgIndex
from pipelines.models import EngagementRole


def team_commitment_rules(index: OrgIndex, only: set[int] | None = None) -> Iterator[Finding]:
    """`team.over_committed`: the efforts set on a team's owner and contributor engagements
    add up to more than all of its capacity."""
    for team in index.teams_among(only):
        committed = [
            engagement for engagement in index.engagements_by_team.get(team.id, ())
            if engagement.role != EngagementRole.SERVICE and engagement.effort is not None
        ]
        total = sum(engagement.effort for engagement in committed)
        if total <= 100:
            continue
        pipelines = sorted(
            (index.pipelines_by_id[e.pipeline_id] for e in committed
             if e.pipeline_id in index.pipelines_by_id),
            key=lambda pipeline: (pipeline.name.casefold(), pipeline.id),
        )
        yield Finding(
            "team.over_committed",
            team_ref(team),
            f"{team.name} has {total}% of its capacity promised to {len(pipelines)} "
            f"pipeline{'s' if len(pipelines) != 1 else ''}, more than all of it.",
            tuple(pipeline_ref(pipeline) for pipeline in pipelines),
        )


# The declarations.

OVER_COMMITTED = CatalogueEntry(
    "team.over_committed", WARNING, "Team promised more than its capacity",
    "Efforts over 100% promise pipelines work that will not happen: the PMs plan on "
    "capacity the team does not have, and the team chooses for them which pipeline "
    "waits.",
    "Lower the efforts of the team's engagements to 100% in all, or grow the team.",
    subject="team",
)

RULE = Rule(
    team_commitment_rules,
    reads={"teams", "engagements", "pipelines"},
    per="team",
    codes=(OVER_COMMITTED,),
)
