"""Capacity and cost (docs/design.md section 1, "capacity (FTE)" and "cost"), on unsaved
model instances (`tests.builders.OrgBuilder`), without the database."""

import pytest

from orgdesign.analysis.capacity import OTHER, SQUAD, capacity_of, costs_of
from orgdesign.analysis.findings import findings_by_rule
from orgdesign.analysis.kept import Analysis
from orgdesign.analysis.orgdata import OrgIndex
from pipelines.models import EngagementRole, Lifecycle
from teams.models import TeamKind
from tests.builders import OrgBuilder

OWNER, CONTRIBUTOR, SERVICE = (
    EngagementRole.OWNER, EngagementRole.CONTRIBUTOR, EngagementRole.SERVICE,
)


def capacity(org: OrgBuilder):
    return capacity_of(OrgIndex(org.data()))


def staffed(org: OrgBuilder, name: str, kind: str, *allocations: int, level: str = ""):
    """A team of `kind` with one active member per allocation."""
    team = org.team(name, kind=kind)
    for number, allocation in enumerate(allocations):
        person = org.person(f"{name} {number}")
        person.level = level
        org.member(person, team, allocation)
    return team


def test_a_team_counts_its_active_members_and_their_allocations():
    org = OrgBuilder()
    team = staffed(org, "Modeling", TeamKind.MODELING, 100, 100, 50)
    gone = org.person("Gone", active=False)
    org.member(gone, team, 100)

    result = capacity(org).by_team[team.id]

    assert (result.headcount, result.fte, result.planned_fte, result.open_positions) == (
        3, 2.5, 2.5, 0,
    )
    assert (result.committed, result.left, result.over_committed) == (0, 100, False)
    assert result.stage == "modeling"


def test_engagements_without_an_effort_share_what_the_set_efforts_leave():
    org = OrgBuilder()
    team = staffed(org, "Modeling", TeamKind.MODELING, 100, 100, 50)
    a, b, c, d = (org.pipeline(name) for name in "ABCD")
    org.engage(a, team, OWNER, effort=40)
    org.engage(b, team, CONTRIBUTOR)
    org.engage(c, team, OWNER)
    org.engage(d, team, SERVICE, effort=30)  # a service takes none, effort or not

    result = capacity(org)

    modeling = result.by_team[team.id]
    assert (modeling.committed, modeling.left, modeling.over_committed) == (40, 60, False)
    assert modeling.shares == {a.id: 0.4, b.id: pytest.approx(0.3), c.id: pytest.approx(0.3)}
    assert result.by_pipeline[a.id].by_stage["modeling"].fte == pytest.approx(1.0)
    assert result.by_pipeline[b.id].by_stage["modeling"].fte == pytest.approx(0.75)
    assert result.by_pipeline[c.id].fte == pytest.approx(0.75)
    assert result.by_pipeline[d.id].by_stage["modeling"].cells == []
    assert result.by_pipeline[d.id].fte == 0
    assert [(cell.pipeline.name, cell.role) for cell in result.cells] == [
        ("A", "owner"), ("B", "contributor"), ("C", "owner"),
    ]


def test_set_efforts_that_reach_all_of_the_team_leave_nothing_to_share():
    org = OrgBuilder()
    team = staffed(org, "Data", TeamKind.DATA_OPS, 100, 100)
    a, b, c = (org.pipeline(name) for name in "ABC")
    org.engage(a, team, OWNER, effort=60)
    org.engage(b, team, CONTRIBUTOR, effort=40)
    org.engage(c, team, OWNER)

    result = capacity(org)

    assert result.by_team[team.id].shares == {a.id: 0.6, b.id: 0.4, c.id: 0.0}
    assert result.by_team[team.id].left == 0
    assert not result.by_team[team.id].over_committed
    assert result.by_pipeline[a.id].by_stage["data"].fte == pytest.approx(1.2)
    assert result.by_pipeline[c.id].by_stage["data"].fte == 0


