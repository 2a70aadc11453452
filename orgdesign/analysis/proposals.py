"""What the proposers of remedies share: a remedy (`Remedy`: a summary and its changes, once
judged with its `Effect` on the whole design), the changes they make most (`set_manager`,
`set_cell`, `open_position`), and the measures they rank candidates by (how loaded a team is,
who leads best, what a team will have once its open positions are filled).
Each finding code's proposer lives with the code, in `orgdesign.analysis.rules`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orgdesign.analysis.changes import (
    OPEN_POSITION,
    SET_CELL,
    SET_MANAGER,
    Change,
    judged_in_plan,
    refusal,
)
from orgdesign.analysis.declare import ERROR, INFO, WARNING
from orgdesign.analysis.finding import Finding, Ref, team_ref
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.reporting import cycle_if_manager_set
from pipelines.models import EngagementRole, Stage
from teams.models import Role, Team, TeamKind

if TYPE_CHECKING:
    from orgdesign.analysis.remedies import Design

# How many candidates of one kind a finding is offered: enough for a clean alternative to
# the heuristic's first choice, few enough to try each on a 50,000-person design.
CANDIDATES = 3

# Who leads a team best, by role: managers first, then tech leads, then the rest.
LEAD_ROLES = (
    Role.ENGINEERING_MANAGER,
    Role.SCIENCE_MANAGER,
    Role.OPS_MANAGER,
    Role.TECH_LEAD,
    Role.EXECUTIVE,
    Role.SCIENTIST,
    Role.ML_ENGINEER,
    Role.DATA_ENGINEER,
    Role.SOFTWARE_ENGINEER,
    Role.PRODUCT_MANAGER,
    Role.OTHER,
)
ROLE_SENIORITY = {str(role): rank for rank, role in enumerate(LEAD_ROLES)}
ROLE_STRENGTH = {EngagementRole.SERVICE: 0, EngagementRole.CONTRIBUTOR: 1, EngagementRole.OWNER: 2}
# Who may take a share of a wide span, and the roles of the reports of their discipline:
# scientists under a science manager, engineers under an engineering manager or a tech lead
# (ML engineers are both: seed 000's central ML manager manages them too). A manager of the
# same discipline may join them only as a manager of managers (see `refusal`).
DISCIPLINES = {
    Role.SCIENCE_MANAGER: frozenset({Role.SCIENTIST, Role.ML_ENGINEER, Role.SCIENCE_MANAGER}),
    Role.ENGINEERING_MANAGER: frozenset({
        Role.ML_ENGINEER, Role.DATA_ENGINEER, Role.SOFTWARE_ENGINEER,
        Role.ENGINEERING_MANAGER, Role.TECH_LEAD,
    }),
    Role.TECH_LEAD: frozenset({Role.ML_ENGINEER, Role.DATA_ENGINEER, Role.SOFTWARE_ENGINEER}),
}
# The role of a position opened to staff a stage: the discipline that does the stage's work.
STAGE_ROLES = {
    Stage.DATA: Role.DATA_ENGINEER,
    Stage.TOOLING: Role.SOFTWARE_ENGINEER,
    Stage.INFRASTRUCTURE: Role.SOFTWARE_ENGINEER,
    Stage.MODELING: Role.SCIENTIST,
    Stage.DEPLOYMENT: Role.ML_ENGINEER,
}
# A position in a product squad covering several stages of a pipeline it incubates: someone
# who takes a model from data to deployment.
SEVERAL_STAGES_ROLE = Role.ML_ENGINEER


@dataclass(frozen=True)
class Effect:
    """What a remedy does to the whole design: the findings it clears and those it brings."""

    fixed: tuple[Finding, ...]
    introduced: tuple[Finding, ...]

    def count(self, findings: Iterable[Finding], severity: str) -> int:
        return sum(1 for finding in findings if finding.severity == severity)

    @property
    def cost(self) -> tuple[int, int, int, int, int]:
        """Lower is better: errors brought, warnings brought, then errors and warnings fixed
        besides (more is better), then infos brought."""
        return (
            self.count(self.introduced, ERROR),
            self.count(self.introduced, WARNING),
            -self.count(self.fixed, ERROR),
            -self.count(self.fixed, WARNING),
            self.count(self.introduced, INFO),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "fixed": [finding.as_dict() for finding in self.fixed],
            "introduced": [finding.as_dict() for finding in self.introduced],
        }


@dataclass(frozen=True)
class Remedy:
    summary: str
    changes: tuple[Change, ...]
    effect: Effect | None = None
    # Offered only after every other remedy, whatever the costs (dropping a stage rather than
    # staffing it).
    last_resort: bool = False
    # The design with the changes made, once judged: a plan goes on from it.
    after: Design | None = field(default=None, compare=False, repr=False)

    @property
    def opens_positions(self) -> bool:
        """Staffs with people still to hire (a position opened), not people already there:
        ranked after every remedy that does not, and judged in plan mode."""
        return judged_in_plan(self.changes)

    @property
    def clean(self) -> bool:
        """Brings no error or warning elsewhere."""
        return self.effect is not None and self.effect.cost[:2] == (0, 0)

    def as_dict(self, rank: int) -> dict[str, Any]:
        result: dict[str, Any] = {
            "rank": rank,
            "summary": self.summary,
            "changes": [change.as_dict() for change in self.changes],
        }
        if self.effect is not None:
            result.update(self.effect.as_dict())
        return result


def endorsed(index: OrgIndex, remedy: Remedy) -> bool:
    return all(refusal(index, change) is None for change in remedy.changes)


def _person(index: OrgIndex, person_id: int | None) -> Ref:
    return Ref("person", person_id, index.person_name(person_id))


def _pipeline(index: OrgIndex, pipeline_id: int) -> Ref:
    return Ref("pipeline", pipeline_id, index.pipelines_by_id[pipeline_id].name)


def would_loop(index: OrgIndex, person_id: int, manager_id: int) -> bool:
    return bool(cycle_if_manager_set(index.manager_of, person_id, manager_id))


def set_manager(index: OrgIndex, person_id: int, manager_id: int, why: str = "") -> Change:
    words = f"{index.person_name(person_id)} reports to {index.person_name(manager_id)}"
    return Change(SET_MANAGER, _person(index, person_id), words + (f" {why}" if why else "")
                  + ".", to=_person(index, manager_id))


def set_cell(index: OrgIndex, pipeline_id: int, team: Team, role: str) -> Change:
    pipeline = index.pipelines_by_id[pipeline_id].name
    if role:
        words = f"{team.name} is engaged in {pipeline} as {role}."
    else:
        words = f"{team.name} is no longer engaged in {pipeline}."
    return Change(SET_CELL, _pipeline(index, pipeline_id), words, to=team_ref(team), role=role)


def open_position(
    index: OrgIndex, team: Team, role: str, fte: int, pipeline_id: int | None, title: str
) -> Change:
    """A position opened in `team` (for the pipeline, when one is given)."""
    return Change(
        OPEN_POSITION, team_ref(team), f"Open a position: {title} in {team.name}, {fte}%.",
        to=_pipeline(index, pipeline_id) if pipeline_id is not None else None,
        role=role, title=title, fte=fte,
    )


def planned_members(index: OrgIndex, team_id: int) -> int:
    """A team's active members once its open positions are filled (plan mode)."""
    return members(index, team_id) + len(index.open_positions_by_team.get(team_id, ()))


