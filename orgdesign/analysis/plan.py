"""Plan mode (docs/design.md section 1, position; `findings/?plan=1`): the design judged as
it will be once its open positions are filled.

Each open position becomes a placeholder: an active person (negative id, so it never clashes
with a real one) who is a member of the position's team at the position's FTE. Only the stage
rules (`pipeline.stage_unowned`, `single_person_stage`, `stage_understaffed`, in
`rules/pipeline_stages.py`) run again over the design with the placeholders; every other rule's
findings are the design's own, so a placeholder never shows as a person in the person,
manager, scientist or membership findings. Capacity counts the positions as planned FTE
(`capacity.py`). Pure, like the rest of the engine.
"""

from __future__ import annotations

from dataclasses import replace

from orgdesign.analysis.findings import (
    Finding,
    FindingsByRule,
    findings_by_rule,
    in_order,
)
from orgdesign.analysis.orgdata import MembershipRow, OrgData, OrgIndex, PersonRow
from orgdesign.analysis.rules import pipeline_stages

# The rules that count the open positions in plan mode.
PLAN_RULES = (pipeline_stages.RULE,)
# What the placeholders change of the design: an index of the plan derives again every fact
# of these tables (from the design's rows and the placeholders), and keeps the others.
PLAN_TABLES = {"people", "reporting", "memberships"}


def placeholder_id(position_id: int) -> int:
    """The id of the placeholder of a position, as a person and as a membership: negative,
    never a real row's."""
    return -position_id


def plan_data(data: OrgData) -> OrgData:
    """The design with every open position of a known team filled by a placeholder."""
    team_ids = {team.id for team in data.teams}
    people = list(data.people)
    memberships = list(data.memberships)
    for position in data.positions:
        if position.team_id not in team_ids:
            continue
        pid = placeholder_id(position.id)
        people.append(PersonRow(
            id=pid, name=f"Open position: {position.title}", role=position.role,
            manager_id=None, active=True, level=position.level or "",
        ))
        memberships.append(MembershipRow(
            id=pid, person_id=pid, team_id=position.team_id, allocation=position.fte,
        ))
    return replace(data, people=people, memberships=memberships)


def plan_index(index: OrgIndex) -> OrgIndex:
    """The index of the plan: the facts of the tables the placeholders leave alone (teams,
    pipelines, cells) are kept."""
    return index.changed(plan_data(index.data), PLAN_TABLES)


def plan_by_rule(index: OrgIndex, by_rule: FindingsByRule) -> FindingsByRule:
    """The findings of each rule in plan mode: the stage rules' over the plan, the others'
    (`by_rule`, the design's own) as they are. Without open positions, the design's."""
    if not index.data.positions:
        return by_rule
    return {**by_rule, **findings_by_rule(plan_index(index), PLAN_RULES)}


def plan_findings(index: OrgIndex, by_rule: FindingsByRule) -> list[Finding]:
    """All the findings of the plan, in the engine's order."""
    return in_order(plan_by_rule(index, by_rule))
