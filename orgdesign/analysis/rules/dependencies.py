"""Pipelines that depend on a specialised team outside the ML org: seed 002's critical
dependency under other management."""

from __future__ import annotations

from collections.abc import Iterator

from orgdesign.analysis.changes import (
    move_refused,
)
from orgdesign.analysis.declare import ERROR, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    pipeline_ref,
    team_ref,
)
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.proposals import (
    CANDIDATES,
    ROLE_STRENGTH,
    Remedy,
    load,
    ml_teams_of_kind,
    set_cell,
    set_manager,
    would_loop,
)
from teams.models import SPECIALISED_KINDS


def dependency_rules(index: OrgIndex, only: set[int] | None = None) -> Iterator[Finding]:
    if index.ml_head is None:
        return
    for team in index.teams_among(only):
        if team.kind not in SPECIALISED_KINDS or index.team_in_ml_org(team) is not False:
            continue
        pipeline_ids = sorted({e.pipeline_id for e in index.engagements_by_team.get(team.id, ())})
        if not pipeline_ids:
            continue
        pipelines = sorted(
            (index.pipelines_by_id[pid] for pid in pipeline_ids if pid in index.pipelines_by_id),
            key=lambda pipeline: pipeline.name,
        )
        lead_name = index.person_name(team.lead_id)
        if index.above_ml_head(team.lead_id):
            head_manager = index.manager_of.get(index.ml_head.id)
            through = (
                "" if head_manager == team.lead_id
                else f" through {index.person_name(head_manager)}"
            )
            where = (
                f"led from above the ML org by {lead_name}, to whom the ML head "
                f"{index.ml_head.name} reports{through}"
            )
        else:
            org_head = index.outside_org_head(team.lead_id)
            if org_head == team.lead_id and index.manager_of.get(team.lead_id) is None:
                where = f"led by {lead_name}, at the top of the organisation, outside the ML org"
            elif org_head == team.lead_id:
                manager_name = index.person_name(index.manager_of.get(team.lead_id))
                where = f"led by {lead_name}, who reports to {manager_name} outside the ML org"
            else:
                where = (
                    f"led by {lead_name}, who reports into {index.person_name(org_head)}'s "
                    "organisation instead of the ML org"
                )
        count = len(pipelines)
        depend = "pipeline depends" if count == 1 else "pipelines depend"
        yield Finding(
            "dependency.outside_ml_org",
            team_ref(team),
            f"{count} {depend} on {team.name}, {where}.",
            tuple(pipeline_ref(pipeline) for pipeline in pipelines),
        )


def outside_dependency(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    team = index.teams_by_id[finding.subject.id]
    lead = team.lead_id
    head = index.ml_head
    if (head is not None and not would_loop(index, lead, head.id)
            and move_refused(index, lead, head.id) is None):
        yield Remedy(
            f"Move {index.person_name(lead)}, with {team.name}, under the ML head {head.name}.",
            (set_manager(index, lead, head.id, f"(bringing {team.name} into the ML org)"),),
        )
    # The same kind of team already in the ML org, the one sharing most pipelines first.
    pipelines = {e.pipeline_id for e in index.engagements_by_team.get(team.id, ())}
    peers = sorted(
        ml_teams_of_kind(index, team.kind, other_than=team.id),
        key=lambda peer: (
            -len(pipelines & {e.pipeline_id for e in index.engagements_by_team.get(peer.id, ())}),
            load(index, peer), peer.name.casefold(), peer.id,
        ),
    )
    managers_offered = {head.id} if head is not None else set()
    for peer in peers[:CANDIDATES]:
        manager = index.manager_of.get(peer.lead_id)
        if manager is None or index.in_ml_org(manager) is not True:
            manager = peer.lead_id
        if (manager in managers_offered or would_loop(index, lead, manager)
                or move_refused(index, lead, manager) is not None):
            continue
        managers_offered.add(manager)
        yield Remedy(
            f"Move {index.person_name(lead)}, with {team.name}, under "
            f"{index.person_name(manager)}, the ML manager of {peer.name}.",
            (set_manager(index, lead, manager, f"(bringing {team.name} into the ML org)"),),
        )
    for peer in sorted(peers, key=lambda p: (load(index, p), p.name.casefold(), p.id))[
        :CANDIDATES
    ]:
        changes = []
        for engagement in sorted(index.engagements_by_team.get(team.id, ()),
                                 key=lambda e: index.pipelines_by_id[e.pipeline_id].name):
            current = next((e.role for e in index.engagements_by_pipeline.get(
                engagement.pipeline_id, ()) if e.team_id == peer.id), None)
            if current is None or ROLE_STRENGTH[current] < ROLE_STRENGTH[engagement.role]:
                changes.append(set_cell(index, engagement.pipeline_id, peer, engagement.role))
            changes.append(set_cell(index, engagement.pipeline_id, team, ""))
        depend = "pipeline that depends" if len(pipelines) == 1 else "pipelines that depend"
        yield Remedy(
            f"Engage {peer.name}, in the ML org, instead of {team.name} in the "
            f"{len(pipelines)} {depend} on it.",
            tuple(changes),
        )


# The declarations.

OUTSIDE_ML_ORG = CatalogueEntry(
    "dependency.outside_ml_org", ERROR, "Critical dependency outside the ML org",
    "An ML org must have all of its critical dependencies under the same management; a "
    "team reporting into another org (e.g. a company Infrastructure or Research org) will "
    "see ML work deprioritised and its KPIs set by someone else (seed 002).",
    "Move the team (its lead's reporting line) under the ML head, or replace the "
    "dependency with a team the ML org controls.",
    subject="team",
    remedies=(outside_dependency,),
    related_label="Pipelines that depend on it",
)

RULE = Rule(
    dependency_rules,
    reads={"teams", "engagements", "pipelines", "people", "reporting"},
    per="team",
    codes=(OUTSIDE_ML_ORG,),
)
