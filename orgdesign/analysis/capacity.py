"""Capacity and cost (docs/design.md section 1, "capacity (FTE)" and "cost"), pure, from an
`OrgIndex`.

`capacity_of(index)` says, for each team, its headcount, its FTE now and once its open
positions are filled (planned), and how much of it the efforts set on its engagements have
promised; for each pipeline, the FTE it gets from each team engaged as owner or contributor,
by stage (the stage of the team's kind; a product squad's share under `squad`, a team of kind
`other` under `other`), now and planned. The analysis keeps it (`kept.Analysis.capacity`).

`costs_of(index, levels)` puts money on it, from the level table (level name -> annual cost):
only when an admin asks, so it is never kept.

Every figure is computed once per call, in one pass over the memberships, engagements and
positions: no loop over people inside another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from orgdesign.analysis.orgdata import OrgIndex
from pipelines.models import KIND_STAGE, EngagementRole, Pipeline, Stage
from teams.models import Team, TeamKind

# Where a team's share of a pipeline is shown: the stage of its kind, or one of these.
SQUAD = "squad"
OTHER = "other"
COLUMNS: tuple[str, ...] = (*(stage.value for stage in Stage), SQUAD, OTHER)
COLUMN_LABELS: dict[str, str] = {
    **{stage.value: str(stage.label) for stage in Stage},
    SQUAD: "Product squad",
    OTHER: "Other teams",
}
_COLUMN_ORDER = {column: number for number, column in enumerate(COLUMNS)}


def column_of(team: Team) -> str:
    """The stage a team's capacity counts under: its kind's stage, `squad` or `other`."""
    if team.kind == TeamKind.PRODUCT_SQUAD:
        return SQUAD
    stage = KIND_STAGE.get(team.kind)
    return str(stage.value) if stage is not None else OTHER


@dataclass(slots=True)
class TeamCapacity:
    team: Team
    stage: str  # column_of(team)
    headcount: int  # active members
    fte: float  # active members' allocations / 100
    open_positions: int
    planned_fte: float  # fte + the open positions' fte / 100
    committed: int  # percent: the efforts set on its owner and contributor engagements
    left: int  # percent: 100 - committed, never below 0
    over_committed: bool  # committed > 100 (team.over_committed)
    # The share of the team's capacity each pipeline takes (pipeline id -> 0.25 for 25%).
    shares: dict[int, float] = field(default_factory=dict)

    @property
    def positions_fte(self) -> float:
        return self.planned_fte - self.fte


@dataclass(slots=True)
class CapacityCell:
    """What one team gives one pipeline (a row of capacity.csv)."""

    pipeline: Pipeline
    team: Team
    stage: str
    role: str
    effort: int | None  # as set on the engagement; None shares what the set efforts leave
    share: float  # of the team's capacity (0.25 for 25%)
    fte: float
    planned_fte: float


@dataclass(slots=True)
class StageCapacity:
    stage: str
    label: str
    required: bool  # a required stage of the pipeline (shown even when nothing goes to it)
    fte: float = 0.0
    planned_fte: float = 0.0
    cells: list[CapacityCell] = field(default_factory=list)


@dataclass(slots=True)
class PipelineCapacity:
    pipeline: Pipeline
    # Its required stages and every column some team gives to, in COLUMNS order.
    stages: list[StageCapacity]
    fte: float
    planned_fte: float

    @property
    def by_stage(self) -> dict[str, StageCapacity]:
        return {stage.stage: stage for stage in self.stages}

    @property
    def cells(self) -> list[CapacityCell]:
        return [cell for stage in self.stages for cell in stage.cells]


@dataclass(slots=True)
class Capacity:
    teams: list[TeamCapacity]  # in column order, then by name
    pipelines: list[PipelineCapacity]  # by name
    by_team: dict[int, TeamCapacity]
    by_pipeline: dict[int, PipelineCapacity]
    headcount: int  # active people in at least one team, each once
    fte: float
    planned_fte: float
    open_positions: int

    @property
    def cells(self) -> list[CapacityCell]:
        """Every (pipeline, stage, team) with a share, in the pipelines' order, then the
        stages', then the teams' names: the rows of capacity.csv."""
        return [cell for pipeline in self.pipelines for cell in pipeline.cells]


def engagement_shares(index: OrgIndex, team_id: int) -> tuple[int, dict[int, tuple]]:
    """The percent a team's set efforts promise, and each pipeline's share of the team's
    capacity with the engagement it comes from (pipeline id -> (share, engagement)): a set
    effort takes its percent; the engagements without one share equally what the set
    efforts leave (nothing when they reach 100%); service engagements take none."""
    engaged = [
        engagement for engagement in index.engagements_by_team.get(team_id, ())
        if engagement.role != EngagementRole.SERVICE
    ]
    committed = sum(e.effort for e in engaged if e.effort is not None)
    unset = [e for e in engaged if e.effort is None]
    rest = max(0, 100 - committed) / 100 / len(unset) if unset else 0.0
    shares = {
        e.pipeline_id: (e.effort / 100 if e.effort is not None else rest, e)
        for e in engaged
    }
    return committed, shares


def capacity_of(index: OrgIndex) -> Capacity:
    """Each team's and each pipeline's capacity, now and planned (docs/design.md section 1)."""
    allocation = index.active_allocation_by_team
    members = index.active_members_by_team
    position_count: dict[int, int] = defaultdict(int)
    position_fte: dict[int, int] = defaultdict(int)
    for position in index.data.positions:
        position_count[position.team_id] += 1
        position_fte[position.team_id] += position.fte

    teams: list[TeamCapacity] = []
    cells_by_pipeline: dict[int, list[CapacityCell]] = defaultdict(list)
    pipelines_by_id = index.pipelines_by_id
    for team in index.data.teams:
        committed, shares = engagement_shares(index, team.id)
        fte = allocation.get(team.id, 0) / 100
        planned = (allocation.get(team.id, 0) + position_fte.get(team.id, 0)) / 100
        stage = column_of(team)
        teams.append(TeamCapacity(
            team=team, stage=stage, headcount=len(members.get(team.id, ())), fte=fte,
            open_positions=position_count.get(team.id, 0), planned_fte=planned,
            committed=committed, left=max(0, 100 - committed), over_committed=committed > 100,
            shares={pipeline_id: share for pipeline_id, (share, _) in shares.items()},
        ))
        for pipeline_id, (share, engagement) in shares.items():
            pipeline = pipelines_by_id.get(pipeline_id)
            if pipeline is None:
                continue
            cells_by_pipeline[pipeline_id].append(CapacityCell(
                pipeline=pipeline, team=team, stage=stage, role=str(engagement.role),
                effort=engagement.effort, share=share, fte=fte * share,
                planned_fte=planned * share,
            ))
    teams.sort(key=lambda t: (_COLUMN_ORDER[t.stage], t.team.name.casefold(), t.team.id))

    pipelines = [
        _pipeline_capacity(pipeline, cells_by_pipeline.get(pipeline.id, []))
        for pipeline in sorted(index.data.pipelines, key=lambda p: (p.name.casefold(), p.id))
    ]
    in_teams = {
        person_id for team_members in members.values() for person_id in team_members
    }
    return Capacity(
        teams=teams,
        pipelines=pipelines,
        by_team={t.team.id: t for t in teams},
        by_pipeline={p.pipeline.id: p for p in pipelines},
        headcount=len(in_teams),
        fte=sum(t.fte for t in teams),
        planned_fte=sum(t.planned_fte for t in teams),
        open_positions=sum(t.open_positions for t in teams),
    )


def _pipeline_capacity(pipeline: Pipeline, cells: list[CapacityCell]) -> PipelineCapacity:
    required = set(pipeline.required_stages or ())
    stages: dict[str, StageCapacity] = {
        column: StageCapacity(column, COLUMN_LABELS[column], required=True)
        for column in COLUMNS if column in required
    }
    cells.sort(key=lambda c: (_COLUMN_ORDER[c.stage], c.team.name.casefold(), c.team.id))
    for cell in cells:
        stage = stages.get(cell.stage)
        if stage is None:
            stage = stages[cell.stage] = StageCapacity(
                cell.stage, COLUMN_LABELS[cell.stage], required=False
            )
        stage.fte += cell.fte
        stage.planned_fte += cell.planned_fte
        stage.cells.append(cell)
    ordered = sorted(stages.values(), key=lambda s: _COLUMN_ORDER[s.stage])
    return PipelineCapacity(
        pipeline=pipeline,
        stages=ordered,
        fte=sum(s.fte for s in ordered),
        planned_fte=sum(s.planned_fte for s in ordered),
    )


# Money --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Cost:
    """An annual cost in the organisation's currency: now, and once the open positions are
    filled (planned = now + the positions)."""

    now: float = 0.0
    planned: float = 0.0


@dataclass(slots=True)
class Costs:
    currency: str
    # Every active person in a team, each in full whatever their allocations, plus (planned)
    # the open positions at their FTE.
    total: Cost
    by_team: dict[int, Cost]  # members' costs x allocation / 100 (+ positions x fte / 100)
    by_pipeline: dict[int, Cost]  # each team's cost x the share the pipeline takes
    by_stage: dict[tuple[int, str], Cost]  # (pipeline id, stage)
    by_cell: dict[tuple[int, int], Cost]  # (pipeline id, team id)
    no_level: int  # people counted in `total` whose level is blank or not in the table
    positions_no_level: int  # open positions likewise


def costs_of(
    index: OrgIndex, levels: Mapping[str, int], capacity: Capacity | None = None
) -> Costs:
    """What the design costs a year (docs/design.md section 1, cost), from `levels` (the
    level table: name -> annual cost). A person costs their level's cost in full; a team the
    sum of its active members' costs x allocation / 100, and, planned, its open positions'
    at their FTE; a pipeline what it takes of each team's (its capacity's share). People and
    positions without a level, or with one not in the table, cost nothing and are counted.
    `capacity`, when the caller has it (`Analysis.capacity`), saves computing it again."""
    capacity = capacity if capacity is not None else capacity_of(index)
    active = index.active_ids
    people = index.people_by_id

    def cost_of(level: str | None) -> int | None:
        return levels.get(level) if level else None

    by_team: dict[int, Cost] = {team.id: Cost() for team in index.data.teams}
    total = Cost()
    counted: set[int] = set()
    no_level = 0
    for membership in index.data.memberships:
        person_id = membership.person_id
        if person_id not in active:
            continue
        cost = cost_of(people[person_id].level)
        if person_id not in counted:
            counted.add(person_id)
            if cost is None:
                no_level += 1
            else:
                total.now += cost
        team_cost = by_team.get(membership.team_id)
        if cost is not None and team_cost is not None:
            share = cost * membership.allocation / 100
            team_cost.now += share
            team_cost.planned += share
    total.planned = total.now
    positions_no_level = 0
    for position in index.data.positions:
        cost = cost_of(position.level)
        if cost is None:
            positions_no_level += 1
            continue
        share = cost * position.fte / 100
        total.planned += share
        team_cost = by_team.get(position.team_id)
        if team_cost is not None:
            team_cost.planned += share

    by_pipeline: dict[int, Cost] = {}
    by_stage: dict[tuple[int, str], Cost] = {}
    by_cell: dict[tuple[int, int], Cost] = {}
    for pipeline in capacity.pipelines:
        pipeline_cost = by_pipeline[pipeline.pipeline.id] = Cost()
        for stage in pipeline.stages:
            stage_cost = by_stage[(pipeline.pipeline.id, stage.stage)] = Cost()
            for cell in stage.cells:
                team_cost = by_team[cell.team.id]
                cell_cost = by_cell[(pipeline.pipeline.id, cell.team.id)] = Cost(
                    team_cost.now * cell.share, team_cost.planned * cell.share
                )
                stage_cost.now += cell_cost.now
                stage_cost.planned += cell_cost.planned
            pipeline_cost.now += stage_cost.now
            pipeline_cost.planned += stage_cost.planned
    return Costs(
        currency=index.organisation.currency,
        total=total,
        by_team=by_team,
        by_pipeline=by_pipeline,
        by_stage=by_stage,
        by_cell=by_cell,
        no_level=no_level,
        positions_no_level=positions_no_level,
    )