def test_an_over_committed_team_is_flagged_and_has_nothing_left():
    org = OrgBuilder()
    team = staffed(org, "Deploy", TeamKind.DEPLOYMENT, 100)
    a, b, c = (org.pipeline(name) for name in "ABC")
    org.engage(a, team, OWNER, effort=70)
    org.engage(b, team, OWNER, effort=50)
    org.engage(c, team, CONTRIBUTOR)

    deploy = capacity(org).by_team[team.id]

    assert (deploy.committed, deploy.left, deploy.over_committed) == (120, 0, True)
    # The efforts as promised (team.over_committed says it is more than the team has).
    assert deploy.shares == {a.id: 0.7, b.id: 0.5, c.id: 0.0}


def test_open_positions_add_planned_capacity_at_their_fte():
    org = OrgBuilder()
    team = staffed(org, "Deploy", TeamKind.DEPLOYMENT, 50)
    org.position(team, fte=50)
    org.position(team, fte=100)
    empty = org.team("Infra", kind=TeamKind.INFRASTRUCTURE)
    org.position(empty, fte=30)
    pipeline = org.pipeline("Ranking")
    org.engage(pipeline, team, OWNER)
    org.engage(pipeline, empty, CONTRIBUTOR, effort=50)

    result = capacity(org)

    deploy = result.by_team[team.id]
    assert (deploy.headcount, deploy.fte, deploy.open_positions, deploy.planned_fte) == (
        1, 0.5, 2, 2.0,
    )
    assert deploy.positions_fte == 1.5
    infra = result.by_team[empty.id]
    assert (infra.headcount, infra.fte, infra.open_positions, infra.planned_fte) == (
        0, 0, 1, 0.3,
    )
    stages = result.by_pipeline[pipeline.id].by_stage
    assert (stages["deployment"].fte, stages["deployment"].planned_fte) == (0.5, 2.0)
    assert (stages["infrastructure"].fte, stages["infrastructure"].planned_fte) == (0, 0.15)
    assert result.by_pipeline[pipeline.id].planned_fte == pytest.approx(2.15)
    assert (result.headcount, result.fte, result.planned_fte, result.open_positions) == (
        1, 0.5, pytest.approx(2.3), 3,
    )


def test_a_stage_sums_the_teams_of_its_kind():
    org = OrgBuilder()
    first = staffed(org, "Modeling A", TeamKind.MODELING, 100, 100)
    second = staffed(org, "Modeling B", TeamKind.MODELING, 100)
    pipeline = org.pipeline("Ranking")
    org.engage(pipeline, first, OWNER, effort=50)
    org.engage(pipeline, second, CONTRIBUTOR)

    modeling = capacity(org).by_pipeline[pipeline.id].by_stage["modeling"]

    assert modeling.fte == 2.0
    assert [cell.team.name for cell in modeling.cells] == ["Modeling A", "Modeling B"]


def test_every_required_stage_is_shown_even_when_nobody_works_on_it():
    org = OrgBuilder()
    team = staffed(org, "Modeling", TeamKind.MODELING, 100)
    tooling = staffed(org, "Tooling", TeamKind.TOOLING, 100)
    pipeline = org.pipeline("Ranking")  # data, infrastructure, modeling, deployment
    org.engage(pipeline, team, OWNER)
    org.engage(pipeline, tooling, CONTRIBUTOR)

    stages = capacity(org).by_pipeline[pipeline.id].stages

    assert [(s.stage, s.required, s.fte) for s in stages] == [
        ("data", True, 0), ("tooling", False, 1.0), ("infrastructure", True, 0),
        ("modeling", True, 1.0), ("deployment", True, 0),
    ]


def test_a_squads_share_is_shown_under_squad_not_split_by_stage():
    org = OrgBuilder()
    squad = staffed(org, "Search squad", TeamKind.PRODUCT_SQUAD, 100, 100)
    other = staffed(org, "Research", TeamKind.OTHER, 100)
    pipeline = org.pipeline("Search", lifecycle=Lifecycle.INCUBATING)
    org.engage(pipeline, squad, OWNER)
    org.engage(pipeline, other, CONTRIBUTOR)

    result = capacity(org)
    stages = result.by_pipeline[pipeline.id].by_stage

    assert result.by_team[squad.id].stage == SQUAD
    assert stages[SQUAD].fte == 2.0
    assert stages[OTHER].fte == 1.0
    assert all(stages[s].fte == 0 for s in ("data", "infrastructure", "modeling", "deployment"))
    assert result.by_pipeline[pipeline.id].fte == 3.0
    assert [(c.stage, c.team.name) for c in result.cells] == [
        (SQUAD, "Search squad"), (OTHER, "Research"),
    ]