def planned_fte(index: OrgIndex, team_id: int) -> int:
    """A team's capacity in percent of one FTE once its open positions are filled."""
    return index.active_allocation_by_team.get(team_id, 0) + sum(
        position.fte for position in index.open_positions_by_team.get(team_id, ())
    )


def ml_teams_of_kind(index: OrgIndex, kind: str, other_than: int | None = None) -> list[Team]:
    return [
        team for team in index.data.teams
        if team.kind == kind and team.id != other_than and index.team_in_ml_org(team) is True
    ]


def owned_pipelines(index: OrgIndex, team_id: int) -> int:
    return sum(
        1 for e in index.engagements_by_team.get(team_id, ()) if e.role == EngagementRole.OWNER
    )


def members(index: OrgIndex, team_id: int) -> int:
    return len(index.active_members_by_team.get(team_id, ()))


def load(index: OrgIndex, team: Team) -> float:
    """Pipelines owned per active member: how busy a team already is."""
    return owned_pipelines(index, team.id) / max(members(index, team.id), 1)


def spare(index: OrgIndex, team: Team) -> int:
    return members(index, team.id) - owned_pipelines(index, team.id)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def kind_label(kind: str) -> str:
    return TeamKind(kind).label.lower()


def role_words(role: str) -> str:
    """A role's label inside a sentence: "scientist", "ML engineer"."""
    label = Role(role).label
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def role_list(people) -> str:
    """`2 scientists and 1 ML engineer`: how many of each role, most first."""
    counts = Counter(role_words(p.role) for p in people)
    parts = [
        f"{count} {label}{'s' if count != 1 else ''}"
        for label, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


Proposer = Callable[[OrgIndex, Finding], Iterator[Remedy]]