def test_a_team_engaged_nowhere_gives_no_pipeline_anything():
    org = OrgBuilder()
    team = staffed(org, "Modeling", TeamKind.MODELING, 100)
    pipeline = org.pipeline("Ranking")

    result = capacity(org)

    assert result.by_team[team.id].shares == {}
    assert result.by_pipeline[pipeline.id].fte == 0
    assert result.cells == []


# Cost -----------------------------------------------------------------------------------------

LEVELS = {"L4": 100_000, "L5": 150_000}


def costed_design():
    org = OrgBuilder()
    modeling = org.team("Modeling", kind=TeamKind.MODELING)
    deploy = org.team("Deploy", kind=TeamKind.DEPLOYMENT)
    ana = org.person("Ana")
    ana.level = "L5"
    org.member(ana, modeling, 100)
    ben = org.person("Ben")  # split: costs in full, half to each team
    ben.level = "L4"
    org.member(ben, modeling, 50)
    org.member(ben, deploy, 50)
    cat = org.person("Cat")  # no level
    org.member(cat, modeling, 100)
    dan = org.person("Dan")  # a level the table does not have
    dan.level = "L9"
    org.member(dan, deploy, 100)
    eve = org.person("Eve", active=False)  # left: costs nothing
    eve.level = "L5"
    org.member(eve, modeling, 100)
    fay = org.person("Fay")  # in no team: not in the design's cost
    fay.level = "L5"
    org.position(deploy, level="L4", fte=50)
    org.position(deploy, fte=100)  # no level
    a, b = org.pipeline("A"), org.pipeline("B")
    org.engage(a, modeling, OWNER, effort=40)
    org.engage(b, modeling, OWNER)
    org.engage(a, deploy, OWNER)
    return org, modeling, deploy, a, b


def test_costs_follow_levels_allocations_and_capacity():
    org, modeling, deploy, a, b = costed_design()
    index = OrgIndex(org.data())

    costs = costs_of(index, LEVELS)

    assert costs.currency == "USD"
    assert (costs.by_team[modeling.id].now, costs.by_team[modeling.id].planned) == (
        200_000, 200_000,
    )
    assert (costs.by_team[deploy.id].now, costs.by_team[deploy.id].planned) == (50_000, 100_000)
    # People in full whatever their memberships; positions at their FTE, planned.
    assert (costs.total.now, costs.total.planned) == (250_000, 300_000)
    assert (costs.no_level, costs.positions_no_level) == (2, 1)
    # A pipeline's cost follows its capacity: 40% of Modeling, all of Deploy.
    assert costs.by_cell[(a.id, modeling.id)].now == pytest.approx(80_000)
    assert costs.by_stage[(a.id, "deployment")].planned == pytest.approx(100_000)
    assert costs.by_pipeline[a.id].now == pytest.approx(130_000)
    assert costs.by_pipeline[a.id].planned == pytest.approx(180_000)
    assert costs.by_pipeline[b.id].now == pytest.approx(120_000)
    assert costs_of(index, LEVELS, capacity_of(index)) == costs


def test_without_a_level_table_nothing_costs_and_everyone_counts_as_no_level():
    org, modeling, deploy, a, _ = costed_design()

    costs = costs_of(OrgIndex(org.data()), {})

    assert (costs.total.now, costs.total.planned) == (0, 0)
    assert all(cost.now == cost.planned == 0 for cost in costs.by_team.values())
    assert costs.by_pipeline[a.id].planned == 0
    assert (costs.no_level, costs.positions_no_level) == (4, 2)


def test_the_kept_analysis_keeps_the_capacity():
    org, modeling, *_ = costed_design()
    index = OrgIndex(org.data())
    analysis = Analysis(1, index, findings_by_rule(index))

    assert analysis.capacity is analysis.capacity
    assert analysis.capacity.by_team[modeling.id].fte == 2.5
